"""The refresh at scale (issue 13): tracked ids read in pages, answers written in groups,
on real SQLite and PostgreSQL databases.

- pages give every tracked account once, least recently seen first, and an account
  saved while the pages are read (by the pass itself) is not met again;
- first tier states another instance recorded first are not applied (nor told) twice;
- a pass writes its lookups in groups, far fewer transactions than lookups;
- the budget check counts answers not charged yet, and charges them before it refuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from core.costs import CostMeter, Prices
from core.models import AccountStatus, OutboxMessage, Scope, StateChange, Tier, TierAlert, TierState
from core.refresh import Refresher
from tests.fakes.schedule_fixtures import FixedClock, Instance, person, start_instance
from tests.fakes.x_source import FakeX

T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
SLACK = Scope("slack", "T1", "C1")
DISCORD = Scope("discord", "G1", "42")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(database_url: str, clock: FixedClock) -> AsyncIterator[Instance]:
    instance = await start_instance(database_url, FakeX(), clock)
    try:
        yield instance
    finally:
        await instance.aclose()


async def _pages(
    bot: Instance, *, started: datetime, size: int, not_seen_since: datetime | None = None
) -> list[list[str]]:
    pages = bot.work.store.tracked_user_id_pages(
        not_seen_since=not_seen_since, started=started, size=size
    )
    return [page async for page in pages]


async def test_pages_hold_every_tracked_account_once_least_recently_seen_first(
    bot: Instance, clock: FixedClock
) -> None:
    people = [person(str(i), 20_000 + i) for i in range(1, 12)]
    # Seen at different times (not in id order), some tracked in two channels, one
    # tracked without ever being saved as an account.
    for hours, group in ((5, people[6:]), (1, people[:3]), (3, people[3:6])):
        await bot.storage.save_users(group, T0 - timedelta(hours=hours))
    await bot.storage.watch(SLACK, people, added_at=T0)
    await bot.storage.watch(DISCORD, people[2:8], added_at=T0)
    await bot.storage.watch(DISCORD, [person("99", 5_000)], added_at=T0)
    expected = await bot.work.store.tracked_user_ids()
    assert expected[0] == "99"  # never seen: first
    pages = await _pages(bot, started=clock.now(), size=3)
    assert [uid for page in pages for uid in page] == expected
    assert all(len(page) <= 3 for page in pages)
    assert await bot.work.store.tracked_count() == len(expected) == 12
    # Resuming: only those not seen since.
    since = T0 - timedelta(hours=2)
    resumed = await bot.work.store.tracked_user_ids(not_seen_since=since)
    pages = await _pages(bot, not_seen_since=since, started=clock.now(), size=2)
    assert [uid for page in pages for uid in page] == resumed
    assert await bot.work.store.tracked_count(not_seen_since=since) == len(resumed) == 9


async def test_an_account_saved_while_the_pages_are_read_is_not_met_again(
    bot: Instance, clock: FixedClock
) -> None:
    people = [person(str(i), 20_000 + i) for i in range(10, 30)]
    await bot.storage.save_users(people[:15], T0 - timedelta(hours=6))
    # Five saved at the very instant the pass starts (a clock that has not moved).
    await bot.storage.save_users(people[15:], T0)
    await bot.storage.watch(SLACK, people, added_at=T0)
    expected = await bot.work.store.tracked_user_ids()
    seen: list[str] = []
    async for page in bot.work.store.tracked_user_id_pages(started=clock.now(), size=4):
        seen.extend(page)
        # What a pass does with each page: saved now, so seen after the pass began...
        await bot.storage.save_users([p for p in people if p.id in page], clock.now())
        clock.advance(seconds=1)
    assert sorted(seen) == sorted(expected)  # ...and each account met exactly once
    assert len(seen) == len(set(seen)) == 20
    assert seen[-5:] == expected[-5:]  # those seen at the start instant: last


async def test_first_states_recorded_elsewhere_first_are_not_applied_twice(
    bot: Instance,
) -> None:
    people = [person(str(i), 20_000) for i in (1, 2, 3)]
    await bot.storage.save_users(people, T0)
    await bot.storage.watch(SLACK, people, added_at=T0)

    def first(uid: str, followers: int) -> StateChange:
        state = TierState(uid, f"u{uid}", Tier.MICRO, followers, AccountStatus.ACTIVE, 1, T0)
        alert = TierAlert(SLACK, uid, f"u{uid}", "", None, Tier.MICRO, 0, followers, T0)
        return StateChange(state, None, (OutboxMessage(f"k{uid}|{followers}", SLACK, alert),))

    store = bot.work.store
    assert len(await store.apply_state_changes([first("2", 20_000)], T0)) == 1
    # Another instance got "2" in first: of this batch only "1" and "3" are applied.
    applied = await store.apply_state_changes(
        [first("1", 21_000), first("2", 22_000), first("3", 23_000)], T0
    )
    assert sorted(c.state.user_id for c in applied) == ["1", "3"]
    states = await store.tier_states(["1", "2", "3"])
    assert {uid: s.followers for (uid, _), s in states.items()} == {
        "1": 21_000,
        "2": 20_000,
        "3": 23_000,
    }
    async with bot.database.engine.connect() as conn:
        keys = (await conn.execute(text("SELECT dedupe_key FROM outbox"))).scalars().all()
    assert sorted(keys) == ["k1|21000", "k2|20000", "k3|23000"]


async def test_a_pass_writes_its_lookups_in_groups(sqlite_url: str, clock: FixedClock) -> None:
    x = FakeX()
    x.add(*(person(str(1_000 + i), 20_000 + i) for i in range(3_000)))
    bot = await start_instance(sqlite_url, x, clock)
    try:
        users = [x.users[str(1_000 + i)] for i in range(3_000)]
        await bot.storage.save_users(users, clock.now())
        await bot.storage.watch(SLACK, users, added_at=clock.now())
        clock.advance(hours=6)
        commits: list[int] = []
        event.listen(bot.database.engine.sync_engine, "commit", lambda _: commits.append(1))
        report = await bot.work.refresher.run()
        assert (report.checked, report.cost.requests, report.cost.users_read) == (3_000, 30, 3_000)
        assert len(x.lookups) == 30
        # Per lookup, one at a time, this was 4 transactions (charge: 2, first states,
        # accounts): 120. In groups a charge, the states and the accounts go for many.
        assert len(commits) <= 30, len(commits)
        async with bot.database.engine.connect() as conn:
            snapshots = await conn.execute(text("SELECT count(*) FROM follower_snapshots"))
            assert snapshots.scalar_one() == 6_000
    finally:
        await bot.aclose()


async def test_the_budget_charges_what_was_answered_before_it_refuses_a_lookup(
    sqlite_url: str, clock: FixedClock
) -> None:
    """Users already read today cost nothing: with $2.50 left, two lookups' worst case
    fits (one in flight, one to send), three do not: answers not charged yet (the
    writer busy with another group) are charged (at $0) before a lookup is refused."""
    x = FakeX()
    x.add(*(person(str(i), 20_000) for i in range(3_000)))
    bot = await start_instance(sqlite_url, x, clock, x_monthly_budget_usd=2.5)
    try:
        users = [x.users[str(i)] for i in range(3_000)]
        await bot.storage.save_users(users, clock.now())
        await bot.storage.watch(SLACK, users, added_at=clock.now())
        await bot.storage.mark_read(clock.now().date(), "user", ids=[u.id for u in users])
        clock.advance(minutes=30)
        meter = CostMeter(bot.storage, clock, Prices(), 2.5)
        store = bot.work.store
        refresher = Refresher(
            x,
            bot.storage,
            store,
            meter,
            clock,
            claims=store,
            owner="b",
            every=timedelta(hours=6),
            concurrency=2,
        )
        report = await refresher.run()
        assert report.complete, report.stopped_early
        assert (report.checked, report.cost.requests, report.cost.usd) == (3_000, 30, 0.0)
        assert await meter.spent_this_month() == 0.0
    finally:
        await bot.aclose()
