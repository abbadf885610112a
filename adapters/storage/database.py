"""The database connection: one async engine and session factory per process.

A database that cannot be opened (down, refused, wrong password, a file SQLite cannot
open) is one `DatabaseUnreachable` naming where, without the password; a `DATABASE_URL`
that is no database URL is a `DatabaseUrlError` (`adapters.storage.urls`).
"""

from __future__ import annotations

import logging
import sqlite3
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from adapters.storage.migrate import upgrade
from adapters.storage.urls import is_sqlite_memory, redact, to_async_url
from core.errors import ScoutError

logger = logging.getLogger(__name__)

_MEMORY = ":memory:"
# How long a SQLite writer waits for another one before "database is locked" (ms).
SQLITE_BUSY_TIMEOUT_MS = 15_000
# SQLite file connections kept open (as many as the default pool could reach).
SQLITE_POOL_SIZE = 15
# How long opening a PostgreSQL connection may take (s) unless the URL says
# `?connect_timeout=`: an unreachable host is told in seconds, not after TCP's minutes.
POSTGRES_CONNECT_TIMEOUT_S = 10

# What drivers say, as the one-line reason shown to users (first match wins).
_REASONS = (
    ("connection refused", "connection refused"),
    ("timeout expired", "timed out"),
    ("timed out", "timed out"),
    ("password authentication failed", "password authentication failed"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("no route to host", "no route to host"),
)


class DatabaseUnreachable(ScoutError):
    """The database could not be opened. `str(err)` names where (no password) and why."""


def _reason(err: BaseException) -> str:
    """A driver's error as a few words: "connection refused", "unable to open database file"."""
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f"cannot create {err.filename}: {err.strerror.lower()}"
    text = str(getattr(err, "orig", None) or err).strip()
    low = text.lower()
    for needle, reason in _REASONS:
        if needle in low:
            return reason
    first = text.splitlines()[0].strip() if text else type(err).__name__
    return first.removeprefix("connection failed: ")[:160]


def unreachable(url: str, err: BaseException) -> DatabaseUnreachable:
    """The one-line error for a database at `url` that failed to open with `err`."""
    reason = _reason(err)
    try:
        password = make_url(url.strip()).password
    except (ArgumentError, ValueError):
        password = None
    if password:  # drivers rarely echo it; never show it if one does
        reason = reason.replace(str(password), "***")
    verb = "open" if url.strip().lower().startswith("sqlite") else "reach"
    return DatabaseUnreachable(f"cannot {verb} the database at {redact(url)} ({reason})")


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for a typed `DATABASE_URL`, tuned per backend."""
    async_url = to_async_url(url)
    if async_url.startswith("sqlite"):
        options: dict[str, Any] = {}
        if is_sqlite_memory(async_url):
            # Each connection to :memory: is a new empty database: share a single one.
            options["poolclass"] = StaticPool
        else:
            # The default pool (5 kept + 10 overflow) closes overflow connections as they
            # come back; under load each reopen is a new aiosqlite thread and four
            # PRAGMAs, and the churn made chat commands ~15% dearer (bench/RESULTS.md,
            # Slack). Keep the same 15 open instead.
            options.update(pool_size=SQLITE_POOL_SIZE, max_overflow=0)
        engine = create_async_engine(async_url, echo=echo, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    options = {}
    if async_url.startswith("postgresql+psycopg") and "connect_timeout" not in async_url:
        options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    # Instances behind a load balancer outlive database restarts and failovers.
    return create_async_engine(async_url, echo=echo, pool_pre_ping=True, **options)


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


def _open_sqlite_file(engine: AsyncEngine) -> None:
    """Open a SQLite file once with the standard library (raises `sqlite3.Error`).

    A file SQLite cannot open is then told at once: through aiosqlite, the failed
    connection's worker thread outlives the event loop and prints a traceback at exit.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", _MEMORY):
        return
    if database.startswith("file:") or engine.url.query.get("uri") == "true":
        return  # a URI filename with its own options: left to the driver
    sqlite3.connect(database).close()


class Database:
    """Owns the engine and session factory; close it with `aclose()` on shutdown."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def connect(cls, url: str, *, migrate: bool = True, echo: bool = False) -> Self:
        """Connect to `url` (as typed by the user) and bring its schema up to date.

        Raises `DatabaseUrlError` for a URL that names no usable database and
        `DatabaseUnreachable` when the database cannot be opened.
        """
        try:
            engine = make_engine(url, echo=echo)
        except OSError as err:  # the SQLite file's folder could not be created
            raise unreachable(url, err) from err
        try:
            try:
                _open_sqlite_file(engine)
                # Opened once first, so "cannot connect" is told apart from a failing
                # migration (which keeps its own error and traceback).
                async with engine.connect():
                    pass
            except (DBAPIError, sqlite3.Error, OSError) as err:
                raise unreachable(url, err) from err
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
