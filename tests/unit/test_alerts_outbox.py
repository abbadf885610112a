"""Outbox delivery: retries with backoff, Retry-After honoured, pauses, bounded give-up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from core.errors import ChannelGone, DeliveryRejected, DeliveryRetryLater
from core.models import AccountNotice, OutboxMessage, OutboxStatus, Scope
from core.outbox import OutboxDelivery, RetryPolicy
from core.ports import MessageSink
from tests.fakes.schedule_fixtures import FixedClock, MemoryOutbox, RecordingSink

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
C1 = Scope("slack", "T1", "C1")
C2 = Scope("slack", "T1", "C2")


class Sleeps:
    """Records sleeps and advances a fake monotonic clock by them."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.mono = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.mono += seconds

    def monotonic(self) -> float:
        return self.mono


def note(scope: Scope, n: int) -> OutboxMessage:
    return OutboxMessage(f"k{scope.channel}{n}", scope, AccountNotice(scope, str(n), f"u{n}", "x"))


def delivery(
    outbox: MemoryOutbox,
    sink: MessageSink,
    clock: FixedClock,
    sleeps: Sleeps,
    **policy: float,
) -> OutboxDelivery:
    return OutboxDelivery(
        outbox,
        {sink.platform: sink},
        clock,
        owner="test",
        policy=RetryPolicy(**policy),  # type: ignore[arg-type]
        sleep=sleeps,
        monotonic=sleeps.monotonic,
    )


async def test_a_429_then_200_is_delivered_once_after_the_retry_after() -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1)], T0)
    sink.failures = [DeliveryRetryLater("Slack rate limit reached", retry_after=3.0)]
    report = await delivery(outbox, sink, clock, sleeps).deliver_due()
    assert report.delivered == 1
    assert sink.attempts == 2
    assert len(sink.delivered) == 1
    assert sleeps.calls
    assert sleeps.calls[0] >= 3.0
    assert outbox.statuses() == [OutboxStatus.DELIVERED]
    assert outbox.rows[1]["attempts"] == 2


async def test_a_long_retry_after_reschedules_instead_of_waiting() -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1), note(C1, 2), note(C2, 3)], T0)
    sink.failures = [DeliveryRetryLater("rate limited", retry_after=30.0)]
    deliver = delivery(outbox, sink, clock, sleeps)
    report = await deliver.deliver_due()
    # C1 waits 30 s (its second message too, without spending an attempt); C2 goes out.
    assert (report.delivered, report.retrying, report.deferred) == (1, 1, 1)
    assert [s.channel for s, _ in sink.delivered] == ["C2"]
    assert outbox.rows[2]["attempts"] == 0
    assert (await deliver.deliver_due()).delivered == 0  # not due yet
    clock.advance(seconds=30)
    assert (await deliver.deliver_due()).delivered == 2
    assert [s.channel for s, _ in sink.delivered] == ["C2", "C1", "C1"]


async def test_a_channel_the_bot_left_is_paused_not_retried() -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1), note(C1, 2), note(C2, 3)], T0)
    sink.failures = [ChannelGone("Slack says not_in_channel")]
    deliver = delivery(outbox, sink, clock, sleeps)
    report = await deliver.deliver_due()
    assert report.paused == 2
    assert report.delivered == 1
    assert outbox.statuses() == [OutboxStatus.PAUSED, OutboxStatus.PAUSED, OutboxStatus.DELIVERED]
    clock.advance(hours=5)
    assert (await deliver.deliver_due()).attempts == 0
    assert sink.attempts == 2
    # New messages for the paused channel are parked at once.
    await outbox.enqueue([note(C1, 4)], clock.now())
    assert outbox.statuses()[-1] is OutboxStatus.PAUSED


async def test_a_refused_message_fails_at_once_and_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1)], T0)
    sink.failures = [DeliveryRejected("Slack says invalid_blocks")]
    with caplog.at_level(logging.ERROR, logger="core.outbox"):
        report = await delivery(outbox, sink, clock, sleeps).deliver_due()
    assert report.failed == 1
    assert outbox.statuses() == [OutboxStatus.FAILED]
    assert "gave up" in caplog.text
    assert "invalid_blocks" in caplog.text


async def test_an_outage_is_retried_with_backoff_then_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1)], T0)
    sink.failures = [DeliveryRetryLater("Slack answered 503", 1.0) for _ in range(10)]
    deliver = delivery(outbox, sink, clock, sleeps, max_attempts=4, inline_wait_seconds=0)
    waits = []
    with caplog.at_level(logging.ERROR, logger="core.outbox"):
        for _ in range(10):
            await deliver.deliver_due()
            row = outbox.rows[1]
            if row["status"] is not OutboxStatus.PENDING:
                break
            waits.append((row["next"] - clock.now()).total_seconds())
            clock.current = row["next"]
    assert waits == [2.0, 8.0, 32.0]
    assert sink.attempts == 4
    assert outbox.statuses() == [OutboxStatus.FAILED]
    assert outbox.rows[1]["error"] == "Slack answered 503"
    assert "after 4 attempts" in caplog.text


async def test_unexpected_errors_are_retried_like_outages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1)], T0)
    sink.failures = [RuntimeError("boom")]
    with caplog.at_level(logging.ERROR, logger="core.outbox"):
        report = await delivery(outbox, sink, clock, sleeps).deliver_due()
    assert report.delivered == 1
    assert sink.attempts == 2
    assert "boom" in caplog.text


async def test_messages_to_one_channel_are_paced() -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    await outbox.enqueue([note(C1, 1), note(C1, 2), note(C1, 3), note(C2, 4)], T0)
    report = await delivery(outbox, sink, clock, sleeps).deliver_due()
    assert report.delivered == 4
    # Slack: about one message a second per channel; the other channel needs no wait.
    assert sleeps.calls == [pytest.approx(1.0), pytest.approx(1.0)]
    assert [getattr(n, "user_id", None) for n in sink.to("C1")] == ["1", "2", "3"]  # in order


async def test_platforms_without_a_sink_here_are_left_for_other_instances() -> None:
    outbox, sink, clock, sleeps = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0), Sleeps()
    other = Scope("discord", "G1", "42")
    await outbox.enqueue([note(other, 1)], T0)
    report = await delivery(outbox, sink, clock, sleeps).deliver_due()
    assert report.attempts == 0
    assert outbox.statuses() == [OutboxStatus.PENDING]
