"""Pacing a refresh at X's user-lookup limit (`core.pacing`), on a simulated clock.

`WindowedX` answers 429 to any request past its window's limit, so a pass that spends
a window twice over, or lets two workers both send the window's last request, fails.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.models import RateLimit
from core.pacing import Pacer, PaceStop
from core.refresh import REFRESH_LEASE
from tests.fakes.memory import FixedClock
from tests.fakes.x_window import PacedWorld, SimSleep

T0 = datetime(2026, 6, 1, 6, 0, 30, tzinfo=UTC)
LIMIT = 10  # requests per 15-minute window: 30 lookups take three windows
IDS = [str(10_000 + i) for i in range(3_000)]


def world() -> PacedWorld:
    return PacedWorld.of(T0, IDS, limit=LIMIT, every=timedelta(hours=6))


async def test_two_workers_spread_a_pass_over_the_windows_without_a_429() -> None:
    sim = world()
    refresher = sim.refresher("a")
    report = await refresher.run_due()
    assert report is not None
    assert report.complete, report.stopped_early
    assert (report.checked, report.cost.requests) == (3_000, 30)
    assert (sim.x.served, sim.x.rejected, sim.x.windows) == (30, 0, 3)
    assert refresher.pacer.waits == 2
    # Two windows waited out, no more: the third is left as soon as its work is done.
    assert timedelta(minutes=30) <= sim.clock.now() - T0 < timedelta(minutes=31)
    # The claim was renewed while waiting, each time before its lease ran out.
    lease_until = T0 + REFRESH_LEASE
    assert len(sim.claims.renewals) >= 3
    for _, until in sim.claims.renewals:
        assert until - REFRESH_LEASE <= lease_until
        lease_until = until


async def test_a_cancelled_pass_resumes_with_only_what_was_left() -> None:
    sim = world()
    first = sim.refresher("a")
    task = asyncio.create_task(first.run_due())

    def die() -> None:
        # the process dies while waiting for the first reset, no lookup in flight
        if first.pacer.in_flight == 0:
            task.cancel()

    sim.sleep.hook = die
    with pytest.raises(asyncio.CancelledError):
        await task
    sim.sleep.hook = None
    assert sim.x.served == LIMIT
    # Restarted once the dead owner's lease ran out.
    sim.clock.advance(seconds=REFRESH_LEASE.total_seconds() + 1)
    resumed = await sim.refresher("b").run_due()
    assert resumed is not None
    assert resumed.complete, resumed.stopped_early
    assert resumed.accounts == 3_000 - LIMIT * 100
    assert sim.x.served == 30  # every account looked up once over both processes
    assert sim.x.looked_up == set(IDS)
    # (The restart, a lease after the death, came after the window's reset.)
    assert sim.x.rejected == 0


async def test_a_reset_further_than_max_wait_is_not_waited_for() -> None:
    clock = FixedClock(T0)
    sleep = SimSleep(clock)
    pacer = Pacer(clock, sleep, max_wait=900)
    await pacer.acquire()
    await pacer.limited(T0 + timedelta(hours=2))
    with pytest.raises(PaceStop) as stop:
        await pacer.acquire()
    assert stop.value.reset_at == T0 + timedelta(hours=2)
    assert sleep.calls == 0


async def test_a_source_without_limits_is_not_paced() -> None:
    pacer = Pacer(FixedClock(T0), SimSleep(FixedClock(T0)))
    await pacer.acquire()
    await pacer.release(None)
    await asyncio.wait_for(asyncio.gather(pacer.acquire(), pacer.acquire()), timeout=1)
    assert pacer.in_flight == 2


async def test_someone_else_spending_the_window_is_believed() -> None:
    clock = FixedClock(T0)
    sleep = SimSleep(clock)
    pacer = Pacer(clock, sleep)
    reset = T0 + timedelta(minutes=15)
    await pacer.acquire()  # the probe
    await pacer.release(RateLimit(300, 299, reset))
    await pacer.acquire()
    await pacer.acquire()
    # 5 left by X's count, although we sent only 3 of 300: another client spends it too.
    await pacer.release(RateLimit(300, 5, reset))
    for _ in range(4):  # 5 minus the one still in flight
        await pacer.acquire()
    assert sleep.calls == 0
    for _ in range(5):
        await pacer.release(RateLimit(300, 0, reset))
    await pacer.acquire()  # none left: waits for the reset
    assert clock.now() >= reset
    assert sleep.calls > 0


async def test_a_restart_inside_a_spent_window_learns_it_from_one_429_and_waits() -> None:
    sim = world()
    sim.x.turns = 0  # answers at once: nothing is in flight when the first wait begins
    first = sim.refresher("a")
    task = asyncio.create_task(first.run_due())
    sim.sleep.hook = task.cancel
    with pytest.raises(asyncio.CancelledError):
        await task
    sim.sleep.hook = None
    assert sim.x.served == LIMIT
    sim.clock.advance(seconds=REFRESH_LEASE.total_seconds() + 1)  # still in that window
    resumed = await sim.refresher("b").run_due()
    assert resumed is not None
    assert resumed.complete, resumed.stopped_early
    # The new process knew nothing of the window the dead one spent: its first lookup
    # was refused, it waited for the reset, and nothing else was refused.
    assert sim.x.rejected == 1
    assert sim.x.served == 30
    assert resumed.cost.requests == 20
