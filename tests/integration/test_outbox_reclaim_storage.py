"""The SQL outbox marks a row claimed over an expired lease as `reclaimed` (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.storage.database import Database
from adapters.storage.outbox import SqlOutboxStore
from core.models import AccountNotice, OutboxMessage, OutboxStatus, Scope

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SCOPE = Scope("slack", "T1", "C1")
LEASE = timedelta(minutes=10)


def note(n: int) -> OutboxMessage:
    return OutboxMessage(f"k{n}", SCOPE, AccountNotice(SCOPE, str(n), f"u{n}", "suspended"))


async def claim(store: SqlOutboxStore, owner: str, now: datetime) -> dict[str, bool]:
    items = await store.claim_due(["slack"], owner, now=now, lease=LEASE, limit=10)
    return {i.key: i.reclaimed for i in items}


async def test_a_fresh_claim_is_not_reclaimed_and_an_expired_lease_is(database: Database) -> None:
    store = SqlOutboxStore(database)
    await store.enqueue([note(1)], T0)
    assert await claim(store, "a", T0) == {"k1": False}
    assert await claim(store, "b", T0 + timedelta(minutes=5)) == {}  # a's lease holds
    await store.enqueue([note(2)], T0 + timedelta(minutes=11))
    # a died: b takes k1 over (it may have gone out); k2 was never leased.
    assert await claim(store, "b", T0 + timedelta(minutes=11)) == {"k1": True, "k2": False}


async def test_a_released_lease_is_not_a_takeover_but_a_takeover_stays_one(
    database: Database,
) -> None:
    store = SqlOutboxStore(database)
    await store.enqueue([note(1), note(2)], T0)
    items = {i.key: i for i in await store.claim_due(["slack"], "a", now=T0, lease=LEASE, limit=10)}
    # k1 was refused for now (a rate limit): a released its lease, nothing went out.
    await store.mark_retry(items["k1"].id, attempts=1, next_attempt_at=T0, error="429")
    later = T0 + timedelta(minutes=11)
    taken = {
        i.key: i for i in await store.claim_due(["slack"], "b", now=later, lease=LEASE, limit=10)
    }
    assert {k: i.reclaimed for k, i in taken.items()} == {"k1": False, "k2": True}
    # b is rate limited on both: k2 stays in doubt through its retry, and in the listing.
    for item in taken.values():
        await store.mark_retry(item.id, attempts=2, next_attempt_at=later, error="429")
    assert await claim(store, "c", later) == {"k1": False, "k2": True}
    listed = await store.outbox_items([OutboxStatus.PENDING], 10)
    assert {i.key: i.reclaimed for i in listed} == {"k1": False, "k2": True}


async def test_only_the_holder_renews_a_lease_and_only_while_the_row_is_pending(
    database: Database,
) -> None:
    store = SqlOutboxStore(database)
    await store.enqueue([note(1), note(2)], T0)
    items = {i.key: i for i in await store.claim_due(["slack"], "a", now=T0, lease=LEASE, limit=10)}
    await store.mark_delivered(items["k2"].id, T0)
    ids = [i.id for i in items.values()]
    assert await store.renew_leases(ids, "b", until=T0 + timedelta(hours=1)) == 0  # not b's
    assert await store.renew_leases(ids, "a", until=T0 + timedelta(minutes=30)) == 1  # k1 only
    # Past the first lease but within the renewed one: nobody takes k1 over.
    assert await claim(store, "b", T0 + timedelta(minutes=20)) == {}
    assert await claim(store, "b", T0 + timedelta(minutes=31)) == {"k1": True}
