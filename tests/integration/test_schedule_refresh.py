"""Watchlist refresh and tier alerts on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from core.models import AccountNotice, OutboxStatus, Scope, Tier, TierAlert
from tests.fakes.schedule_fixtures import (
    FixedClock,
    Instance,
    RecordingSink,
    person,
    start_instance,
)
from tests.fakes.x_source import FakeX

T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
SLACK = Scope("slack", "T1", "C1")
DISCORD = Scope("discord", "G1", "42")
CONSOLE = Scope("console", "local", "console")


@pytest.fixture
def x() -> FakeX:
    return FakeX()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


async def _instance(url: str, x: FakeX, clock: FixedClock) -> Instance:
    sinks = {p: RecordingSink(p) for p in ("slack", "discord", "console")}
    return await start_instance(url, x, clock, sinks=dict(sinks))


@pytest.fixture
async def bot(database_url: str, x: FakeX, clock: FixedClock) -> AsyncIterator[Instance]:
    instance = await _instance(database_url, x, clock)
    try:
        yield instance
    finally:
        await instance.aclose()


@pytest.fixture
async def lite_bot(sqlite_url: str, x: FakeX, clock: FixedClock) -> AsyncIterator[Instance]:
    """`bot` on SQLite only, for decisions whose SQL is the same on both backends."""
    instance = await _instance(sqlite_url, x, clock)
    try:
        yield instance
    finally:
        await instance.aclose()


async def track(bot: Instance, x: FakeX, scope: Scope, *uids: str) -> None:
    users = [x.users[u] for u in uids]
    await bot.storage.save_users(users, bot.clock.now())
    await bot.storage.watch(scope, users, added_at=bot.clock.now())


async def count(bot: Instance, sql: str) -> int:
    async with bot.database.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_n_accounts_take_ceil_n_over_100_lookups_and_one_snapshot_each(
    bot: Instance, x: FakeX
) -> None:
    x.add(*(person(str(i), 20_000 + i) for i in range(1, 251)))
    # Overlapping watchlists: 250 distinct accounts across three channels.
    await track(bot, x, SLACK, *(str(i) for i in range(1, 201)))
    await track(bot, x, DISCORD, *(str(i) for i in range(100, 251)))
    await track(bot, x, CONSOLE, "1", "2", "250")
    before = await count(bot, "SELECT count(*) FROM follower_snapshots")
    report = await bot.work.refresher.run()
    assert (report.accounts, report.checked, report.found) == (250, 250, 250)
    assert report.cost.requests == len(x.lookups) == 3
    assert sorted(len(batch) for batch in x.lookups) == [50, 100, 100]
    assert len({uid for batch in x.lookups for uid in batch}) == 250
    assert await count(bot, "SELECT count(*) FROM follower_snapshots") == before + 250
    assert report.alerts == ()
    assert report.notices == ()


async def test_crossing_50k_alerts_each_tracking_channel_once(
    bot: Instance, x: FakeX, clock: FixedClock
) -> None:
    x.add(person("1", 49_000, "jane"), person("2", 30_000, "other"))
    await track(bot, x, SLACK, "1", "2")
    await track(bot, x, DISCORD, "1")
    await bot.work.refresher.run()  # baseline: micro
    # 30 days of slow growth, then past 51,000 (50,000 + 2 %).
    for day, followers in ((1, 49_200), (23, 49_500), (29, 49_990), (30, 50_010)):
        clock.current = T0 + timedelta(days=day)
        x.set_followers("1", followers)
        assert (await bot.work.refresher.run()).alerts == ()
    clock.current = T0 + timedelta(days=30, hours=6)
    x.set_followers("1", 51_234)
    report = await bot.work.refresher.run()
    assert sorted(a.scope.platform for a in report.alerts) == ["discord", "slack"]
    alert = report.alerts[0]
    assert (alert.username, alert.before_tier, alert.after_tier) == ("jane", Tier.MICRO, Tier.MID)
    assert (alert.before_followers, alert.after_followers) == (50_010, 51_234)
    assert alert.growth_7d == pytest.approx(51_234 / 49_500 - 1)
    assert alert.growth_30d == pytest.approx(51_234 / 49_000 - 1)
    # Nothing repeats on later refreshes, and the outbox holds one message per channel.
    for hours in (12, 18, 24):
        clock.current = T0 + timedelta(days=30, hours=hours)
        assert (await bot.work.refresher.run()).alerts == ()
    await bot.work.delivery.deliver_due()
    slack, discord = bot.sinks["slack"], bot.sinks["discord"]
    assert isinstance(slack, RecordingSink)
    assert isinstance(discord, RecordingSink)
    assert [type(n) for n in slack.to("C1")] == [TierAlert]
    assert [type(n) for n in discord.to("42")] == [TierAlert]


async def test_hovering_accounts_raise_no_alert_storm(
    lite_bot: Instance, x: FakeX, clock: FixedClock
) -> None:
    bot = lite_bot
    x.add(*(person(str(i), 49_990) for i in range(10)))
    await track(bot, x, SLACK, *(str(i) for i in range(10)))
    series = [50_010, 49_995, 50_400, 49_700, 50_900, 49_900, 50_050, 49_990]
    alerts = 0
    for step, followers in enumerate(series * 3, 1):
        clock.current = T0 + timedelta(hours=6 * step)
        for i in range(10):
            x.set_followers(str(i), followers + i)
        alerts += len((await bot.work.refresher.run()).alerts)
    assert alerts == 0
    assert (await bot.work.store.outbox_counts())[OutboxStatus.PENDING] == 0


async def test_downward_crossings_alert_too(
    lite_bot: Instance, x: FakeX, clock: FixedClock
) -> None:
    bot = lite_bot
    x.add(person("1", 52_000, "jane"))
    await track(bot, x, SLACK, "1")
    await bot.work.refresher.run()
    clock.advance(hours=6)
    x.set_followers("1", 48_500)
    (alert,) = (await bot.work.refresher.run()).alerts
    assert (alert.before_tier, alert.after_tier) == (Tier.MID, Tier.MICRO)


async def test_suspended_and_renamed_accounts_are_reported_once(
    bot: Instance, x: FakeX, clock: FixedClock
) -> None:
    x.add(person("1", 20_000, "gone_soon"), person("2", 20_000, "old_name"))
    await track(bot, x, SLACK, "1", "2")
    await track(bot, x, DISCORD, "1")
    await bot.work.refresher.run()
    x.remove("1")
    x.rename("2", "new_name")
    clock.advance(hours=6)
    report = await bot.work.refresher.run()
    assert report.missing == ("1",)
    missing = sorted(
        (n.scope.platform, n.username) for n in report.notices if n.status == "missing"
    )
    assert missing == [("discord", "gone_soon"), ("slack", "gone_soon")]
    renamed = [n for n in report.notices if n.status == "renamed"]
    assert [(n.scope, n.detail) for n in renamed] == [(SLACK, "@old_name is now @new_name")]
    for _ in range(3):
        clock.advance(hours=6)
        again = await bot.work.refresher.run()
        assert again.notices == ()
        assert again.checked == 2
    assert await count(bot, "SELECT count(*) FROM accounts WHERE status = 'missing'") == 1
    await bot.work.delivery.deliver_due()
    slack = bot.sinks["slack"]
    assert isinstance(slack, RecordingSink)
    assert all(isinstance(n, AccountNotice) for n in slack.to("C1"))
    assert len(slack.to("C1")) == 2


async def test_two_instances_refreshing_at_once_alert_once(
    database_url: str, x: FakeX, clock: FixedClock
) -> None:
    x.add(*(person(str(i), 49_000) for i in range(150)))
    first = await start_instance(database_url, x, clock, owner="a")
    second = await start_instance(database_url, x, clock, owner="b")
    try:
        await track(first, x, SLACK, *(str(i) for i in range(150)))
        await first.work.refresher.run()
        clock.advance(hours=6)
        for i in range(150):
            x.set_followers(str(i), 52_000)
        a, b = await asyncio.gather(first.work.refresher.run(), second.work.refresher.run())
        assert len(a.alerts) + len(b.alerts) == 150
        assert (await first.work.store.outbox_counts())[OutboxStatus.PENDING] == 150
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_budget_too_small_stops_the_pass_without_overspending(
    sqlite_url: str, x: FakeX, clock: FixedClock
) -> None:
    x.add(*(person(str(i), 20_000) for i in range(250)))
    bot = await start_instance(sqlite_url, x, clock, x_monthly_budget_usd=1.5)
    try:
        await track(bot, x, SLACK, *(str(i) for i in range(250)))
        report = await bot.work.refresher.run()
        # $0.01 a user: one lookup of 100 fits in $1.50, a second would not.
        assert report.cost.requests == 1
        assert report.checked == 100
        assert report.stopped_early
        assert "budget" in report.stopped_early
        assert await bot.scout.meter.spent_this_month() <= 1.5
    finally:
        await bot.aclose()


async def test_untracked_accounts_start_afresh_when_tracked_again(
    lite_bot: Instance, x: FakeX, clock: FixedClock
) -> None:
    bot = lite_bot
    x.add(person("1", 30_000, "jane"))
    await track(bot, x, SLACK, "1")
    await bot.work.refresher.run()
    await bot.storage.unwatch(SLACK, ["jane"])
    await bot.work.refresher.run()  # forgets the state of an account nobody tracks
    x.set_followers("1", 600_000)
    clock.advance(days=60)
    await track(bot, x, DISCORD, "1")
    assert (await bot.work.refresher.run()).alerts == ()  # a new baseline, not stale news
