"""SQL storage on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, inspect, text
from sqlalchemy.engine import Connection, make_url

from adapters.storage.database import Database, make_engine
from adapters.storage.discord_state import SqlDiscordState
from adapters.storage.migrate import MIGRATION_LOCK_KEY, alembic_config, migrate, upgrade
from adapters.storage.store import SqlStorage
from adapters.storage.tables import metadata
from adapters.storage.urls import redact, to_async_url
from core.models import (
    Candidate,
    FoundCandidates,
    Mention,
    Post,
    PostCounts,
    Reason,
    ReasonKind,
    RejectedOperator,
    Scope,
    SearchPage,
    Tier,
    TimelinePage,
    XUser,
)
from core.ports import Cached
from tests.fakes import db_fixtures

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

# tests/conftest.py registers these too; naming them here lets this file run alone.
database_url = db_fixtures.database_url
database = db_fixtures.database
storage = db_fixtures.storage

REPO_ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = date(2026, 3, 1)
TABLES = {
    "accounts",
    "follower_snapshots",
    "discoveries",
    "watchlist",
    "search_cache",
    "x_usage",
    "x_reads",
    "discord_command_syncs",
    "discord_guild_niches",
}


def user(uid: str, username: str, followers: int = 20_000, **extra: Any) -> XUser:
    return XUser(
        id=uid,
        username=username,
        name=extra.pop("name", username.title()),
        followers=followers,
        following=extra.pop("following", 300),
        post_count=extra.pop("post_count", 1_000),
        **extra,
    )


async def scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


# -- URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("sqlite:////srv/bot/bot.db", "sqlite+aiosqlite:////srv/bot/bot.db"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("sqlite://", "sqlite+aiosqlite:///:memory:"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("sqlite+pysqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("  sqlite:///bot.db\n", "sqlite+aiosqlite:///bot.db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u:p@h:6543/db", "postgresql+psycopg://u:p@h:6543/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        (
            "postgresql://u@h/db?sslmode=require",
            "postgresql+psycopg://u@h/db?sslmode=require",
        ),
        ("postgresql://u:p%40ss%2F@h/db", "postgresql+psycopg://u:p%40ss%2F@h/db"),
    ],
)
def test_typed_urls_get_an_async_driver(typed: str, expected: str) -> None:
    assert to_async_url(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "not a url",
        "mysql://u:secret@h/db",
        "mongodb://u:secret@h/db",
        "sqlite://data/bot.db",
        "postgresql://u:secret@h",
    ],
)
def test_unsupported_urls_get_a_friendly_error_without_the_password(typed: str) -> None:
    with pytest.raises(ValueError, match="sqlite:///") as excinfo:
        to_async_url(typed)
    assert "secret" not in str(excinfo.value)


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bot.db"
    assert to_async_url(f"sqlite:///{path}") == f"sqlite+aiosqlite:///{path}"
    assert path.parent.is_dir()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:s3cret@db.internal:5432/bot",
        "postgresql+psycopg://bot:s3cret@db/bot?sslmode=require",
        "://bot:s3cret@db/bot",  # unparseable: still scrubbed
    ],
)
def test_redact_hides_the_password(url: str) -> None:
    shown = redact(url)
    assert "s3cret" not in shown
    assert "***" in shown
    assert "bot" in shown


# -- Migrations --------------------------------------------------------------------


async def _schema(url: str) -> tuple[set[str], list[str]]:
    db = await Database.connect(url, migrate=False)
    try:
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            versions = list(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
    finally:
        await db.aclose()
    return tables, versions


async def test_migrate_is_idempotent(database_url: str) -> None:
    await migrate(database_url)
    await migrate(database_url)
    tables, versions = await _schema(database_url)
    assert tables >= TABLES | {"alembic_version"}
    assert versions == [HEAD]


async def test_migrations_match_the_models(database: Database) -> None:
    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


# The Discord tables as versions before migration 0004 created them (`create_all`).
_OLD_DISCORD = MetaData()
_old_syncs = Table(
    "discord_command_syncs",
    _OLD_DISCORD,
    Column("application_id", String(32), primary_key=True),
    Column("target", String(64), primary_key=True),
    Column("payload_hash", String(64), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)
_old_niches = Table(
    "discord_guild_niches",
    _OLD_DISCORD,
    Column("guild_id", String(32), primary_key=True),
    Column("niche_key", String(100), primary_key=True),
    Column("niche", String(100), nullable=False),
    Column("uses", Integer, nullable=False, default=1),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
)


async def test_discord_tables_made_before_migrations_are_kept(database_url: str) -> None:
    db = await Database.connect(database_url, migrate=False)
    try:
        await upgrade(db.engine, "0003")
        async with db.engine.begin() as conn:
            await conn.run_sync(_OLD_DISCORD.create_all)
            await conn.execute(
                _old_niches.insert().values(
                    guild_id="7", niche_key="yoga", niche="Yoga", uses=3, last_used_at=T0
                )
            )
            await conn.execute(
                _old_syncs.insert().values(
                    application_id="1", target="global", payload_hash="a" * 64, synced_at=T0
                )
            )
        await upgrade(db.engine)

        state = SqlDiscordState(db)
        assert await state.niches(7, "") == ["Yoga"]
        assert await state.last_sync(1, "global") == "a" * 64
        await state.remember_niche(7, "yoga")
        assert await scalar(db, "SELECT uses FROM discord_guild_niches") == 4

        def diff(conn: Connection) -> list[Any]:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.aclose()
    assert (await _schema(database_url))[1] == [HEAD]


def test_instances_starting_together_migrate_once(database_url: str) -> None:
    script = "import asyncio, sys; from adapters.storage.migrate import migrate; " + (
        "asyncio.run(migrate(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script, database_url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    tables, versions = asyncio.run(_schema(database_url))
    assert tables >= TABLES
    assert versions == [HEAD]


async def test_migrate_waits_for_another_instance(database_url: str) -> None:
    """While another process holds the migration lock, `migrate` waits for it."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        assert path
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder.rollback
    else:
        holder_pg = psycopg.connect(database_url, autocommit=True)
        holder_pg.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))

        def release() -> None:
            holder_pg.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))

    task = asyncio.create_task(migrate(database_url))
    try:
        await asyncio.sleep(0.5)
        assert not task.done()
        release()
        await asyncio.wait_for(task, timeout=30)
    finally:
        if database_url.startswith("sqlite"):
            holder.close()
        else:
            holder_pg.close()
    assert (await _schema(database_url))[1] == [HEAD]


