"""The database connection: one async engine and session factory per process."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from adapters.storage.migrate import upgrade
from adapters.storage.urls import is_sqlite_memory, redact, to_async_url

logger = logging.getLogger(__name__)

# How long a SQLite writer waits for another one before "database is locked" (ms).
SQLITE_BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for a typed `DATABASE_URL`, tuned per backend."""
    async_url = to_async_url(url)
    if async_url.startswith("sqlite"):
        options: dict[str, Any] = {}
        if is_sqlite_memory(async_url):
            # Each connection to :memory: is a new empty database: share a single one.
            options["poolclass"] = StaticPool
        engine = create_async_engine(async_url, echo=echo, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Instances behind a load balancer outlive database restarts and failovers.
    return create_async_engine(async_url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (chat commands) run while the scheduler writes.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Off by default in SQLite; the schema relies on ON DELETE CASCADE.
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class Database:
    """Owns the engine and session factory; close it with `aclose()` on shutdown."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def connect(cls, url: str, *, migrate: bool = True, echo: bool = False) -> Self:
        """Connect to `url` (as typed by the user) and bring its schema up to date."""
        engine = make_engine(url, echo=echo)
        try:
            if migrate:
                # Migrating through this engine (not a new one) keeps :memory: usable.
                await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        logger.info("Connected to %s", redact(url))
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._sessions

    @property
    def dialect(self) -> str:
        """`"sqlite"` or `"postgresql"`: some statements differ per backend."""
        return self._engine.dialect.name

    @property
    def url(self) -> str:
        """The URL with its password hidden, for logs."""
        return self._engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
