"""SQL implementation of `core.ports.OutboxStore`: messages waiting for their platform.

Outbox rows are written in the transaction that decides them (a tier change, a finished
digest), through `enqueue_within`, so a crash keeps a decision and its messages or
neither. Delivering instances lease rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL
(SQLite serialises writers anyway), so each message goes to one of them at a time.
Every way a delivery ends clears its lease, so a claim that finds one (run out) takes
over from a process that died mid-send: the row is marked `reclaimed` for good.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.codecs import decode_notice, encode_notice
from adapters.storage.sql import SqlRepository, chunks, dialect_insert, in_scope, scope_of
from adapters.storage.tables import ChannelPauseRow, DigestSubscriptionRow, OutboxRow, table
from core.models import Notice, OutboxItem, OutboxMessage, OutboxStatus, Scope
from core.outbox import notice_kind, summarize

logger = logging.getLogger(__name__)

_outbox = table(OutboxRow)
_pauses = table(ChannelPauseRow)
_subs = table(DigestSubscriptionRow)


def _item(row: Row[Any], *, decode: bool = True) -> OutboxItem:
    notice: Notice | None = None
    if decode:
        try:
            notice = decode_notice(row.kind, row.payload)
        except (KeyError, TypeError, ValueError):
            logger.exception("outbox row %s has a payload this version cannot read", row.id)
    return OutboxItem(
        id=int(row.id),
        key=row.dedupe_key,
        kind=row.kind,
        scope=scope_of(row),
        status=OutboxStatus(row.status),
        attempts=int(row.attempts),
        summary=row.summary,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        notice=notice,
        reclaimed=bool(row.reclaimed),
    )


async def _paused_scopes(conn: AsyncConnection, scopes: set[Scope]) -> set[Scope]:
    if not scopes:
        return set()
    conds = [in_scope(_pauses, s) for s in scopes]
    found: set[Scope] = set()
    for chunk in chunks(conds, 100):
        rows = await conn.execute(
            select(_pauses.c.platform, _pauses.c.workspace, _pauses.c.channel).where(or_(*chunk))
        )
        found.update(scope_of(r) for r in rows)
    return found


async def enqueue_within(
    conn: AsyncConnection, messages: Sequence[OutboxMessage], now: datetime
) -> int:
    """Add messages inside the caller's transaction (keys already present are ignored)."""
    if not messages:
        return 0
    paused = await _paused_scopes(conn, {m.scope for m in messages})
    rows = [
        {
            "dedupe_key": m.key,
            "kind": notice_kind(m.notice),
            "platform": m.scope.platform,
            "workspace": m.scope.workspace,
            "channel": m.scope.channel,
            "payload": encode_notice(m.notice),
            "summary": summarize(m.notice)[:300],
            "status": OutboxStatus.PAUSED if m.scope in paused else OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "lease_owner": None,
            "lease_until": None,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
            "delivered_at": None,
        }
        for m in sorted(messages, key=lambda m: m.key)
    ]
    stmt = (
        dialect_insert(conn.dialect.name, _outbox)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_outbox.c.id)
    )
    return len((await conn.execute(stmt, rows)).scalars().all())


async def resume_within(conn: AsyncConnection, scope: Scope, now: datetime) -> int:
    """Lift a pause inside the caller's transaction; return how many messages it frees."""
    await conn.execute(delete(_pauses).where(in_scope(_pauses, scope)))
    await conn.execute(update(_subs).where(in_scope(_subs, scope)).values(paused=False))
    resumed = await conn.execute(
        update(_outbox)
        .where(in_scope(_outbox, scope), _outbox.c.status == OutboxStatus.PAUSED.value)
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, updated_at=now)
        .returning(_outbox.c.id)
    )
    return len(resumed.all())


