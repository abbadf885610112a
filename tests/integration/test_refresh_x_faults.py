"""X faults in the middle of a scheduled refresh pass (issue 13): the real tweepy-based
client against the local fake X, the real SQLite stores, a clock that moves only when the
code sleeps.

For each fault the pass waits or stops as it should, says why in plain words, loses
nothing it already refreshed, pays for nothing twice, and the next attempt resumes with
the accounts not refreshed yet.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.console.schedule_render import render_refresh
from adapters.x.client import TweepyXSource
from core.costs import CostMeter, Prices
from core.models import Scope, XUser
from core.refresh import Refresher, RefreshReport
from tests.fakes.schedule_fixtures import FixedClock, Instance, start_instance
from tests.fakes.x_fixtures import X_TEST_TOKEN, x_dataset
from tests.fakes.x_server import FakeXServer

# One minute into the 06:00-12:00 UTC refresh period.
T0 = datetime(2026, 5, 4, 6, 1, tzinfo=UTC)
EVERY = timedelta(hours=6)
N = 500  # five lookups of 100 ids
SLACK = Scope("slack", "T1", "C1")
USERS = "/2/users"  # the prefix of the lookup by ids (a pass makes no other request)
USER_USD = 0.010


def _dataset() -> dict[str, Any]:
    """N accounts X knows, made from one account of the default dataset."""
    template = x_dataset()["users"][0]
    users = []
    for i in range(N):
        user = copy.deepcopy(template)
        user["id"], user["username"] = str(3_000_000_000 + i), f"acct{i}"
        users.append(user)
    return {"users": users, "posts": []}


@dataclass
class World:
    clock: FixedClock
    server: FakeXServer
    x: TweepyXSource
    bot: Instance
    slept: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        """Every wait (backoff, rate limits) passes on the clock only."""
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    def refresher(self, owner: str = "bot-a", concurrency: int = 2) -> Refresher:
        meter = CostMeter(self.bot.storage, self.clock, Prices(), None)
        store = self.bot.work.store
        return Refresher(
            self.x,
            self.bot.storage,
            store,
            meter,
            self.clock,
            claims=store,
            owner=owner,
            every=EVERY,
            concurrency=concurrency,
            sleep=self.sleep,
        )

    def lookups(self) -> list[list[str]]:
        return [r.query["ids"].split(",") for r in self.server.requests_to(USERS)]

    async def not_refreshed(self) -> set[str]:
        start = T0.replace(minute=0)
        return set(await self.bot.work.store.tracked_user_ids(not_seen_since=start))


@pytest.fixture
async def world(sqlite_url: str) -> AsyncIterator[World]:
    clock = FixedClock(T0 - timedelta(days=1))
    server = FakeXServer(_dataset(), bearer=X_TEST_TOKEN, clock=lambda: clock.now().timestamp())
    async with server:
        w = World(clock, server, None, None)  # type: ignore[arg-type]  # filled in below
        w.x = TweepyXSource(
            X_TEST_TOKEN,
            base_url=server.base_url,
            timeout=1.0,  # a hang of 2.5 s is past it; a loaded CI machine still answers in time
            max_retries=2,
            backoff_base=0.01,
            sleep=w.sleep,
            clock=clock.now,
        )
        w.bot = await start_instance(sqlite_url, w.x, clock)
        try:
            # Tracked the day before the period: none of them is fresh yet.
            await _track(w, [str(u["id"]) for u in server.data["users"]])
            server.requests.clear()
            server.reset_billing()
            clock.current = T0
            yield w
        finally:
            await w.x.aclose()
            await w.bot.aclose()


async def _track(w: World, ids: list[str]) -> None:
    users: list[XUser] = []
    for i in range(0, len(ids), 100):
        users.extend((await w.x.users_by_ids(ids[i : i + 100])).users)
    assert len(users) == N
    await w.bot.storage.save_users(users, w.clock.now())
    await w.bot.storage.watch(SLACK, users, added_at=w.clock.now())


def _paid_once(w: World, *reports: RefreshReport) -> None:
    """Every account read once: by X's bill and by our own meter, across the passes."""
    assert w.server.billing().users == N
    assert sum(r.cost.users_read for r in reports) == N
    assert sum(r.cost.requests for r in reports) == N // 100
    assert sum(r.cost.usd for r in reports) == pytest.approx(N * USER_USD)


async def test_a_429_with_a_near_reset_is_waited_out_and_the_pass_completes(world: World) -> None:
    world.server.set_rate_limit("users", reset_in=300)
    world.server.fail_next(USERS, 429, after=2)
    refresher = world.refresher()
    report = await refresher.run_due()
    assert report is not None
    assert report.complete, report.stopped_early
    assert report.checked == N
    assert len(world.lookups()) == N // 100 + 1  # the one refused, then sent again
    assert refresher.pacer.waits == 1
    assert world.clock.now() >= T0 + timedelta(seconds=300)  # waited for the reset
    assert await world.not_refreshed() == set()
    _paid_once(world, report)


