"""SQL implementation of `core.ports.SearchCache`: values reused for the rest of their UTC day.

Every search reads and writes this table several times, so the hot path is kept lean
(bench/RESULTS.md, Slack): the statements are built once (their compiled form then comes
from the engine's cache without rebuilding the statement or its cache key); a command's
writes are held until it ends and then go out in one transaction (`core.unit_of_work`);
and writes that arrive while another is being committed go out together with the next
commit (a "group commit"), so concurrent commands share transactions too.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from functools import cache, cached_property
from typing import Any

from sqlalchemy import bindparam, select

from adapters.storage.codecs import decode_cached, encode_cached
from adapters.storage.database import Database
from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import SearchCacheRow, table
from core import unit_of_work
from core.ports import Cached, CachedT

_cache = table(SearchCacheRow)

_GET = select(_cache.c.payload).where(
    _cache.c.cache_key == bindparam("cache_key"), _cache.c.day == bindparam("day")
)


@cache
def _upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (cache_key, day) DO UPDATE, values bound at execution."""
    stmt = dialect_insert(dialect, _cache)
    return stmt.on_conflict_do_update(
        index_elements=["cache_key", "day"],
        set_={"payload": stmt.excluded.payload, "created_at": stmt.excluded.created_at},
    )


_Row = dict[str, Any]


class SqlSearchCache(SqlRepository):
    """The `search_cache` table: one JSON payload per key and day."""

    async def get_cached(self, key: str, day: date, *, kind: type[CachedT]) -> CachedT | None:
        """The `kind` stored under `key` for `day`, if any (or held by this command)."""
        writes = unit_of_work.current()
        held = writes.held(self._write_rows, (key, day)) if writes is not None else None
        if held is not None:
            return decode_cached(kind, held["payload"])
        async with self._db.engine.connect() as conn:
            payload = (await conn.execute(_GET, {"cache_key": key, "day": day})).scalar()
        return decode_cached(kind, payload) if payload is not None else None

    async def put_cached(self, key: str, day: date, *, value: Cached) -> None:
        """Store (or replace) `value` under `key` for `day`.

        Inside a command (`core.unit_of_work`) the row is held and written with the
        command's others when it ends; otherwise this returns once it is committed.
        """
        row = {
            "cache_key": key,
            "day": day,
            "payload": encode_cached(value),
            "created_at": datetime.now(UTC),
        }
        writes = unit_of_work.current()
        if writes is not None and writes.hold(self._write_rows, (key, day), row):
            return
        await self._write_rows([row])

    async def _write_rows(self, rows: list[_Row]) -> None:
        """Upsert `rows`, with whatever other writers are committing now."""
        await self._cache_writes.write(rows)

    @cached_property
    def _cache_writes(self) -> _GroupCommit:
        # Made on first use: the composite stores share `SqlRepository.__init__`.
        return _GroupCommit(self._db)


_Waiting = list[tuple[list[_Row], "asyncio.Future[None]"]]


class _GroupCommit:
    """Cache rows written together: rows that arrive while a commit is under way wait
    for the next one, which takes them all (one transaction, one `executemany`)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._pending: _Waiting = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, rows: list[_Row]) -> None:
        """Returns once `rows` are committed (raises what the commit raised)."""
        if not rows:
            return
        done = asyncio.get_running_loop().create_future()
        self._pending.append((rows, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_pending())
        # The write goes on if this caller is cancelled: the rows are paid for.
        await asyncio.shield(done)

    async def _write_pending(self) -> None:
        """Commit what is pending, batch after batch, until nothing is left."""
        batch: _Waiting = []
        statement = _upsert(self._db.dialect)
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                # One row per key and day, the latest (as writing them in turn would), in
                # key order: concurrent batches (other instances) lock rows alike.
                latest = {(r["cache_key"], r["day"]): r for rows, _ in batch for r in rows}
                rows = [latest[key] for key in sorted(latest)]
                try:
                    async with self._db.engine.begin() as conn:
                        await conn.execute(statement, rows)
                except Exception as err:  # every writer in the batch is told
                    _settle(batch, err)
                else:
                    _settle(batch, None)
                batch = []
        except BaseException as err:  # cancelled (the loop is closing): nobody waits forever
            pending, self._pending = [*batch, *self._pending], []
            _settle(pending, err)
            raise
        finally:
            self._writer = None


def _settle(batch: _Waiting, err: BaseException | None) -> None:
    for _, done in batch:
        if done.done():
            continue
        if err is None:
            done.set_result(None)
        elif isinstance(err, asyncio.CancelledError):
            done.cancel()
        else:
            done.set_exception(err)
