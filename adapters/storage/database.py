"""The database connection: one async engine and session factory per process.

A database that cannot be opened (down, refused, wrong password, a file SQLite cannot
open) is one `DatabaseUnreachable` naming where, without the password; a `DATABASE_URL`
that is no database URL is a `DatabaseUrlError` (`adapters.storage.urls`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

import aiosqlite
import aiosqlite.context
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
        event.listen(engine.sync_engine, "connect", _lean_cursors)
        _skip_idle_commit_and_rollback(engine)
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


def _in_transaction(connection: Any) -> bool:
    """Whether SQLite has a transaction open on `connection` (a pooled aiosqlite one).

    Read on the event loop's thread: `sqlite3.Connection.in_transaction` only asks
    SQLite whether it is in autocommit mode. True when unsure, so the caller goes on.
    """
    try:
        return bool(connection.dbapi_connection._connection._conn.in_transaction)
    except (AttributeError, ValueError, sqlite3.Error):  # another driver, or closed
        return True


def _skip_idle_commit_and_rollback(engine: AsyncEngine) -> None:
    """Make COMMIT and ROLLBACK free when SQLite has no transaction open.

    Python's sqlite3 opens a transaction only before a write, so a read (and the reset
    of a connection going back to the pool) leaves nothing to end, and sqlite3 itself
    then does nothing; through aiosqlite that nothing still cost a round trip to the
    connection's thread and back on every read (bench/RESULTS.md, Slack). Skipped here
    for the same condition sqlite3 checks, so a failed write is still rolled back.
    """
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        if _in_transaction(connection):
            commit(connection)

    def do_rollback(connection: Any) -> None:
        if _in_transaction(connection):
            rollback(connection)

    # Per engine (its own dialect object): other engines keep the driver's behaviour.
    setattr(dialect, "do_commit", do_commit)  # noqa: B010 - a method, set on one instance
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010


# Rows a SELECT brings back with its execution (more are fetched as they are read).
PREFETCH_ROWS = 500


class _LeanCursor(aiosqlite.Cursor):
    """An aiosqlite cursor that crosses to the connection's thread once per statement.

    aiosqlite runs every cursor call on the connection's thread: creating the cursor,
    executing, fetching and closing are four round trips for one SELECT, each a wake-up
    of that thread and of the event loop (~20 % of the bot's loop under chat load,
    bench/RESULTS.md, Slack). Here the statement runs with its first `PREFETCH_ROWS`
    rows in one trip; creating and closing the cursor, which SQLite does in memory,
    happen where they are called (the connection is opened without sqlite3's
    same-thread check, and SQLAlchemy never uses one connection from two places at once).
    """

    _rows: deque[Any] | None = None
    _more = True  # rows may remain past the prefetched ones

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Self:
        cursor = self._cursor
        params: Any = [] if parameters is None else parameters

        def run() -> list[Any] | None:
            cursor.execute(sql, params)
            return None if cursor.description is None else cursor.fetchmany(PREFETCH_ROWS)

        rows = await self._execute(run)  # type: ignore[no-untyped-call]
        self._rows = None if rows is None else deque(rows)
        self._more = rows is not None and len(rows) == PREFETCH_ROWS
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Self:
        self._rows, self._more = None, True
        await super().executemany(sql, parameters)
        return self

    async def executescript(self, sql_script: str) -> Self:
        self._rows, self._more = None, True
        await super().executescript(sql_script)
        return self

    async def fetchone(self) -> Any:
        if self._rows:
            return self._rows.popleft()
        if self._rows is not None and not self._more:
            return None
        return await super().fetchone()

    async def fetchmany(self, size: int | None = None) -> Iterable[Any]:
        wanted = self.arraysize if size is None else size
        rows = self._rows
        if rows is None:
            return await super().fetchmany(size)
        taken = [rows.popleft() for _ in range(min(wanted, len(rows)))]
        if len(taken) < wanted and self._more:
            taken += await super().fetchmany(wanted - len(taken))
        return taken

    async def fetchall(self) -> Iterable[Any]:
        rows, self._rows = self._rows, deque()
        if rows is None:
            return await super().fetchall()
        if not self._more:
            return list(rows)
        self._more = False
        return [*rows, *await super().fetchall()]

    async def close(self) -> None:
        self._rows, self._more = None, False
        self._cursor.close()


def _lean_cursors(dbapi_connection: Any, _record: Any) -> None:
    """Give a new pooled aiosqlite connection `_LeanCursor`s (see there)."""
    connection = getattr(dbapi_connection, "_connection", None)
    if not isinstance(connection, aiosqlite.Connection):
        return
    try:  # opened with sqlite3's same-thread check (`?check_same_thread=true`): as it is
        connection._conn.cursor().close()
    except sqlite3.ProgrammingError:
        return

    def cursor() -> aiosqlite.context.Result[aiosqlite.Cursor]:
        return aiosqlite.context.Result(_opened(_LeanCursor(connection, connection._conn.cursor())))

    # An instance attribute: this connection only (SQLAlchemy calls `cursor()` on it).
    connection.cursor = cursor  # type: ignore[method-assign]


async def _opened(cursor: aiosqlite.Cursor) -> aiosqlite.Cursor:
    return cursor


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
