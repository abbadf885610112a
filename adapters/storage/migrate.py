"""Bring a database schema to the latest Alembic revision, safely on every start.

The Alembic config is built in code and points at the migrations shipped inside
this package, so it works from a wheel and from any working directory. Several
instances starting at once take turns: PostgreSQL through an advisory lock,
SQLite through `BEGIN IMMEDIATE` (its database-wide write lock).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.storage.urls import redact, to_async_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Arbitrary but fixed: every instance of the bot must use the same key.
# (Advisory locks are per database, so other databases on the server are unaffected.)
MIGRATION_LOCK_KEY = 0x1F_B07_5C0A7

# How long a second SQLite process waits for the first one's migration (ms).
_SQLITE_LOCK_WAIT_MS = 60_000

# Alembic keeps its running context in module globals, so two upgrades in one
# process must never interleave. One lock per event loop (tests run many loops).
_process_locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic `Config` for the packaged migrations (no ini file needed).

    With `url`, Alembic commands run outside the bot (e.g. `command.revision(...,
    autogenerate=True)` by a developer) connect there themselves.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # Kept out of the ini options: configparser would choke on `%` in passwords.
        config.attributes["url"] = url
    return config


async def migrate(url: str) -> None:
    """Apply `upgrade head` to the database at `url`; a no-op when already current.

    Not for `sqlite:///:memory:` (the schema would vanish with this connection):
    `Database.connect` migrates its own engine instead.
    """
    engine = create_async_engine(to_async_url(url), poolclass=NullPool)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` in one locked transaction."""
    loop = asyncio.get_running_loop()
    lock = _process_locks.setdefault(loop, asyncio.Lock())
    logger.info("Checking database schema of %s", redact(str(engine.url)))
    async with lock, engine.begin() as connection:
        await connection.run_sync(_upgrade_locked, revision)


def _upgrade_locked(connection: Connection, revision: str) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Released by the commit; a second instance waits here, then finds nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif dialect == "sqlite":
        # The driver would only BEGIN before DML; take the write lock up front instead
        # so DDL and the version row commit together and other processes wait.
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_LOCK_WAIT_MS}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    config = alembic_config()
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, revision)
    except CommandError as exc:
        # Typically an older bot started against a schema a newer one migrated.
        raise RuntimeError(
            f"Cannot migrate the database to {revision!r}: {exc}. "
            "Is a newer version of the bot using this database?"
        ) from exc
