"""SQL implementation of `core.ports.DigestStore`: subscriptions, runs, accounts sent.

A period is claimed by inserting its `digest_runs` row (a claim past its lease is taken
over); finishing it marks the run done, claims its accounts in `digest_sent` (one
announcement per account and channel, even against a digest committing concurrently)
and enqueues the digest, all in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row

from adapters.storage.outbox import enqueue_within, resume_within
from adapters.storage.sql import (
    SqlRepository,
    chunks,
    dialect_insert,
    in_scope,
    scope_of,
)
from adapters.storage.sql import niche_key as storage_niche_key
from adapters.storage.tables import (
    DigestRunRow,
    DigestSentRow,
    DigestSubscriptionRow,
    DiscoveryRow,
    table,
)
from core.models import Digest, DigestSubscription, OutboxMessage, Scope, SubscriptionState

logger = logging.getLogger(__name__)

_subs = table(DigestSubscriptionRow)
_runs = table(DigestRunRow)
_sent = table(DigestSentRow)
_discoveries = table(DiscoveryRow)

RUN_BUILDING = "building"
RUN_DONE = "done"


def _parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _subscription(row: Row[Any]) -> DigestSubscription:
    return DigestSubscription(
        id=int(row.id),
        scope=scope_of(row),
        niche=row.niche,
        weekday=int(row.weekday),
        at=_parse_time(row.local_time),
        tz=row.tz,
        created_at=row.created_at,
        paused=bool(row.paused),
    )


class SqlDigestStore(SqlRepository):
    """The `digest_subscriptions`, `digest_runs` and `digest_sent` tables."""

    async def subscribe(
        self,
        scope: Scope,
        niche: str,
        *,
        niche_key: str,
        weekday: int,
        at: time,
        tz: str,
        now: datetime,
    ) -> tuple[DigestSubscription, bool]:
        key = storage_niche_key(niche_key)
        local_time = f"{at.hour:02d}:{at.minute:02d}"
        insert = (
            dialect_insert(self._dialect, _subs)
            .values(
                platform=scope.platform,
                workspace=scope.workspace,
                channel=scope.channel,
                niche=niche,
                niche_key=key,
                weekday=weekday,
                local_time=local_time,
                tz=tz,
                created_at=now,
                updated_at=now,
                paused=False,
            )
            .on_conflict_do_nothing(
                index_elements=["platform", "workspace", "channel", "niche_key"]
            )
            .returning(_subs.c.id)
        )
        async with self._db.engine.begin() as conn:
            created = (await conn.execute(insert)).first() is not None
            if not created:
                await conn.execute(
                    update(_subs)
                    .where(in_scope(_subs, scope), _subs.c.niche_key == key)
                    .values(
                        niche=niche,
                        weekday=weekday,
                        local_time=local_time,
                        tz=tz,
                        updated_at=now,
                        paused=False,
                    )
                )
            # A command from the channel proves the bot is in it again.
            await resume_within(conn, scope, now)
            row = (
                await conn.execute(
                    select(_subs).where(in_scope(_subs, scope), _subs.c.niche_key == key)
                )
            ).one()
        return _subscription(row), created

    async def unsubscribe(self, scope: Scope, niche_key: str) -> bool:
        key = storage_niche_key(niche_key)
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                delete(_subs)
                .where(in_scope(_subs, scope), _subs.c.niche_key == key)
                .returning(_subs.c.id)
            )
            return result.first() is not None

    async def subscriptions(self, scope: Scope) -> list[DigestSubscription]:
        stmt = select(_subs).where(in_scope(_subs, scope)).order_by(_subs.c.niche, _subs.c.id)
        async with self._db.engine.connect() as conn:
            return [_subscription(row) for row in await conn.execute(stmt)]

    async def all_subscriptions(self) -> list[DigestSubscription]:
        """Every subscription of every channel (for the command line)."""
        stmt = select(_subs).order_by(
            _subs.c.platform, _subs.c.workspace, _subs.c.channel, _subs.c.niche
        )
        async with self._db.engine.connect() as conn:
            return [_subscription(row) for row in await conn.execute(stmt)]

    def _latest_done(self) -> Any:
        later = _runs.alias("later")
        return (
            select(func.max(later.c.period))
            .where(later.c.subscription_id == _runs.c.subscription_id, later.c.status == RUN_DONE)
            .scalar_subquery()
        )

    async def subscription_states(self) -> list[SubscriptionState]:
        runs = (
            select(_runs.c.subscription_id, _runs.c.period, _runs.c.until)
            .where(_runs.c.status == RUN_DONE, _runs.c.period == self._latest_done())
            .subquery()
        )
        stmt = (
            select(_subs, runs.c.period.label("last_period"), runs.c.until.label("last_until"))
            .select_from(_subs.outerjoin(runs, runs.c.subscription_id == _subs.c.id))
            .where(_subs.c.paused.is_(False))
            .order_by(_subs.c.id)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            SubscriptionState(_subscription(row), row.last_period, row.last_until) for row in rows
        ]

    async def last_digest_until(self, scope: Scope, niche_key: str) -> datetime | None:
        stmt = (
            select(_runs.c.until)
            .select_from(_runs.join(_subs, _subs.c.id == _runs.c.subscription_id))
            .where(
                in_scope(_subs, scope),
                _subs.c.niche_key == storage_niche_key(niche_key),
                _runs.c.status == RUN_DONE,
            )
            .order_by(_runs.c.period.desc())
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def discovered_between(
        self, niche_key: str, since: datetime, *, until: datetime
    ) -> set[str]:
        stmt = select(_discoveries.c.user_id).where(
            _discoveries.c.niche_key == storage_niche_key(niche_key),
            _discoveries.c.first_found_at > since,
            _discoveries.c.first_found_at <= until,
        )
        async with self._db.engine.connect() as conn:
            return set((await conn.execute(stmt)).scalars().all())

    async def sent_to(self, scope: Scope, user_ids: Collection[str]) -> set[str]:
        found: set[str] = set()
        async with self._db.engine.connect() as conn:
            for chunk in chunks(sorted(set(user_ids))):
                stmt = select(_sent.c.user_id).where(
                    in_scope(_sent, scope), _sent.c.user_id.in_(chunk)
                )
                found.update((await conn.execute(stmt)).scalars().all())
        return found

    async def claim_digest(
        self,
        subscription_id: int,
        period: date,
        *,
        scheduled_at: datetime,
        owner: str,
        now: datetime,
        lease: timedelta,
    ) -> bool:
        insert = (
            dialect_insert(self._dialect, _runs)
            .values(
                subscription_id=subscription_id,
                period=period,
                scheduled_at=scheduled_at,
                status=RUN_BUILDING,
                owner=owner,
                lease_until=now + lease,
                accounts=0,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "period"])
            .returning(_runs.c.period)
        )
        takeover = (
            update(_runs)
            .where(
                _runs.c.subscription_id == subscription_id,
                _runs.c.period == period,
                _runs.c.status == RUN_BUILDING,
                _runs.c.lease_until < now,
            )
            .values(owner=owner, lease_until=now + lease)
            .returning(_runs.c.period)
        )
        async with self._db.engine.begin() as conn:
            if (await conn.execute(insert)).first() is not None:
                return True
            if (await conn.execute(takeover)).first() is not None:
                logger.warning(
                    "took over digest %d/%s from an owner whose lease ran out",
                    subscription_id,
                    period,
                )
                return True
        return False

    async def finish_digest(
        self,
        subscription_id: int,
        period: date,
        *,
        owner: str,
        key: str,
        digest: Digest,
        now: datetime,
        limit: int,
    ) -> Digest | None:
        scope = digest.scope
        async with self._db.engine.begin() as conn:
            done = await conn.execute(
                update(_runs)
                .where(
                    _runs.c.subscription_id == subscription_id,
                    _runs.c.period == period,
                    _runs.c.owner == owner,
                    _runs.c.status == RUN_BUILDING,
                )
                .values(status=RUN_DONE, since=digest.since, until=digest.until, finished_at=now)
                .returning(_runs.c.period)
            )
            if done.first() is None:
                await conn.rollback()
                return None
            sub_key = (
                await conn.execute(select(_subs.c.niche_key).where(_subs.c.id == subscription_id))
            ).scalar_one()
            claimed: set[str] = set()
            if digest.candidates:
                # Claim every candidate: on PostgreSQL a row another digest inserted but
                # has not committed makes this wait, then skip it. Keep the best `limit`
                # claimed and give the rest back.
                stmt = (
                    dialect_insert(self._dialect, _sent)
                    .on_conflict_do_nothing(
                        index_elements=["platform", "workspace", "channel", "user_id"]
                    )
                    .returning(_sent.c.user_id)
                )
                rows = [
                    {
                        "platform": scope.platform,
                        "workspace": scope.workspace,
                        "channel": scope.channel,
                        "user_id": c.user.id,
                        "niche_key": sub_key,
                        "subscription_id": subscription_id,
                        "period": period,
                        "sent_at": now,
                    }
                    for c in sorted(digest.candidates, key=lambda c: c.user.id)
                ]
                claimed = set((await conn.execute(stmt, rows)).scalars().all())
            kept = tuple(c for c in digest.candidates if c.user.id in claimed)[:limit]
            extra = sorted(claimed - {c.user.id for c in kept})
            for chunk in chunks(extra):
                await conn.execute(
                    delete(_sent).where(in_scope(_sent, scope), _sent.c.user_id.in_(chunk))
                )
            final = replace(digest, candidates=kept)
            await conn.execute(
                update(_runs)
                .where(_runs.c.subscription_id == subscription_id, _runs.c.period == period)
                .values(accounts=len(kept))
            )
            await enqueue_within(conn, [OutboxMessage(key, scope, final)], now)
        return final