async def test_in_memory_sqlite_is_migrated_and_usable() -> None:
    db = await Database.connect("sqlite://")
    try:
        store = SqlStorage(db)
        await store.save_users([user("1", "solo")], T0)
        assert set(await store.users_by_username(["SOLO"])) == {"solo"}
    finally:
        await db.aclose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = await Database.connect(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        assert await scalar(db, "PRAGMA journal_mode") == "wal"
        assert await scalar(db, "PRAGMA foreign_keys") == 1
        assert await scalar(db, "PRAGMA busy_timeout") > 0
    finally:
        await db.aclose()


async def test_database_repr_hides_the_password() -> None:
    # Creating an engine does not connect, so no server is needed here.
    db = Database(make_engine("postgres://bot:s3cret@db.internal/bot"))
    try:
        assert db.dialect == "postgresql"
        assert "s3cret" not in repr(db)
        assert "bot:***@db.internal" in db.url
    finally:
        await db.aclose()


# -- SearchCache -------------------------------------------------------------------


async def test_cache_is_per_key_and_day(storage: SqlStorage) -> None:
    counts = PostCounts(12_000, (1_000, 2_000))
    await storage.put_cached("counts|fitness", DAY, value=counts)

    assert await storage.get_cached("counts|fitness", DAY, kind=PostCounts) == counts
    later = DAY + timedelta(days=1)
    assert await storage.get_cached("counts|fitness", later, kind=PostCounts) is None
    assert await storage.get_cached("counts|yoga", DAY, kind=PostCounts) is None

    await storage.put_cached("counts|fitness", DAY, value=PostCounts(0))
    assert await storage.get_cached("counts|fitness", DAY, kind=PostCounts) == PostCounts(0)


async def test_cache_keeps_every_cached_kind(storage: SqlStorage) -> None:
    anna = user("1", "anna", created_at=T0)
    post = Post("9", "1", "Leg day", created_at=T0, mentions=(Mention("2", "bob"),))
    candidate = Candidate(
        anna, Tier.MICRO, 0.02, 0.8, 0.0, 70.0, (Reason(ReasonKind.STRENGTH, "x"),)
    )
    values: list[Cached] = [
        SearchPage((post,), (anna,), next_token="t2"),
        TimelinePage((post,), unavailable=None),
        TimelinePage((), unavailable="protected"),
        PostCounts(40, (10, 30)),
        FoundCandidates((candidate,)),
        RejectedOperator("min_likes"),
    ]
    for n, value in enumerate(values):
        await storage.put_cached(f"k{n}", DAY, value=value)
    for n, value in enumerate(values):
        kind: Any = type(value)  # one of the union's members; mypy sees only the union
        assert await storage.get_cached(f"k{n}", DAY, kind=kind) == value


# -- UsageLedger -------------------------------------------------------------------


async def test_mark_read_counts_only_ids_new_that_day(storage: SqlStorage) -> None:
    assert await storage.mark_read(DAY, "post", ids=["a", "b", "c"]) == 3
    assert await storage.mark_read(DAY, "post", ids=["b", "c", "d", "d"]) == 1
    assert await storage.mark_read(DAY, "post", ids=["a", "d"]) == 0
    assert await storage.mark_read(DAY, "user", ids=["a", "b"]) == 2
    assert await storage.mark_read(DAY + timedelta(days=1), "post", ids=["a"]) == 1
    assert await storage.mark_read(DAY, "post", ids=[]) == 0


async def test_mark_read_handles_large_batches(storage: SqlStorage) -> None:
    ids = [str(n) for n in range(2_500)]
    assert await storage.mark_read(DAY, "post", ids=ids) == 2_500
    assert await storage.mark_read(DAY, "post", ids=[*ids, "new"]) == 1


async def test_concurrent_mark_read_charges_each_id_once(storage: SqlStorage) -> None:
    ids = [f"p{n}" for n in range(200)]
    counts = await asyncio.gather(
        *(storage.mark_read(DAY, "post", ids=ids[n::3] + ids[: 50 + n]) for n in range(6))
    )
    assert sum(counts) == len(ids)


async def test_usage_sums_days_in_range(storage: SqlStorage) -> None:
    await storage.record_usage(date(2026, 1, 31), requests=9, posts_read=9, users_read=9, usd=9.0)
    await storage.record_usage(date(2026, 2, 1), requests=1, posts_read=100, users_read=10, usd=0.6)
    await storage.record_usage(date(2026, 2, 1), requests=2, posts_read=50, users_read=5, usd=0.3)
    await storage.record_usage(date(2026, 2, 28), requests=1, posts_read=10, users_read=0, usd=0.05)
    await storage.record_usage(date(2026, 3, 1), requests=7, posts_read=7, users_read=7, usd=7.0)

    assert await storage.spent_usd(date(2026, 2, 1), date(2026, 2, 28)) == pytest.approx(0.95)
    cost = await storage.usage(date(2026, 2, 1), date(2026, 2, 28))
    assert (cost.requests, cost.posts_read, cost.users_read) == (4, 160, 15)
    assert await storage.spent_usd(date(2025, 1, 1), date(2025, 12, 31)) == 0.0


async def test_concurrent_usage_records_are_not_lost(storage: SqlStorage) -> None:
    await asyncio.gather(
        *(
            storage.record_usage(DAY, requests=1, posts_read=10, users_read=2, usd=0.07)
            for _ in range(20)
        )
    )
    cost = await storage.usage(DAY, DAY)
    assert (cost.requests, cost.posts_read, cost.users_read) == (20, 200, 40)
    assert cost.usd == pytest.approx(1.4)


async def test_prune_drops_only_older_days(storage: SqlStorage) -> None:
    old, today = DAY - timedelta(days=2), DAY
    await storage.put_cached("k", old, value=RejectedOperator("v1"))
    await storage.put_cached("k", today, value=RejectedOperator("v2"))
    await storage.mark_read(old, "post", ids=["1", "2"])
    await storage.mark_read(today, "post", ids=["1"])

    assert await storage.prune(before=today) == 3
    assert await storage.get_cached("k", old, kind=RejectedOperator) is None
    assert await storage.get_cached("k", today, kind=RejectedOperator) == RejectedOperator("v2")
    assert await storage.mark_read(today, "post", ids=["1"]) == 0


# -- AccountStore ------------------------------------------------------------------


async def test_save_users_upserts_and_appends_snapshots(storage: SqlStorage) -> None:
    db = storage.database
    await storage.save_users([user("1", "Alice", 9_000), user("2", "bob", 30_000)], T0)
    later = T0 + timedelta(days=1)
    renamed = user("1", "AliceFit", 12_500, name="Alice F.", description="coach")
    await storage.save_users([renamed], later)

    found = await storage.users_by_username(["alicefit", "alice", "bob"])
    assert set(found) == {"alicefit", "bob"}
    assert found["alicefit"] == renamed
    assert await scalar(db, "SELECT count(*) FROM accounts") == 2
    followers = await _column(
        db, "SELECT followers FROM follower_snapshots WHERE user_id = '1' ORDER BY observed_at"
    )
    assert followers == [9_000, 12_500]
    assert await scalar(db, "SELECT count(*) FROM follower_snapshots") == 3


async def test_save_users_keeps_first_seen_and_last_sighting(storage: SqlStorage) -> None:
    later = T0 + timedelta(hours=5)
    await storage.save_users([user("1", "alice")], T0)
    await storage.save_users([user("1", "alice", 100), user("1", "alice", 200)], later)
    async with storage.database.engine.connect() as conn:
        row = (
            await conn.execute(metadata.tables["accounts"].select().where(text("user_id = '1'")))
        ).one()
    assert row.first_seen_at == T0
    assert row.last_seen_at == later
    assert row.followers == 200
    assert row.status == "active"


async def test_users_by_username_ignores_case_and_at_sign(storage: SqlStorage) -> None:
    await storage.save_users([user("1", "FitAnna"), user("2", "run_bob")], T0)
    found = await storage.users_by_username(["@fitanna", "FITANNA", " Run_Bob ", "nobody", ""])
    assert {key: u.id for key, u in found.items()} == {"fitanna": "1", "run_bob": "2"}
    assert found["fitanna"].username == "FitAnna"
    assert await storage.users_by_username([]) == {}


async def test_accounts_x_lost_are_not_known_until_seen_again(storage: SqlStorage) -> None:
    await storage.save_users([user("1", "gone_anna"), user("2", "still_bob")], T0)
    # The refresh marks accounts X stopped returning (adapters/storage/tier_states.py does it).
    async with storage.database.engine.begin() as conn:
        await conn.execute(text("UPDATE accounts SET status = 'missing' WHERE user_id = '1'"))
    assert set(await storage.users_by_username(["gone_anna", "still_bob"])) == {"still_bob"}
    await storage.save_users([user("1", "gone_anna")], T0 + timedelta(days=1))
    assert set(await storage.users_by_username(["gone_anna"])) == {"gone_anna"}
    db = storage.database
    assert await scalar(db, "SELECT status FROM accounts WHERE user_id = '1'") == "active"


async def test_users_by_ids_skips_old_sightings_and_lost_accounts(storage: SqlStorage) -> None:
    await storage.save_users([user("1", "anna"), user("2", "bob")], T0)
    await storage.save_users([user("3", "cleo")], T0 + timedelta(hours=30))
    async with storage.database.engine.begin() as conn:
        await conn.execute(text("UPDATE accounts SET status = 'missing' WHERE user_id = '2'"))
    everyone = await storage.users_by_ids(["1", "2", "3", "4", ""])
    assert set(everyone) == {"1", "3"}  # lost (2) and unknown (4) are not served
    recent = await storage.users_by_ids(["1", "3"], seen_since=T0 + timedelta(hours=24))
    assert set(recent) == {"3"}
    assert recent["3"].username == "cleo"
    many = [str(i) for i in range(5_000)]
    assert set(await storage.users_by_ids(many)) == {"1", "3"}  # chunked IN lists


async def test_record_discoveries_returns_first_time_ids(storage: SqlStorage) -> None:
    db = storage.database
    assert await storage.record_discoveries("Home Fitness", ["1", "2"], found_at=T0) == {"1", "2"}
    assert await storage.record_discoveries(" home  fitness", ["2", "3", "3"], found_at=T0) == {"3"}
    assert await storage.record_discoveries("yoga", ["1"], found_at=T0) == {"1"}
    assert await storage.record_discoveries("yoga", [], found_at=T0) == set()

    later = T0 + timedelta(days=7)
    assert await storage.record_discoveries("home fitness", ["2"], found_at=later) == set()
    times = await scalar(db, "SELECT times_found FROM discoveries WHERE user_id = '2'")
    assert times == 3
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(metadata.tables["discoveries"].select().where(text("user_id = '2'")))
        ).one()
    assert (row.first_found_at, row.last_found_at) == (T0, later)


