"""Database fixtures: every storage test runs on a SQLite file and on PostgreSQL.

PostgreSQL comes from `TEST_POSTGRES_URL` (default: the local server, user
`postgres`, then `root`); each test gets its own throwaway database, dropped
afterwards, so tests never see each other's rows. Unreachable: those params skip.
Register in the root conftest: `pytest_plugins = ["tests.fakes.db_fixtures"]`.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from adapters.storage.database import Database
from adapters.storage.store import SqlStorage

__all__ = ["database", "database_url", "storage"]

POSTGRES_ENV = "TEST_POSTGRES_URL"
_DEFAULT_POSTGRES = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


def _libpq(url: str) -> str:
    """psycopg wants `postgresql://`, not SQLAlchemy's `postgresql+driver://`."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def postgres_admin_url() -> str | None:
    """The first PostgreSQL URL that answers within 2 s, or None (checked once a run)."""
    configured = os.environ.get(POSTGRES_ENV)
    for url in (configured,) if configured else _DEFAULT_POSTGRES:
        try:
            with psycopg.connect(_libpq(url), connect_timeout=2, autocommit=True):
                return url
        except psycopg.Error:
            continue
    return None


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A `DATABASE_URL` as a user would type it, naming an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(f"PostgreSQL not reachable (set {POSTGRES_ENV})")
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(_libpq(admin)).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A connected, migrated `Database`, disposed after the test."""
    db = await Database.connect(database_url)
    try:
        yield db
    finally:
        await db.aclose()


@pytest.fixture
async def storage(database: Database) -> SqlStorage:
    """`SqlStorage` over the test's database (closed with the `database` fixture)."""
    return SqlStorage(database)
