"""OutboxDelivery tells its sink the outbox key, and to look first after a takeover."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.errors import DeliveryRetryLater
from core.models import AccountNotice, OutboxMessage, OutboxStatus, Scope
from core.outbox import OutboxDelivery
from tests.fakes.schedule_fixtures import FixedClock, MemoryOutbox, RecordingSink

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
C1 = Scope("slack", "T1", "C1")
C2 = Scope("slack", "T1", "C2")
LEASE = timedelta(minutes=10)


async def _no_sleep(_seconds: float) -> None:
    return None


def note(scope: Scope, n: int) -> OutboxMessage:
    return OutboxMessage(f"k{scope.channel}{n}", scope, AccountNotice(scope, str(n), f"u{n}", "x"))


def delivery(outbox: MemoryOutbox, sink: RecordingSink, clock: FixedClock) -> OutboxDelivery:
    return OutboxDelivery(
        outbox, {sink.platform: sink}, clock, owner="live", lease=LEASE, sleep=_no_sleep
    )


async def crashed_claim(outbox: MemoryOutbox, clock: FixedClock) -> None:
    """An instance leases everything due and dies before marking anything."""
    await outbox.claim_due(["slack"], "dead", now=clock.now(), lease=LEASE, limit=100)


async def test_a_fresh_message_goes_out_with_its_key_and_no_recheck() -> None:
    outbox, sink, clock = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0)
    await outbox.enqueue([note(C1, 1)], T0)
    assert (await delivery(outbox, sink, clock).deliver_due()).delivered == 1
    assert sink.keys == ["kC11"]
    assert sink.rechecks == [False]


async def test_a_message_taken_over_from_an_expired_lease_is_rechecked() -> None:
    outbox, sink, clock = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0)
    await outbox.enqueue([note(C1, 1)], T0)
    await crashed_claim(outbox, clock)
    # While the dead instance's lease runs, nobody else may send it.
    assert (await delivery(outbox, sink, clock).deliver_due()).attempts == 0
    clock.advance(minutes=11)
    assert (await delivery(outbox, sink, clock).deliver_due()).delivered == 1
    assert sink.keys == ["kC11"]
    assert sink.rechecks == [True]


async def test_only_the_taken_over_messages_are_rechecked() -> None:
    outbox, sink, clock = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0)
    await outbox.enqueue([note(C1, 1)], T0)
    await crashed_claim(outbox, clock)
    clock.advance(minutes=11)
    await outbox.enqueue([note(C2, 2)], clock.now())
    assert (await delivery(outbox, sink, clock).deliver_due()).delivered == 2
    assert dict(zip(sink.keys, sink.rechecks, strict=True)) == {"kC11": True, "kC22": False}


async def test_a_taken_over_message_stays_in_doubt_through_a_reschedule() -> None:
    outbox, sink, clock = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0)
    await outbox.enqueue([note(C1, 1)], T0)
    await crashed_claim(outbox, clock)
    clock.advance(minutes=11)
    # The look itself is rate limited for a minute: the message waits, still in doubt.
    sink.failures = [DeliveryRetryLater("history rate limited", retry_after=60.0)]
    assert (await delivery(outbox, sink, clock).deliver_due()).retrying == 1
    clock.advance(minutes=2)
    assert (await delivery(outbox, sink, clock).deliver_due()).delivered == 1
    assert sink.rechecks == [True, True]
    assert outbox.statuses() == [OutboxStatus.DELIVERED]


async def test_a_batch_being_delivered_keeps_its_lease_so_no_one_takes_it_over() -> None:
    """The lease is short (a dead sender is replaced within Discord's nonce window), so a
    live sender renews it while its batch is out: a slow post is not taken over."""
    outbox, sink, clock = MemoryOutbox(), RecordingSink("slack"), FixedClock(T0)
    await outbox.enqueue([note(C1, 1)], T0)
    sink.delay = 0.5  # real seconds: the post is slow
    live = OutboxDelivery(
        outbox,
        {"slack": sink},
        clock,
        owner="live",
        lease=timedelta(seconds=0.3),  # renewed every 0.1 s of real time
        sleep=_no_sleep,
    )
    running = asyncio.create_task(live.deliver_due())
    await asyncio.sleep(0.05)  # claimed, the post in flight
    clock.advance(minutes=1)  # far past the first lease
    await asyncio.sleep(0.2)  # a renewal has run since
    assert await outbox.claim_due(["slack"], "other", now=clock.now(), lease=LEASE, limit=9) == []
    assert (await running).delivered == 1
    assert sink.keys == ["kC11"]
    assert sink.rechecks == [False]
