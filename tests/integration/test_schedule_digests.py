"""Weekly digests end to end on SQLite and PostgreSQL: DST, restarts, crashes, instances."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.commands import parse_command
from core.errors import ChannelGone
from core.models import Digest, DigestSubscriptionsView, OutboxStatus, Scope, SearchRequest
from core.ports import MessageSink
from tests.fakes.schedule_fixtures import (
    FixedClock,
    Instance,
    RecordingSink,
    fitness_post,
    person,
    start_instance,
)
from tests.fakes.x_source import FakeX

BERLIN = "Europe/Berlin"
MON = 0
GYM = Scope("console", "local", "gym")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def author(uid: str, x: FakeX, at: datetime, followers: int = 20_000) -> None:
    """A micro influencer who starts posting about fitness at `at`."""
    user = person(uid, followers, f"coach{uid}")
    x.add(user)
    x.posts.extend(fitness_post(user, at + timedelta(minutes=i)) for i in range(3))


async def boot(url: str, x: FakeX, clock: FixedClock, owner: str) -> Instance:
    return await start_instance(url, x, clock, sinks={"console": RecordingSink()}, owner=owner)


def sink(bot: Instance, platform: str = "console") -> RecordingSink:
    found = bot.sinks[platform]
    assert isinstance(found, RecordingSink)
    return found


def names(digest: object) -> list[str]:
    assert isinstance(digest, Digest)
    return sorted(c.user.username for c in digest.candidates)


async def test_fitness_digest_fires_at_0900_berlin_every_monday_across_dst_and_a_restart(
    database_url: str,
) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 3, 10, 12))
    bot = await boot(database_url, x, clock, "first")
    await bot.work.digests.subscribe(GYM, "fitness", MON, time(9), BERLIN)
    author("1", x, utc(2026, 3, 11))
    author("2", x, utc(2026, 3, 12))
    new_authors = {utc(2026, 3, 18): "3", utc(2026, 4, 1): "4"}  # none in the week of 23 March
    fired: list[datetime] = []
    received: list[list[str]] = []
    delivered_so_far = 0
    try:
        while clock.now() < utc(2026, 4, 7):
            # Ticks every 6 hours, hourly around Monday mornings (cheaper than all hourly).
            monday_morning = clock.now().weekday() == MON and 4 <= clock.now().hour < 10
            clock.advance(hours=1 if monday_morning or clock.now().hour % 6 else 6)
            if clock.now() in new_authors:
                author(new_authors[clock.now()], x, clock.now())
            if clock.now() == utc(2026, 3, 25):  # the bot restarts mid-way
                await bot.aclose()
                bot = await boot(database_url, x, clock, "second")
                delivered_so_far = 0
            if await bot.work.digests.run_due():
                fired.append(clock.now())
            await bot.work.delivery.deliver_due()
            received.extend(names(notice) for notice in sink(bot).to("gym")[delivered_so_far:])
            delivered_so_far = len(sink(bot).to("gym"))
    finally:
        await bot.aclose()
    # 09:00 in Berlin: 08:00 UTC until the clocks change on 29 March, 07:00 UTC after.
    assert fired == [
        utc(2026, 3, 16, 8),
        utc(2026, 3, 23, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 4, 6, 7),
    ]
    assert received == [["coach1", "coach2"], ["coach3"], [], ["coach4"]]


async def test_a_crash_between_deciding_and_delivering_delivers_once_after_restart(
    database_url: str,
) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    author("1", x, utc(2026, 5, 1))
    first = await boot(database_url, x, clock, "first")
    await first.work.digests.subscribe(GYM, "fitness", MON, time(9), "UTC")
    clock.current = utc(2026, 5, 4, 9)
    assert len(await first.work.digests.run_due()) == 1
    await first.aclose()  # killed before the outbox job ran
    assert sink(first).delivered == []

    second = await boot(database_url, x, clock, "second")
    try:
        assert await second.work.digests.run_due() == []  # the period is done
        assert (await second.work.delivery.deliver_due()).delivered == 1
        assert (await second.work.delivery.deliver_due()).delivered == 0
        assert [names(n) for n in sink(second).to("gym")] == [["coach1"]]
    finally:
        await second.aclose()


async def test_a_crash_while_building_is_taken_over_after_the_lease(database_url: str) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    author("1", x, utc(2026, 5, 1))
    bot = await boot(database_url, x, clock, "survivor")
    try:
        view = await bot.work.digests.subscribe(GYM, "fitness", MON, time(9), "UTC")
        sub = view.subscriptions[0]
        clock.current = utc(2026, 5, 4, 9)
        # Another instance claimed the period, then died before enqueueing anything.
        assert await bot.work.store.claim_digest(
            sub.id,
            date(2026, 5, 4),
            scheduled_at=clock.now(),
            owner="dead",
            now=clock.now(),
            lease=timedelta(minutes=15),
        )
        assert await bot.work.digests.run_due() == []
        clock.advance(minutes=16)
        assert len(await bot.work.digests.run_due()) == 1
        assert await bot.work.digests.run_due() == []
        await bot.work.delivery.deliver_due()
        assert len(sink(bot).to("gym")) == 1
    finally:
        await bot.aclose()


async def test_a_crash_while_delivering_redelivers_after_the_lease(database_url: str) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    author("1", x, utc(2026, 5, 1))
    bot = await boot(database_url, x, clock, "b")
    try:
        await bot.work.digests.subscribe(GYM, "fitness", MON, time(9), "UTC")
        clock.current = utc(2026, 5, 4, 9)
        await bot.work.digests.run_due()
        # Instance "a" leased the message and died before the platform answered.
        leased = await bot.work.store.claim_due(
            ["console"], "a", now=clock.now(), lease=timedelta(minutes=10), limit=10
        )
        assert len(leased) == 1
        assert (await bot.work.delivery.deliver_due()).attempts == 0
        clock.advance(minutes=11)
        assert (await bot.work.delivery.deliver_due()).delivered == 1
        assert len(sink(bot).to("gym")) == 1
    finally:
        await bot.aclose()


async def test_three_instances_firing_the_same_digests_post_once_per_channel(
    database_url: str,
) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    for i in range(12):
        author(str(i), x, utc(2026, 5, 1), followers=15_000 + i)
    bots = [await boot(database_url, x, clock, f"i{n}") for n in range(3)]
    try:
        channels = [Scope("console", "local", f"c{n}") for n in range(10)]
        for scope in channels:
            for niche in ("fitness", "gym"):
                await bots[0].work.digests.subscribe(scope, niche, MON, time(9), BERLIN)
        clock.current = utc(2026, 5, 4, 7)  # 09:00 in Berlin
        decided = await asyncio.gather(*(b.work.digests.run_due() for b in bots))
        assert sum(len(d) for d in decided) == 20
        await asyncio.gather(*(b.work.delivery.deliver_due() for b in bots))
        posts = [(s.channel, n) for b in bots for s, n in sink(b).delivered]
        assert len(posts) == 20
        for scope in channels:
            digests = [n for channel, n in posts if channel == scope.channel]
            assert len(digests) == 2
            # An account is announced in a channel once, whichever niche found it first.
            announced = [u for d in digests for u in names(d)]
            assert len(announced) == len(set(announced)) == 12
        counts = await bots[0].work.store.outbox_counts()
        assert counts[OutboxStatus.DELIVERED] == 20
        assert counts[OutboxStatus.PENDING] == 0
    finally:
        for b in bots:
            await b.aclose()


async def test_after_downtime_only_the_latest_missed_digest_is_sent(sqlite_url: str) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    author("1", x, utc(2026, 5, 1))
    bot = await boot(sqlite_url, x, clock, "b")
    try:
        await bot.work.digests.subscribe(GYM, "fitness", MON, time(9), "UTC")
        clock.current = utc(2026, 5, 27, 15)  # down through three Mondays
        (due,) = await bot.work.digests.run_due()
        assert due.period == date(2026, 5, 25)
        assert await bot.work.digests.run_due() == []
    finally:
        await bot.aclose()


async def test_the_digest_reuses_todays_search_and_spends_nothing_more(sqlite_url: str) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 4, 7))
    author("1", x, utc(2026, 5, 3))
    bot = await boot(sqlite_url, x, clock, "b")
    try:
        await bot.work.digests.subscribe(GYM, "fitness", MON, time(9), "UTC")
        await bot.scout.find(SearchRequest("fitness"))  # someone searched this morning
        searches = x.searches
        clock.current = utc(2026, 5, 4, 9)
        (due,) = await bot.work.digests.run_due()
        assert x.searches == searches
        assert due.digest.cost.requests == 0
        assert names(due.digest) == ["coach1"]
    finally:
        await bot.aclose()


async def test_a_channel_the_bot_left_pauses_its_digests_until_resubscribed(
    sqlite_url: str,
) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    author("1", x, utc(2026, 5, 1))
    slack = RecordingSink("slack")
    bot = await start_instance(sqlite_url, x, clock, sinks={"slack": slack})
    scope = Scope("slack", "T1", "C9")
    try:
        await bot.work.digests.subscribe(scope, "fitness", MON, time(9), "UTC")
        clock.current = utc(2026, 5, 4, 9)
        await bot.work.digests.run_due()
        slack.failures = [ChannelGone("Slack says not_in_channel")]
        assert (await bot.work.delivery.deliver_due()).paused == 1
        view = await bot.work.digests.subscriptions(scope)
        assert view.subscriptions[0].paused
        clock.current = utc(2026, 5, 11, 9)
        assert await bot.work.digests.run_due() == []  # paused: not decided, not retried
        # Invited back: subscribing again resumes the channel and its parked digest.
        await bot.work.digests.subscribe(scope, "fitness", MON, time(9), "UTC")
        assert (await bot.work.delivery.deliver_due()).delivered == 1
        assert len(slack.to("C9")) == 1
    finally:
        await bot.aclose()


async def test_preview_records_nothing(sqlite_url: str) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 4, 8))
    author("1", x, utc(2026, 5, 3))
    bot = await boot(sqlite_url, x, clock, "b")
    try:
        digests = bot.scout.digests
        assert digests is not None
        preview = await digests.preview(GYM, "fitness")
        assert preview.preview
        assert names(preview) == ["coach1"]
        await digests.subscribe(GYM, "fitness", MON, time(9), "UTC")
        clock.current = utc(2026, 5, 4, 9)
        (due,) = await bot.work.digests.run_due()
        assert names(due.digest) == ["coach1"]  # the preview did not use it up
    finally:
        await bot.aclose()


async def test_subscribe_list_unsubscribe(sqlite_url: str) -> None:
    x, clock = FakeX(), FixedClock(utc(2026, 5, 4, 6))
    bot = await boot(sqlite_url, x, clock, "b")
    try:
        digests = bot.scout.digests
        assert digests is not None
        created = await digests.subscribe(GYM, "Fitness", MON, time(9), BERLIN)
        assert "Subscribed" in created.message
        assert "Mon 04 May 09:00 CEST" in created.message
        moved = await digests.subscribe(GYM, "fitness", 2, time(18, 30), "UTC")
        assert "Rescheduled" in moved.message
        (sub,) = moved.subscriptions
        assert (sub.niche, sub.weekday, sub.at, sub.tz) == ("fitness", 2, time(18, 30), "UTC")
        gone = await digests.unsubscribe(GYM, "FITNESS")
        assert gone.subscriptions == ()
        assert "Unsubscribed" in gone.message
        assert "no digest" in (await digests.unsubscribe(GYM, "fitness")).message
    finally:
        await bot.aclose()


async def test_resubscribing_keeps_the_schedule_unless_an_option_changes_it(
    sqlite_url: str,
) -> None:
    """Issue 11: `/digest subscribe fitness` again used to reset the time zone to UTC."""
    x, clock = FakeX(), FixedClock(utc(2026, 5, 4, 6))
    bot = await boot(sqlite_url, x, clock, "b")

    async def typed(text: str) -> DigestSubscriptionsView:
        view = await bot.scout.handle(parse_command("digest", text), GYM)
        assert isinstance(view, DigestSubscriptionsView)
        return view

    def schedule(view: DigestSubscriptionsView) -> tuple[str, int, time, str]:
        (sub,) = view.subscriptions
        return (sub.niche, sub.weekday, sub.at, sub.tz)

    try:
        fresh = await typed("subscribe fitness")
        assert schedule(fresh) == ("fitness", MON, time(9), "UTC")  # a new one: the defaults
        await typed("subscribe fitness day:fri time:18:30 tz:america/new_york")
        again = await typed("subscribe Fitness")
        assert schedule(again) == ("fitness", 4, time(18, 30), "America/New_York")
        assert again.message.startswith('This channel already gets the weekly digest of "fitness"')
        assert "Fridays at 18:30 America/New_York" in again.message
        moved = await typed("subscribe fitness time:07:00")
        assert schedule(moved) == ("fitness", 4, time(7), "America/New_York")
        assert "Rescheduled" in moved.message
        zoned = await typed("subscribe fitness tz:Europe/Berlin")
        assert schedule(zoned) == ("fitness", 4, time(7), BERLIN)
        other = await typed("subscribe yoga")  # another niche is new: the defaults again
        assert {s.niche: s.tz for s in other.subscriptions} == {"fitness": BERLIN, "yoga": "UTC"}
    finally:
        await bot.aclose()


@pytest.mark.parametrize("retry_after", [1, 7])
async def test_slack_answering_429_then_200_gets_the_digest_once(
    sqlite_url: str, retry_after: int
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.sink import SlackSink, single_token
    from tests.fakes.slack_server import FakeSlack

    x, clock = FakeX(), FixedClock(utc(2026, 5, 1))
    author("1", x, utc(2026, 5, 1))
    async with FakeSlack() as slack:
        slack.add_team("T1", "xoxb-test")
        client = AsyncWebClient(base_url=slack.api_url)
        sinks: dict[str, MessageSink] = {"slack": SlackSink(client, single_token("xoxb-test"))}
        bot = await start_instance(sqlite_url, x, clock, sinks=sinks)
        waits: list[float] = []

        async def no_wait(seconds: float) -> None:
            waits.append(seconds)

        bot.work.delivery._sleep = no_wait  # keep the test fast; the waits are recorded
        try:
            await bot.work.digests.subscribe(
                Scope("slack", "T1", "C1"), "fitness", MON, time(9), "UTC"
            )
            clock.current = utc(2026, 5, 4, 9)
            await bot.work.digests.run_due()
            slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=retry_after)
            report = await bot.work.delivery.deliver_due()
            if retry_after > bot.work.delivery.policy.inline_wait_seconds:
                assert report.retrying == 1
                assert report.delivered == 0
                clock.advance(seconds=retry_after - 1)
                assert (await bot.work.delivery.deliver_due()).delivered == 0  # not yet
                clock.advance(seconds=1)
                report = await bot.work.delivery.deliver_due()
            else:
                assert waits
                assert waits[0] >= retry_after
            assert report.delivered == 1
            posts = slack.calls_to("chat.postMessage")
            assert len(posts) == 2
            assert posts[-1].args["channel"] == "C1"
            counts = await bot.work.store.outbox_counts()
            assert counts[OutboxStatus.DELIVERED] == 1
        finally:
            await bot.aclose()