class SqlOutboxStore(SqlRepository):
    """The `outbox` and `channel_pauses` tables."""

    async def enqueue(self, messages: Sequence[OutboxMessage], now: datetime) -> int:
        async with self._db.engine.begin() as conn:
            return await enqueue_within(conn, messages, now)

    async def claim_due(
        self,
        platforms: Collection[str],
        owner: str,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[OutboxItem]:
        free = or_(_outbox.c.lease_until.is_(None), _outbox.c.lease_until < now)
        due = (
            select(_outbox.c.id)
            .where(
                _outbox.c.status == OutboxStatus.PENDING.value,
                _outbox.c.platform.in_(sorted(platforms)),
                _outbox.c.next_attempt_at <= now,
                free,
            )
            .order_by(_outbox.c.id)
            .limit(limit)
            # PostgreSQL: instances lease disjoint rows instead of queueing on each
            # other's; SQLite renders nothing here and serialises writers anyway.
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(_outbox)
            .where(_outbox.c.id.in_(due), _outbox.c.status == OutboxStatus.PENDING.value, free)
            .values(
                lease_owner=owner,
                lease_until=now + lease,
                updated_at=now,
                # A lease still on a pending row is one that ran out: whoever held it
                # may have posted the message before it died (SET reads the old row).
                reclaimed=or_(_outbox.c.reclaimed, _outbox.c.lease_until.is_not(None)),
            )
            .returning(*_outbox.c)
        )
        async with self._db.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        items = sorted((_item(row) for row in rows), key=lambda i: i.id)
        good = [i for i in items if i.notice is not None]
        for bad in (i for i in items if i.notice is None):
            await self.mark_failed(
                bad.id, attempts=bad.attempts, error="unreadable payload", now=now
            )
        return good

    async def renew_leases(self, item_ids: Collection[int], owner: str, *, until: datetime) -> int:
        if not item_ids:
            return 0
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                update(_outbox)
                .where(
                    _outbox.c.id.in_(sorted(item_ids)),
                    _outbox.c.lease_owner == owner,
                    _outbox.c.status == OutboxStatus.PENDING.value,
                )
                .values(lease_until=until)
            )
        return int(result.rowcount or 0)

    async def mark_delivered(self, item_id: int, now: datetime, *, attempts: int = 1) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_outbox)
                .where(_outbox.c.id == item_id)
                .values(
                    status=OutboxStatus.DELIVERED.value,
                    attempts=attempts,
                    delivered_at=now,
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def mark_retry(
        self, item_id: int, *, attempts: int, next_attempt_at: datetime, error: str | None
    ) -> None:
        values: dict[str, Any] = {
            "attempts": attempts,
            "next_attempt_at": next_attempt_at,
            "lease_owner": None,
            "lease_until": None,
        }
        if error is not None:
            values["last_error"] = error
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_outbox)
                .where(_outbox.c.id == item_id, _outbox.c.status == OutboxStatus.PENDING.value)
                .values(**values)
            )

    async def mark_failed(self, item_id: int, *, attempts: int, error: str, now: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_outbox)
                .where(_outbox.c.id == item_id)
                .values(
                    status=OutboxStatus.FAILED.value,
                    attempts=attempts,
                    last_error=error,
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def pause_channel(self, scope: Scope, reason: str, *, now: datetime) -> int:
        pause = dialect_insert(self._dialect, _pauses).values(
            platform=scope.platform,
            workspace=scope.workspace,
            channel=scope.channel,
            reason=reason[:2000],
            paused_at=now,
        )
        pause = pause.on_conflict_do_update(
            index_elements=["platform", "workspace", "channel"],
            set_={"reason": pause.excluded.reason, "paused_at": pause.excluded.paused_at},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(pause)
            parked = await conn.execute(
                update(_outbox)
                .where(in_scope(_outbox, scope), _outbox.c.status == OutboxStatus.PENDING.value)
                .values(
                    status=OutboxStatus.PAUSED.value,
                    last_error=reason[:2000],
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
                .returning(_outbox.c.id)
            )
            count = len(parked.all())
            await conn.execute(update(_subs).where(in_scope(_subs, scope)).values(paused=True))
        return count

    async def resume_channel(self, scope: Scope, now: datetime) -> int:
        async with self._db.engine.begin() as conn:
            return await resume_within(conn, scope, now)

    async def paused_channels(self) -> list[tuple[Scope, str, datetime]]:
        """Channels the bot was removed from, with the reason and when."""
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(select(_pauses).order_by(_pauses.c.paused_at))
            return [(scope_of(r), r.reason, r.paused_at) for r in rows]

    async def outbox_items(
        self, statuses: Collection[OutboxStatus], limit: int, *, kind: str | None = None
    ) -> list[OutboxItem]:
        stmt = (
            select(_outbox)
            .where(_outbox.c.status.in_(sorted(s.value for s in statuses)))
            .order_by(_outbox.c.id.desc())
            .limit(limit)
        )
        if kind is not None:
            stmt = stmt.where(_outbox.c.kind == kind)
        async with self._db.engine.connect() as conn:
            return [_item(row) for row in await conn.execute(stmt)]

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        stmt = select(_outbox.c.status, func.count()).group_by(_outbox.c.status)
        counts = dict.fromkeys(OutboxStatus, 0)
        async with self._db.engine.connect() as conn:
            for status, count in await conn.execute(stmt):
                counts[OutboxStatus(status)] = int(count)
        return counts
