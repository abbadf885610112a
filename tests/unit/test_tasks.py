"""`TaskTracker`: work done within the grace period, stragglers cancelled, failures logged."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.tasks import TaskTracker

log = logging.getLogger("tests.tasks")


async def test_a_task_that_finishes_within_the_grace_period_completes() -> None:
    tracker = TaskTracker(log)
    finished: list[str] = []

    async def work() -> None:
        await asyncio.sleep(0.01)
        finished.append("done")

    task = tracker.spawn(work(), "quick")
    assert len(tracker) == 1
    await tracker.drain(grace=5)
    assert finished == ["done"]
    assert task.done()
    assert not task.cancelled()
    assert len(tracker) == 0


async def test_a_task_still_running_after_the_grace_period_is_cancelled() -> None:
    tracker = TaskTracker(log)
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    task = tracker.spawn(slow(), "slow")
    await started.wait()
    await tracker.drain(grace=0.01)
    assert cancelled == [True]
    assert task.cancelled()


async def test_an_exception_is_logged_under_the_tasks_name_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = TaskTracker(log, failure="job %s failed")

    async def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger=log.name):
        task = tracker.spawn(broken(), "broken")
        await tracker.drain(grace=5)
    assert task.exception() is None  # logged here, not left for "never retrieved"
    (record,) = [r for r in caplog.records if r.name == log.name]
    assert record.getMessage() == "job broken failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


async def test_a_tracked_current_task_is_not_waited_for_by_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = TaskTracker(log, waiting="waiting for %d task(s)")
    other_done = asyncio.Event()

    async def other() -> None:
        tracker.track_current()
        await asyncio.sleep(0.01)
        other_done.set()

    async def shutting_down() -> None:
        tracker.track_current()  # e.g. an interaction whose handler closes the bot
        await tracker.drain(grace=5)

    other_task = asyncio.create_task(other())
    await asyncio.sleep(0)
    with caplog.at_level(logging.INFO, logger=log.name):
        await asyncio.wait_for(asyncio.create_task(shutting_down()), timeout=5)
    assert other_done.is_set()
    assert other_task.done()
    assert [r.getMessage() for r in caplog.records if r.name == log.name] == [
        "waiting for 1 task(s)"
    ]


async def test_draining_nothing_returns_at_once(caplog: pytest.LogCaptureFixture) -> None:
    tracker = TaskTracker(log, waiting="waiting for %d task(s)")
    done = tracker.spawn(asyncio.sleep(0), "already done")
    await done
    with caplog.at_level(logging.INFO, logger=log.name):
        await asyncio.wait_for(tracker.drain(grace=None), timeout=1)
    assert len(tracker) == 0
    assert "waiting for" not in caplog.text  # nothing was pending, so nothing was waited for
