"""Fakes and fixtures for scheduled work: sinks, accounts and posts, bot instances.

- `RecordingSink`: a `MessageSink` that records what it delivered and can fail on cue.
- `start_instance`: one bot instance (production wiring) on a database URL; several on
  one PostgreSQL database act like several bot processes.
- `MemoryOutbox`: an in-memory `OutboxStore` for unit tests of delivery.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.storage.database import Database
from adapters.storage.store import SqlStorage
from bot.settings import Settings
from bot.wiring import ScheduledWork, build_use_cases
from core.models import (
    Delivery,
    Notice,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    Post,
    Scope,
    XUser,
)
from core.outbox import notice_kind, summarize
from core.ports import Clock, MessageSink, XSource
from core.scout import Scout
from tests.fakes.memory import FixedClock

__all__ = [
    "FixedClock",
    "Instance",
    "MemoryOutbox",
    "RecordingSink",
    "fitness_post",
    "person",
    "sqlite_url",
    "start_instance",
]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite `DATABASE_URL`, for tests whose SQL does not differ between backends.

    (`database_url` runs a test on PostgreSQL too, which costs a database per test.)
    """
    return f"sqlite:///{tmp_path / 'bot.db'}"


class RecordingSink:
    """Records every delivered notice; `failures` are raised first, one per attempt."""

    def __init__(self, platform: str = "console") -> None:
        self._platform = platform
        self.delivered: list[tuple[Scope, Notice]] = []
        self.extras: list[Delivery | None] = []  # beside `delivered`, one per message
        self.keys: list[str | None] = []  # the outbox key and recheck of every attempt
        self.rechecks: list[bool] = []
        self.attempts = 0
        self.failures: list[BaseException] = []
        self.delay = 0.0

    @property
    def platform(self) -> str:
        return self._platform

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        self.attempts += 1
        self.keys.append(key)
        self.rechecks.append(recheck)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((scope, notice))
        self.extras.append(extras)

    def to(self, channel: str) -> list[Notice]:
        return [n for s, n in self.delivered if s.channel == channel]


def person(uid: str, followers: int, username: str | None = None, **extra: Any) -> XUser:
    """An account with plausible numbers (old enough not to look suspicious)."""
    return XUser(
        id=uid,
        username=username or f"user{uid}",
        name=extra.pop("name", f"User {uid}"),
        followers=followers,
        following=extra.pop("following", 400),
        post_count=extra.pop("post_count", 3_000),
        description=extra.pop("description", "Coach. Fitness, workouts and healthy food."),
        created_at=extra.pop("created_at", datetime(2018, 1, 1, tzinfo=UTC)),
        **extra,
    )


_post_ids = itertools.count(1_000)


def fitness_post(author: XUser, at: datetime, likes: int = 300) -> Post:
    return Post(
        id=str(next(_post_ids)),
        author_id=author.id,
        text="My fitness routine today: a full body workout at the gym #fitness",
        created_at=at,
        lang="en",
        likes=likes,
        reposts=20,
        replies=15,
        quotes=2,
    )


@dataclass
class Instance:
    """One bot process: its own engine, wiring and sinks, on a shared database."""

    database: Database
    storage: SqlStorage
    scout: Scout
    work: ScheduledWork
    sinks: dict[str, MessageSink]
    clock: Clock

    async def aclose(self) -> None:
        await self.database.aclose()


def schedule_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "x_source": "x-api",
        "x_monthly_budget_usd": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def start_instance(
    database_url: str,
    x: XSource,
    clock: Clock,
    *,
    sinks: dict[str, MessageSink] | None = None,
    owner: str | None = None,
    pacing: dict[str, float] | None = None,
    **settings: Any,
) -> Instance:
    """Connect (migrating) and wire the scheduled use cases the way `bot.wiring` does.

    Per-channel pacing is off unless given: tests should not wait a real second.
    """
    config = schedule_settings(database_url, **settings)
    database = await Database.connect(database_url)
    storage = SqlStorage(database)
    registry: dict[str, MessageSink] = sinks if sinks is not None else {}
    scout, work = build_use_cases(config, storage, x=x, clock=clock, sinks=registry, owner=owner)
    work.delivery.pacing = pacing or {}
    return Instance(database, storage, scout, work, registry, clock)


