"""Tier states per (account, tiering) on real SQLite and PostgreSQL (issue 12, item 5).

The SQL store's compare-and-set and cleanup per tiering, migration 0006 over existing
states, and a refresh through the SQL store where two workspaces follow their own
boundaries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from adapters.storage.database import Database
from adapters.storage.migrate import upgrade
from adapters.storage.store import SqlScheduleStore, SqlStorage
from core.costs import CostMeter, Prices
from core.models import AccountStatus, Scope, StateChange, Tier, TierState
from core.refresh import Refresher
from core.tiers import TierBoundaries
from core.workspace_settings import WorkspaceSettings, workspace_key
from tests.fakes import db_fixtures
from tests.fakes.memory import FixedClock, MemoryWorkspaceSettings
from tests.fakes.schedule_fixtures import person, start_instance
from tests.fakes.x_source import FakeX

database_url = db_fixtures.database_url
database = db_fixtures.database
storage = db_fixtures.storage

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
A = Scope("slack", "TA", "C1")
B = Scope("slack", "TB", "C2")
B_KEY = workspace_key("slack", "TB")


def state(tiering: str, version: int = 1, tier: Tier | None = Tier.NANO) -> TierState:
    return TierState("1", "jane", tier, 9_000, AccountStatus.ACTIVE, version, T0, tiering)


async def test_each_tiering_has_its_own_compare_and_set(storage: SqlStorage) -> None:
    store = SqlScheduleStore(storage.database)
    first = [StateChange(state(""), None), StateChange(state(B_KEY), None)]
    assert len(await store.apply_state_changes(first, T0)) == 2
    # A second insert of the same (account, tiering) loses; the other tiering is untouched.
    assert await store.apply_state_changes([StateChange(state(""), None)], T0) == []
    won = StateChange(state(B_KEY, 2, Tier.MICRO), 1)
    lost = StateChange(state("", 2, Tier.MICRO), 7)  # computed from a version long gone
    assert await store.apply_state_changes([won, lost], T0) == [won]
    states = await store.tier_states(["1"])
    assert set(states) == {("1", ""), ("1", B_KEY)}
    assert (states[("1", "")].tier, states[("1", "")].version) == (Tier.NANO, 1)
    assert states[("1", B_KEY)] == state(B_KEY, 2, Tier.MICRO)


async def test_forget_untracked_drops_tierings_no_watching_workspace_uses(
    storage: SqlStorage,
) -> None:
    store = SqlScheduleStore(storage.database)
    jane = person("1", 9_000, "jane")
    await storage.save_users([jane], T0)
    await storage.watch(A, [jane], added_at=T0)
    await storage.watch(B, [jane], added_at=T0)
    stale = "slack:TGONE"
    await store.apply_state_changes([StateChange(state(t), None) for t in ("", B_KEY, stale)], T0)
    # B still has its own values: only the tiering nobody follows goes.
    assert await store.forget_untracked(tierings={("slack", "TB"): B_KEY}) == 1
    assert set(await store.tier_states(["1"])) == {("1", ""), ("1", B_KEY)}
    # B reset: its state goes, the deployment's stays (A and B follow it now).
    assert await store.forget_untracked(tierings={}) == 1
    assert set(await store.tier_states(["1"])) == {("1", "")}
    # Nobody on the deployment's values tracks it any more: that state goes too.
    await storage.unwatch(A, ["jane"])
    await store.apply_state_changes([StateChange(state(B_KEY), None)], T0)
    assert await store.forget_untracked(tierings={("slack", "TB"): B_KEY}) == 1
    assert set(await store.tier_states(["1"])) == {("1", B_KEY)}


async def test_migration_0006_keeps_existing_states_under_the_default_tiering(
    database_url: str,
) -> None:
    db = await Database.connect(database_url, migrate=False)
    try:
        await upgrade(db.engine, "0005")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tier_states (user_id, username, tier, followers, status,"
                    " version, changed_at) VALUES ('1', 'jane', 'micro', 12000, 'active', 3,"
                    " :at), ('2', 'raj', NULL, 0, 'missing', 1, :at)"
                ),
                {"at": T0},
            )
        await upgrade(db.engine)
        store = SqlScheduleStore(db)
        states = await store.tier_states(["1", "2"])
        assert set(states) == {("1", ""), ("2", "")}
        assert (states[("1", "")].tier, states[("1", "")].version) == (Tier.MICRO, 3)
        # The primary key is (user_id, tiering) now: a workspace's own state fits beside.
        assert await store.apply_state_changes([StateChange(state(B_KEY), None)], T0)
        assert set(await store.tier_states(["1"])) == {("1", ""), ("1", B_KEY)}
    finally:
        await db.aclose()


async def test_a_refresh_alerts_each_workspace_by_its_own_boundaries(
    storage: SqlStorage,
) -> None:
    x = FakeX([person("1", 9_000, "jane")])
    clock = FixedClock(T0)
    store = SqlScheduleStore(storage.database)
    settings = MemoryWorkspaceSettings(
        {("slack", "TB"): WorkspaceSettings(bounds=TierBoundaries(micro=20_000))}
    )
    refresher = Refresher(
        x,
        storage,
        store,
        CostMeter(storage, clock, Prices(), None),
        clock,
        claims=store,
        owner="test",
        every=timedelta(hours=6),
        settings=settings,
    )
    jane = x.users["1"]
    await storage.save_users([jane], T0)
    await storage.watch(A, [jane], added_at=T0)
    await storage.watch(B, [jane], added_at=T0)

    async def step(followers: int) -> list[tuple[str, Tier | None, Tier | None]]:
        clock.advance(hours=6)
        x.set_followers("1", followers)
        report = await refresher.run()
        return [(a.scope.channel, a.before_tier, a.after_tier) for a in report.alerts]

    assert await step(9_000) == []
    assert await step(12_000) == [("C1", Tier.NANO, Tier.MICRO)]
    assert await step(21_000) == [("C2", Tier.NANO, Tier.MICRO)]
    async with storage.database.engine.connect() as conn:
        keys = list((await conn.execute(text("SELECT dedupe_key FROM outbox"))).scalars())
    assert len(keys) == 2
    assert any(B_KEY in k for k in keys)
    assert any(B_KEY not in k for k in keys)
    # Reset B: it joins the deployment's state (micro) silently, its own is forgotten.
    settings.settings.clear()
    assert await step(21_500) == []
    assert set(await store.tier_states(["1"])) == {("1", "")}
    alerts = await step(52_000)
    assert sorted(alerts) == [("C1", Tier.MICRO, Tier.MID), ("C2", Tier.MICRO, Tier.MID)]


async def test_the_wired_refresh_follows_settings_saved_in_the_database(sqlite_url: str) -> None:
    x = FakeX([person("1", 9_000, "jane")])
    clock = FixedClock(T0)
    bot = await start_instance(sqlite_url, x, clock)
    try:
        jane = x.users["1"]
        await bot.storage.save_users([jane], T0)
        await bot.storage.watch(A, [jane], added_at=T0)
        await bot.storage.watch(B, [jane], added_at=T0)
        own = WorkspaceSettings(bounds=TierBoundaries(micro=20_000), updated_at=T0)
        await bot.storage.save_workspace_settings("slack", "TB", own, changes=())
        channels: list[list[str]] = []
        for followers in (9_000, 12_000, 21_000):
            clock.advance(hours=6)
            x.set_followers("1", followers)
            report = await bot.work.refresher.run()
            channels.append([a.scope.channel for a in report.alerts])
        assert channels == [[], ["C1"], ["C2"]]
        # The watchlist shows each workspace's tier by its own boundaries.
        clock.advance(hours=6)
        x.set_followers("1", 15_000)
        await bot.work.refresher.run()
        assert [e.tier for e in (await bot.scout.watchlists.view(A)).entries] == [Tier.MICRO]
        assert [e.tier for e in (await bot.scout.watchlists.view(B)).entries] == [Tier.NANO]
    finally:
        await bot.aclose()