async def test_concurrent_discoveries_announce_each_account_once(storage: SqlStorage) -> None:
    ids = [str(n) for n in range(60)]
    found = await asyncio.gather(
        *(
            storage.record_discoveries("fitness", ids[n:] + ids[:n], found_at=T0)
            for n in range(0, 60, 10)
        )
    )
    assert sorted(uid for batch in found for uid in batch) == sorted(ids)


# -- WatchlistStore ----------------------------------------------------------------

TEAM_A = Scope("slack", "T-A", "C-general")
TEAM_B = Scope("slack", "T-B", "C-general")
DISCORD = Scope("discord", "T-A", "C-general")


async def test_watch_reports_added_and_already_tracked(storage: SqlStorage) -> None:
    alice, bob, carol = user("1", "alice"), user("2", "Bob"), user("3", "carol")
    await storage.save_users([alice, bob, carol], T0)

    assert await storage.watch(TEAM_A, [alice, bob, alice], added_at=T0) == (["alice", "Bob"], [])
    assert await storage.watch(TEAM_A, [bob, carol], added_at=T0) == (["carol"], ["Bob"])
    assert await storage.watch(TEAM_A, [], added_at=T0) == ([], [])

    entries = await storage.watchlist(TEAM_A)
    assert [e.username for e in entries] == ["alice", "Bob", "carol"]
    assert entries[1].user_id == "2"
    assert entries[1].name == "Bob"
    assert entries[1].followers == 20_000
    assert entries[1].tier is None
    assert entries[1].added_at == T0


