"""SQL implementation of `core.ports.SearchCache`: values reused for the rest of their UTC day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from adapters.storage.codecs import decode_cached, encode_cached
from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import SearchCacheRow, table
from core.ports import Cached, CachedT

_cache = table(SearchCacheRow)


class SqlSearchCache(SqlRepository):
    """The `search_cache` table: one JSON payload per key and day."""

    async def get_cached(self, key: str, day: date, *, kind: type[CachedT]) -> CachedT | None:
        """The `kind` stored under `key` for `day`, if any."""
        stmt = select(_cache.c.payload).where(_cache.c.cache_key == key, _cache.c.day == day)
        async with self._db.engine.connect() as conn:
            payload = (await conn.execute(stmt)).scalar_one_or_none()
        return decode_cached(kind, payload) if payload is not None else None

    async def put_cached(self, key: str, day: date, *, value: Cached) -> None:
        """Store (or replace) `value` under `key` for `day`."""
        stmt = dialect_insert(self._dialect, _cache).values(
            cache_key=key, day=day, payload=encode_cached(value), created_at=datetime.now(UTC)
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["cache_key", "day"],
            set_={"payload": stmt.excluded.payload, "created_at": stmt.excluded.created_at},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)