async def test_a_429_resetting_too_far_stops_and_the_first_tick_after_the_reset_resumes(
    world: World,
) -> None:
    world.server.set_rate_limit("users", reset_in=2 * 3600)
    world.server.fail_next(USERS, 429, after=2)
    refresher = world.refresher()
    first = await refresher.run_due()
    assert first is not None
    assert first.stopped_early is not None
    assert "rate limit" in first.stopped_early
    assert "08:01 UTC (in 2 h 00 min)" in first.stopped_early
    assert "not refreshed yet come first" in first.stopped_early
    assert first.checked == 200
    assert len(await world.not_refreshed()) == N - 200
    # The claim waits for the reset: ticks before it do nothing, and ask X nothing.
    world.clock.advance(minutes=1)
    assert await refresher.run_due() is None
    assert await world.refresher("bot-b").run_due() is None
    sent = len(world.lookups())
    world.clock.current = T0 + timedelta(hours=2, minutes=1)
    resumed = await world.refresher("bot-b").run_due()
    assert resumed is not None
    assert resumed.complete, resumed.stopped_early
    assert resumed.accounts == N - 200  # only what was left
    assert len(world.lookups()) == sent + 3
    assert await world.not_refreshed() == set()
    _paid_once(world, first, resumed)
    # Finished: the rest of the period needs nothing more.
    world.clock.advance(minutes=1)
    assert await refresher.run_due() is None


async def test_the_pacer_stops_before_x_says_429_when_the_window_runs_out(world: World) -> None:
    world.server.set_rate_limit("users", remaining=3, reset_in=3 * 3600)
    report = await world.refresher().run_due()
    assert report is not None
    assert report.stopped_early is not None
    assert "used up until 09:01 UTC" in report.stopped_early
    assert report.checked == 300
    assert len(world.lookups()) == 3  # never a request X would refuse


async def test_a_short_503_burst_is_retried_with_backoff(world: World) -> None:
    world.server.fail_next(USERS, 503, times=2, after=1)
    report = await world.refresher().run_due()
    assert report is not None
    assert report.complete, report.stopped_early
    assert len(world.lookups()) == N // 100 + 2
    assert len([s for s in world.slept if s < 1]) == 2  # two backoffs
    _paid_once(world, report)


async def test_a_long_503_burst_stops_with_a_reason_and_the_next_tick_resumes(
    world: World,
) -> None:
    world.server.fail_next(USERS, 503, times=3, after=2)  # every attempt of one lookup
    refresher = world.refresher(concurrency=1)
    first = await refresher.run_due()
    assert first is not None
    assert first.stopped_early is not None
    assert "X is not answering (503) after 3 attempts" in first.stopped_early
    assert first.checked == 200
    assert len(world.lookups()) == 5
    # The next scheduler tick in the same period resumes; it does not wait for 12:00.
    world.clock.advance(minutes=1)
    resumed = await refresher.run_due()
    assert resumed is not None
    assert resumed.complete, resumed.stopped_early
    assert resumed.accounts == N - 200
    # The accounts not refreshed yet, each looked up once more, nothing else.
    left = {uid for batch in world.lookups()[5:] for uid in batch}
    assert len(left) == N - 200
    assert not left & {uid for batch in world.lookups()[:2] for uid in batch}
    _paid_once(world, first, resumed)


async def test_a_hang_past_the_client_timeout_is_retried(world: World) -> None:
    world.server.fail_next(USERS, 200, kind="hang", hold=2.5, after=1)
    report = await world.refresher().run_due()
    assert report is not None
    assert report.complete, report.stopped_early
    assert await world.not_refreshed() == set()
    # X served the hung request too, after the client gave up: billed once all the same.
    _paid_once(world, report)


async def test_hangs_on_every_attempt_stop_the_pass_and_the_next_tick_resumes(
    world: World,
) -> None:
    world.server.fail_next(USERS, 200, kind="hang", hold=2.5, times=3, after=1)
    refresher = world.refresher(concurrency=1)
    first = await refresher.run_due()
    assert first is not None
    assert first.stopped_early is not None
    assert "X is not answering (timed out) after 3 attempts" in first.stopped_early
    assert first.checked == 100
    world.clock.advance(minutes=1)
    resumed = await refresher.run_due()
    assert resumed is not None
    assert resumed.complete
    assert (first.checked + resumed.checked, resumed.accounts) == (N, N - 100)
    assert await world.not_refreshed() == set()


async def test_a_connection_cut_mid_body_is_retried(world: World) -> None:
    world.server.fail_next(USERS, 200, kind="cut", times=2, after=1)
    report = await world.refresher().run_due()
    assert report is not None
    assert report.complete, report.stopped_early
    assert len(world.lookups()) == N // 100 + 2
    assert await world.not_refreshed() == set()
    _paid_once(world, report)


async def test_cuts_on_every_attempt_stop_the_pass_in_words_a_user_understands(
    world: World,
) -> None:
    world.server.fail_next(USERS, 200, kind="cut", times=3, after=1)
    first = await world.refresher(concurrency=1).run_due()
    assert first is not None
    assert first.stopped_early is not None
    assert "broke off in the middle of the answer" in first.stopped_early
    assert "Error" not in first.stopped_early  # no exception names
    assert first.checked == 100


async def test_402_stops_at_once_and_the_next_period_starts_with_what_was_left(
    world: World,
) -> None:
    world.server.fail_next(USERS, 402, after=2)
    refresher = world.refresher()
    first = await refresher.run_due()
    assert first is not None
    assert first.stopped_early is not None
    assert "402" in first.stopped_early
    assert "credits" in first.stopped_early
    assert len(world.lookups()) == 3  # never retried
    assert first.checked == 200
    assert f"Stopped early: {first.stopped_early}." in render_refresh(first)
    left = await world.not_refreshed()
    assert len(left) == N - 200
    # Money does not come back by itself: no retry in this period...
    world.clock.advance(minutes=1)
    assert await refresher.run_due() is None
    assert len(world.lookups()) == 3
    # ...the next one starts with the accounts the stopped pass did not reach.
    world.clock.current = T0 + EVERY
    following = await refresher.run_due()
    assert following is not None
    assert following.complete
    assert following.accounts == N
    # least recently seen first: the three lookups the 402 left undone go first
    assert {uid for batch in world.lookups()[3:6] for uid in batch} == left
