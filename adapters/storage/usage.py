"""SQL implementation of `core.ports.UsageLedger`: X usage per UTC day, and charged reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select

from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import XReadRow, XUsageRow, table
from core.models import Cost

_usage = table(XUsageRow)
_reads = table(XReadRow)

_MARK_SQLITE = (
    "INSERT INTO x_reads (day, kind, resource_id) VALUES (?, ?, ?) "
    "ON CONFLICT (day, kind, resource_id) DO NOTHING"
)
_MARK_POSTGRES = (
    "INSERT INTO x_reads (day, kind, resource_id) "
    "SELECT %(day)s::date, %(kind)s, json_array_elements_text(%(ids)s::json) "
    "ON CONFLICT (day, kind, resource_id) DO NOTHING"
)


@cache
def _add_usage(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (day) DO UPDATE adding to the counters, values bound at
    execution: built once, as every X request of every search runs it (its cache key
    was ~8 % of the chat loop, bench/RESULTS.md, Slack)."""
    stmt = dialect_insert(dialect, _usage).values(
        day=bindparam("day"),
        requests=bindparam("requests"),
        posts_read=bindparam("posts_read"),
        users_read=bindparam("users_read"),
        usd=bindparam("usd"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["day"],
        set_={
            "requests": _usage.c.requests + stmt.excluded.requests,
            "posts_read": _usage.c.posts_read + stmt.excluded.posts_read,
            "users_read": _usage.c.users_read + stmt.excluded.users_read,
            "usd": _usage.c.usd + stmt.excluded.usd,
        },
    )


class SqlUsageLedger(SqlRepository):
    """The `x_usage` counters and the `x_reads` markers."""

    async def mark_read(self, day: date, kind: str, *, ids: Sequence[str]) -> int:
        """Remember `ids` of `kind` as read on `day`; return how many were new that day.

        One statement for any number of ids (a refresh group charges thousands): an
        `executemany` of tuples on SQLite, one JSON array on PostgreSQL; the
        driver's row count is the rows actually inserted.
        """
        unique = sorted(set(ids))
        if not unique:
            return 0
        async with self._db.engine.begin() as conn:
            if self._dialect == "postgresql":
                result = await conn.exec_driver_sql(
                    _MARK_POSTGRES, {"day": day, "kind": kind, "ids": json.dumps(unique)}
                )
            else:
                rows = [(day.isoformat(), kind, rid) for rid in unique]
                result = await conn.exec_driver_sql(_MARK_SQLITE, rows)
        return max(0, result.rowcount)

    async def record_usage(
        self, day: date, *, requests: int, posts_read: int, users_read: int, usd: float
    ) -> None:
        """Add to the day's counters (atomic, so concurrent instances never lose counts)."""
        values = {
            "day": day,
            "requests": requests,
            "posts_read": posts_read,
            "users_read": users_read,
            "usd": usd,
        }
        async with self._db.engine.begin() as conn:
            await conn.execute(_add_usage(self._dialect), values)

    async def spent_usd(self, start: date, end: date) -> float:
        """Dollars recorded for days in [start, end]."""
        return (await self.usage(start, end)).usd

    async def usage(self, start: date, end: date) -> Cost:
        """Everything recorded for days in [start, end], e.g. for a monthly report."""
        stmt = select(
            func.coalesce(func.sum(_usage.c.requests), 0),
            func.coalesce(func.sum(_usage.c.posts_read), 0),
            func.coalesce(func.sum(_usage.c.users_read), 0),
            func.coalesce(func.sum(_usage.c.usd), 0.0),
        ).where(_usage.c.day.between(start, end))
        async with self._db.engine.connect() as conn:
            requests, posts, users, usd = (await conn.execute(stmt)).one()
        # Float sums drift in the last digits; cents are what budgets compare.
        return Cost(int(requests), int(posts), int(users), round(float(usd), 6))