async def test_unwatch_ignores_case_and_reports_removed(storage: SqlStorage) -> None:
    alice, bob = user("1", "Alice"), user("2", "bob")
    await storage.save_users([alice, bob], T0)
    await storage.watch(TEAM_A, [alice, bob], added_at=T0)

    assert await storage.unwatch(TEAM_A, ["@ALICE", "nobody", "alice"]) == ["Alice"]
    assert await storage.unwatch(TEAM_A, ["alice"]) == []
    assert [e.username for e in await storage.watchlist(TEAM_A)] == ["bob"]
    assert await storage.unwatch(TEAM_A, []) == []


async def test_scopes_never_see_or_change_each_other(storage: SqlStorage) -> None:
    alice, bob = user("1", "alice"), user("2", "bob")
    await storage.save_users([alice, bob], T0)
    await storage.watch(TEAM_A, [alice, bob], added_at=T0)

    assert await storage.watchlist(TEAM_B) == []
    assert await storage.watchlist(DISCORD) == []
    assert await storage.unwatch(TEAM_B, ["alice", "bob"]) == []
    assert await storage.unwatch(DISCORD, ["alice"]) == []
    assert await storage.watch(TEAM_B, [alice], added_at=T0) == (["alice"], [])

    assert [e.username for e in await storage.watchlist(TEAM_A)] == ["alice", "bob"]
    assert await storage.unwatch(TEAM_B, ["alice"]) == ["alice"]
    assert [e.username for e in await storage.watchlist(TEAM_A)] == ["alice", "bob"]
    assert [e.username for e in await storage.watchlist(TEAM_B)] == []


