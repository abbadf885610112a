"""The APScheduler jobs: defined at start-up, stateless, each period run once across instances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.runner import scheduled_work
from bot.scheduler import (
    DIGEST_JOB,
    MAINTENANCE_JOB,
    OUTBOX_JOB,
    REFRESH_JOB,
    BotScheduler,
)
from bot.wiring import Services, services
from core.models import OutboxStatus, Scope
from core.refresh import refresh_period
from tests.fakes.schedule_fixtures import (
    FixedClock,
    RecordingSink,
    fitness_post,
    person,
    schedule_settings,
)
from tests.fakes.x_source import FakeX

T0 = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)  # a Monday
SCOPE = Scope("console", "local", "team")


@pytest.fixture
def x() -> FakeX:
    source = FakeX()
    source.add(*(person(str(i), 49_000 + i) for i in range(5)))
    return source


@pytest.fixture
async def two(database_url: str, x: FakeX) -> AsyncIterator[tuple[FixedClock, Services, Services]]:
    clock = FixedClock(T0)
    settings = schedule_settings(database_url, scheduler_enabled=True)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(services(settings, clock=clock, x=x))
        b = await stack.enter_async_context(services(settings, clock=clock, x=x))
        for svc in (a, b):
            svc.sinks["console"] = RecordingSink()
        users = list(x.users.values())
        await a.storage.save_users(users, clock.now())
        await a.storage.watch(SCOPE, users, added_at=clock.now())
        yield clock, a, b


def test_refresh_periods_are_aligned_to_midnight_utc() -> None:
    every = timedelta(hours=6)
    assert refresh_period(datetime(2026, 5, 4, 13, 59, tzinfo=UTC), every) == datetime(
        2026, 5, 4, 12, tzinfo=UTC
    )
    assert refresh_period(datetime(2026, 5, 4, 0, 0, tzinfo=UTC), every) == datetime(
        2026, 5, 4, 0, tzinfo=UTC
    )


async def test_jobs_are_defined_at_start_up_and_stop_cleanly(
    two: tuple[FixedClock, Services, Services],
) -> None:
    _, a, _ = two
    scheduler = BotScheduler(a)
    scheduler.start()
    try:
        assert sorted(scheduler.job_ids()) == sorted(
            [REFRESH_JOB, DIGEST_JOB, OUTBOX_JOB, MAINTENANCE_JOB]
        )
        await asyncio.sleep(0.2)  # the start-up catch-up run of every job
    finally:
        await scheduler.stop()
    assert scheduler.job_ids() == []


async def test_a_refresh_period_runs_once_across_instances(
    two: tuple[FixedClock, Services, Services], x: FakeX
) -> None:
    clock, a, b = two
    first, second = BotScheduler(a), BotScheduler(b)
    reports = await asyncio.gather(first.refresh_tick(), second.refresh_tick())
    assert sum(r is not None for r in reports) == 1
    assert len(x.lookups) == 1
    clock.advance(hours=1)
    assert await first.refresh_tick() is None
    assert await second.refresh_tick() is None
    for i in range(5):
        x.set_followers(str(i), 52_000)
    clock.advance(hours=6)  # the next period
    report = await second.refresh_tick() or await first.refresh_tick()
    assert report is not None
    assert len(report.alerts) == 5
    # The alerts were delivered right after the refresh, once.
    delivered = [n for s in (a, b) for _, n in s.sinks["console"].delivered]  # type: ignore[attr-defined]
    assert len(delivered) == 5


async def test_a_dead_instances_refresh_is_resumed_after_its_lease(
    two: tuple[FixedClock, Services, Services], x: FakeX
) -> None:
    clock, a, _ = two
    clock.advance(hours=6)  # a period that began after the accounts were last seen
    period = refresh_period(clock.now(), timedelta(hours=6))
    key = f"refresh|{period.isoformat()}"
    assert await a.work.store.claim_job(key, "dead", now=clock.now(), lease=timedelta(minutes=10))
    # It refreshed two accounts before dying.
    clock.advance(minutes=1)
    await a.storage.save_users([x.users["0"], x.users["1"]], clock.now())
    scheduler = BotScheduler(a)
    assert await scheduler.refresh_tick() is None  # its lease still holds
    clock.advance(minutes=10)
    report = await scheduler.refresh_tick()
    assert report is not None
    assert report.checked == 3


async def test_the_digest_tick_decides_and_delivers(
    two: tuple[FixedClock, Services, Services], x: FakeX
) -> None:
    clock, a, b = two
    user = person("77", 20_000, "coach77")
    x.add(user)
    x.posts.append(fitness_post(user, clock.now()))
    assert a.scout.digests is not None
    await a.work.digests.subscribe(SCOPE, "fitness", 0, time(9), "Europe/Berlin")
    clock.current = datetime(2026, 5, 11, 7, 0, tzinfo=UTC)
    await asyncio.gather(BotScheduler(a).digest_tick(), BotScheduler(b).digest_tick())
    delivered = [n for s in (a, b) for _, n in s.sinks["console"].delivered]  # type: ignore[attr-defined]
    assert len(delivered) == 1
    counts = await a.work.store.outbox_counts()
    assert counts[OutboxStatus.DELIVERED] == 1


async def test_the_runner_starts_and_stops_the_scheduler(
    two: tuple[FixedClock, Services, Services],
    x: FakeX,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, a, _ = two
    started: list[BotScheduler] = []

    class Spy(BotScheduler):
        def start(self) -> None:
            super().start()
            started.append(self)

    monkeypatch.setattr("bot.scheduler.BotScheduler", Spy)
    async with scheduled_work(a):
        assert len(started) == 1
        assert sorted(started[0].job_ids()) == sorted(
            [REFRESH_JOB, DIGEST_JOB, OUTBOX_JOB, MAINTENANCE_JOB]
        )
        for _ in range(50):  # the start-up catch-up refresh looks the accounts up
            if x.lookups:
                break
            await asyncio.sleep(0.02)
        assert len(x.lookups) == 1
    assert started[0].job_ids() == []
    a.settings.scheduler_enabled = False
    async with scheduled_work(a):
        await asyncio.sleep(0.05)
    assert len(started) == 1
    assert len(x.lookups) == 1
