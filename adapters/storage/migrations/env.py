"""Alembic environment for the bot's schema.

The bot hands over an open connection (`adapters.storage.migrate.upgrade`) in
`config.attributes["connection"]`, inside a transaction it already locked. Without
one (a developer running an Alembic command through `alembic_config(url)`), this
file connects to `config.attributes["url"]` itself. No ini file and no logging
setup: the bot's own logging configuration stays untouched.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.storage.tables import metadata
from adapters.storage.urls import to_async_url

config = context.config
target_metadata = metadata


def _configured_url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No database: pass a connection or a URL to alembic_config(url)")
    return to_async_url(str(url))


def _ours(name: str | None, type_: str, parent_names: object) -> bool:  # noqa: ARG001  alembic's include_name signature
    """Leave out tables another library creates itself (Slack's installation store), so
    autogenerate never proposes dropping them."""
    return not (type_ == "table" and name is not None and name.startswith("slack_"))


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (`alembic upgrade --sql`)."""
    url = _configured_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_async(_configured_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