async def test_watchlist_follows_renames_and_latest_numbers(storage: SqlStorage) -> None:
    await storage.save_users([user("1", "oldname", 9_000)], T0)
    await storage.watch(TEAM_A, [user("1", "oldname", 9_000)], added_at=T0)
    await storage.save_users([user("1", "NewName", 51_000)], T0 + timedelta(days=1))

    [entry] = await storage.watchlist(TEAM_A)
    assert (entry.username, entry.followers) == ("NewName", 51_000)
    assert await storage.unwatch(TEAM_A, ["oldname"]) == ["NewName"]

    # Tracked without a saved profile: still listed, under the handle it was added as.
    await storage.watch(TEAM_A, [user("9", "ghost")], added_at=T0)
    [ghost] = await storage.watchlist(TEAM_A)
    assert (ghost.username, ghost.name, ghost.followers) == ("ghost", "", None)


# -- Datetimes ---------------------------------------------------------------------


async def test_aware_datetimes_round_trip_as_utc(storage: SqlStorage) -> None:
    plus5 = timezone(timedelta(hours=5))
    created = datetime(2019, 6, 1, 17, 30, 15, 123456, tzinfo=plus5)
    added = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-7)))
    await storage.save_users([user("1", "tz", created_at=created)], added)
    await storage.watch(TEAM_A, [user("1", "tz")], added_at=added)
    naive = datetime(2026, 3, 1, 9, 0)  # noqa: DTZ001  deliberately naive: read as UTC
    await storage.watch(TEAM_A, [user("2", "naive")], added_at=naive)

    stored = (await storage.users_by_username(["tz"]))["tz"].created_at
    entries = {e.username: e for e in await storage.watchlist(TEAM_A)}
    for value, expected in [
        (stored, created),
        (entries["tz"].added_at, added),
        # Naive input is taken as UTC.
        (entries["naive"].added_at, datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
    ]:
        assert value == expected
        assert value is not None
        assert value.utcoffset() == timedelta(0)


async def _column(db: Database, sql: str) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text(sql))).scalars())
