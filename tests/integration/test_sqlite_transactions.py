"""SQLite transactions stay whole while reads skip the needless COMMIT/ROLLBACK round trips.

`adapters.storage.database` ends a transaction only when SQLite has one open; these tests
count what reaches the driver (aiosqlite's `commit`/`rollback`, each a hop to the
connection's thread) and check that every failed write is still undone. The cache's
group commit (`adapters.storage.cache`) is checked here too: concurrent writes share one
transaction, and a failed one is told to every writer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from adapters.storage.cache import SqlSearchCache
from adapters.storage.database import Database
from adapters.storage.tables import SearchCacheRow, table
from adapters.storage.workspace_settings import SqlWorkspaceSettingsStore
from core.models import PostCounts

DAY = date(2026, 12, 3)
_cache = table(SearchCacheRow)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.connect(f"sqlite:///{tmp_path / 'tx.db'}")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    try:
        yield database
    finally:
        await database.aclose()


@pytest.fixture
def driver_calls(db: Database) -> Counter[str]:
    """How often aiosqlite was asked to commit or roll back (every pooled connection)."""
    calls: Counter[str] = Counter()

    def wrap(conn: Any, name: str) -> None:
        inner = getattr(conn, name)

        def counted() -> Any:
            calls[name] += 1
            return inner()

        setattr(conn, name, counted)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        aiosqlite_conn = dbapi_connection._connection
        wrap(aiosqlite_conn, "commit")
        wrap(aiosqlite_conn, "rollback")

    event.listen(db.engine.sync_engine.pool, "connect", on_connect)
    return calls


async def fresh_pool(db: Database) -> None:
    """Drop the pooled connections, so the next ones pass through `driver_calls`."""
    await db.engine.dispose()


async def rows(db: Database) -> list[tuple[int, str]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text("SELECT id, v FROM t ORDER BY id")))]


async def test_reads_reach_no_commit_or_rollback(db: Database, driver_calls: Counter[str]) -> None:
    await fresh_pool(db)
    store = SqlWorkspaceSettingsStore(db)
    for _ in range(5):
        assert await store.workspace_settings("slack", "T1") is None
    async with db.engine.begin() as conn:  # a read inside begin(): nothing to commit
        await conn.execute(text("SELECT 1"))
    assert driver_calls == Counter()


async def test_a_write_is_committed_once(db: Database, driver_calls: Counter[str]) -> None:
    await fresh_pool(db)
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'kept')"))
    assert driver_calls == Counter(commit=1)
    assert await rows(db) == [(1, "kept")]


async def test_a_failed_write_still_rolls_back(db: Database, driver_calls: Counter[str]) -> None:
    await fresh_pool(db)
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'kept')"))
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (id, v) VALUES (2, 'first'), (3, NULL)"))
    assert driver_calls["rollback"] == 1
    assert await rows(db) == [(1, "kept")]  # the whole statement went


async def test_a_failed_statement_undoes_the_transactions_earlier_writes(
    db: Database, driver_calls: Counter[str]
) -> None:
    await fresh_pool(db)

    async def two_inserts() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'first')"))
            await conn.execute(text("INSERT INTO t (id, v) VALUES (2, NULL)"))  # NOT NULL

    with pytest.raises(IntegrityError):
        await two_inserts()
    assert driver_calls["rollback"] == 1
    assert await rows(db) == []  # the first insert went with the second


async def test_an_error_after_a_write_rolls_it_back(db: Database) -> None:
    async def write_then_fail() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'gone')"))
            raise RuntimeError("after the write")

    with pytest.raises(RuntimeError, match="after the write"):
        await write_then_fail()
    async with db.engine.connect() as conn:  # an explicit rollback of a connect() block
        await conn.execute(text("INSERT INTO t (id, v) VALUES (2, 'also gone')"))
        await conn.rollback()
    async with db.engine.connect() as conn:  # closed with a write pending: rolled back
        await conn.execute(text("INSERT INTO t (id, v) VALUES (3, 'never committed')"))
    assert await rows(db) == []


async def test_an_uncommitted_write_is_not_seen_by_other_connections(db: Database) -> None:
    async with db.engine.connect() as writer:
        await writer.execute(text("INSERT INTO t (id, v) VALUES (1, 'pending')"))
        assert await rows(db) == []
        await writer.commit()
    assert await rows(db) == [(1, "pending")]


# --- the cache's group commit -------------------------------------------------------------


def count_transactions(db: Database) -> Callable[[], int]:
    commits = Counter[str]()

    def on_commit(_conn: Any) -> None:
        commits["commit"] += 1

    event.listen(db.engine.sync_engine, "commit", on_commit)
    return lambda: commits["commit"]


async def cached_rows(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(_cache))).scalar_one())


async def test_concurrent_cache_writes_share_transactions(tmp_path: Path) -> None:
    db = await Database.connect(f"sqlite:///{tmp_path / 'cache.db'}")
    try:
        cache = SqlSearchCache(db)
        commits = count_transactions(db)
        await asyncio.gather(
            *(cache.put_cached(f"k{i}", DAY, value=PostCounts(i)) for i in range(50))
        )
        assert await cached_rows(db) == 50  # each put returned once its row was committed
        assert commits() <= 2  # the first alone at most, then everyone who queued behind it
        for i in (0, 49):
            assert await cache.get_cached(f"k{i}", DAY, kind=PostCounts) == PostCounts(i)
        # Two writes of one key in one batch: the later one wins, as written in turn.
        await asyncio.gather(
            cache.put_cached("same", DAY, value=PostCounts(1)),
            cache.put_cached("same", DAY, value=PostCounts(2)),
        )
        assert await cache.get_cached("same", DAY, kind=PostCounts) == PostCounts(2)
    finally:
        await db.aclose()


async def test_a_failed_cache_commit_is_told_to_every_writer(tmp_path: Path) -> None:
    db = await Database.connect(f"sqlite:///{tmp_path / 'cache.db'}")
    try:
        cache = SqlSearchCache(db)
        async with db.engine.begin() as conn:  # every cache write now fails
            await conn.execute(
                text(
                    "CREATE TRIGGER no_cache BEFORE INSERT ON search_cache "
                    "BEGIN SELECT RAISE(ABORT, 'cache is read-only'); END"
                )
            )
        results = await asyncio.gather(
            *(cache.put_cached(f"k{i}", DAY, value=PostCounts(i)) for i in range(5)),
            return_exceptions=True,
        )
        assert all("cache is read-only" in str(r) for r in results), results
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER no_cache"))
        await cache.put_cached("after", DAY, value=PostCounts(7))  # the writer recovered
        assert await cached_rows(db) == 1
    finally:
        await db.aclose()


# --- one trip to the connection's thread per statement ------------------------------------


@pytest.fixture
def thread_trips(db: Database) -> Counter[str]:
    """Calls aiosqlite ran on a pooled connection's thread, by function name."""
    trips: Counter[str] = Counter()

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        connection = dbapi_connection._connection
        run = connection._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips[getattr(fn, "__name__", "?")] += 1
            return await run(fn, *args, **kwargs)

        connection._execute = counted

    event.listen(db.engine.sync_engine.pool, "connect", on_connect)
    return trips