class MemoryOutbox:
    """An in-memory `OutboxStore` (leases and statuses as the SQL one keeps them)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.paused: set[Scope] = set()
        self.paused_at: dict[Scope, tuple[str, datetime]] = {}
        self._ids = itertools.count(1)

    async def enqueue(self, messages: Sequence[OutboxMessage], now: datetime) -> int:
        keys = {r["key"] for r in self.rows.values()}
        new = 0
        for m in messages:
            if m.key in keys:
                continue
            status = OutboxStatus.PAUSED if m.scope in self.paused else OutboxStatus.PENDING
            self.rows[next(self._ids)] = {
                "key": m.key,
                "scope": m.scope,
                "notice": m.notice,
                "status": status,
                "attempts": 0,
                "next": now,
                "lease": None,
                "error": None,
                "created": now,
                "delivered": None,
            }
            new += 1
        return new

    def _item(self, i: int) -> OutboxItem:
        r = self.rows[i]
        return OutboxItem(
            id=i,
            key=r["key"],
            kind=notice_kind(r["notice"]),
            scope=r["scope"],
            status=r["status"],
            attempts=r["attempts"],
            summary=summarize(r["notice"]),
            created_at=r["created"],
            next_attempt_at=r["next"],
            delivered_at=r["delivered"],
            last_error=r["error"],
            notice=r["notice"],
            reclaimed=r.get("reclaimed", False),
        )

    async def claim_due(
        self,
        platforms: Collection[str],
        owner: str,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[OutboxItem]:
        due = [
            i
            for i, r in sorted(self.rows.items())
            if r["status"] is OutboxStatus.PENDING
            and r["scope"].platform in platforms
            and r["next"] <= now
            and (r["lease"] is None or r["lease"] < now)
        ][:limit]
        for i in due:
            row = self.rows[i]
            # A lease left on a pending row ran out: the message may have gone out.
            row["reclaimed"] = row.get("reclaimed", False) or row["lease"] is not None
            row["lease"] = now + lease
        return [self._item(i) for i in due]

    async def renew_leases(self, item_ids: Collection[int], owner: str, *, until: datetime) -> int:
        renewed = 0
        for i in item_ids:
            row = self.rows.get(i)
            if row and row["status"] is OutboxStatus.PENDING and row["lease"] is not None:
                row["lease"] = until
                renewed += 1
        return renewed

    async def mark_delivered(self, item_id: int, now: datetime, *, attempts: int = 1) -> None:
        self.rows[item_id].update(
            status=OutboxStatus.DELIVERED, delivered=now, attempts=attempts, lease=None
        )

    async def mark_retry(
        self, item_id: int, *, attempts: int, next_attempt_at: datetime, error: str | None
    ) -> None:
        row = self.rows[item_id]
        row.update(attempts=attempts, next=next_attempt_at, lease=None)
        if error is not None:
            row["error"] = error

    async def mark_failed(self, item_id: int, *, attempts: int, error: str, now: datetime) -> None:
        self.rows[item_id].update(
            status=OutboxStatus.FAILED, attempts=attempts, error=error, lease=None
        )

    async def pause_channel(self, scope: Scope, reason: str, *, now: datetime) -> int:
        self.paused.add(scope)
        self.paused_at[scope] = (reason, now)
        count = 0
        for r in self.rows.values():
            if r["scope"] == scope and r["status"] is OutboxStatus.PENDING:
                r.update(status=OutboxStatus.PAUSED, error=reason, lease=None)
                count += 1
        return count

    async def resume_channel(self, scope: Scope, now: datetime) -> int:
        self.paused.discard(scope)
        self.paused_at.pop(scope, None)
        count = 0
        for r in self.rows.values():
            if r["scope"] == scope and r["status"] is OutboxStatus.PAUSED:
                r.update(status=OutboxStatus.PENDING, next=now)
                count += 1
        return count

    async def outbox_items(
        self, statuses: Collection[OutboxStatus], limit: int, *, kind: str | None = None
    ) -> list[OutboxItem]:
        items = [self._item(i) for i in sorted(self.rows, reverse=True)]
        return [i for i in items if i.status in statuses and (kind is None or i.kind == kind)][
            :limit
        ]

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        counts = dict.fromkeys(OutboxStatus, 0)
        for r in self.rows.values():
            counts[r["status"]] += 1
        return counts

    async def paused_channels(self) -> list[tuple[Scope, str, datetime]]:
        by_time = sorted(self.paused_at.items(), key=lambda item: item[1][1])
        return [(scope, reason, at) for scope, (reason, at) in by_time]

    def statuses(self) -> list[OutboxStatus]:
        return [r["status"] for _, r in sorted(self.rows.items())]