async def test_a_select_crosses_to_the_thread_once(
    db: Database, thread_trips: Counter[str]
) -> None:
    await fresh_pool(db)
    async with db.engine.connect() as conn:
        thread_trips.clear()  # opening the connection is not the statement's
        assert (await conn.execute(text("SELECT 7"))).scalar_one() == 7
        assert sum(thread_trips.values()) == 1
        thread_trips.clear()
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'one')"))
        await conn.commit()
    assert thread_trips == Counter(run=1, commit=1)  # the insert, then its commit
    assert await rows(db) == [(1, "one")]


@pytest.mark.parametrize("count", [0, 1, 499, 500, 501, 1234])
async def test_every_row_of_a_large_result_is_read(db: Database, count: int) -> None:
    if count:
        async with db.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO t (id, v) VALUES (:id, :v)"),
                [{"id": i, "v": f"v{i}"} for i in range(count)],
            )
    assert [r[0] for r in await rows(db)] == list(range(count))
    async with db.engine.connect() as conn:  # read in pieces, through a server-side cursor
        result = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        seen = [row[0] async for row in result]
        assert seen == list(range(count))
        result = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        first = await result.fetchmany(3)
        one = await result.fetchone()
        rest = await result.fetchall()
        got = [r[0] for r in [*first, *([one] if one else []), *rest]]
        assert got == list(range(count))
