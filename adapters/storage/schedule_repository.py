"""SQL implementation of `core.ports.ScheduleStore` (SQLite and PostgreSQL).

Exactly-once rests on single statements that either win or lose atomically on both
backends: `INSERT ... ON CONFLICT DO NOTHING RETURNING` for claims and first states,
`UPDATE ... WHERE version = :seen RETURNING` for state changes, and
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers anyway) for leasing
outbox rows. Transactions that read before they write begin with a write, so SQLite
takes its write lock up front instead of failing to upgrade a read lock.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database
from adapters.storage.repositories import niche_key as storage_niche_key
from adapters.storage.schedule_tables import (
    ChannelPauseRow,
    DigestRunRow,
    DigestSentRow,
    DigestSubscriptionRow,
    JobClaimRow,
    OutboxRow,
    TierStateRow,
)
from adapters.storage.sql import chunks, dialect_insert
from adapters.storage.tables import (
    ACCOUNT_MISSING,
    Account,
    Discovery,
    FollowerSnapshot,
    WatchlistEntry,
)
from core.models import (
    AccountStatus,
    Digest,
    DigestSubscription,
    Notice,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    Scope,
    StateChange,
    SubscriptionState,
    Tier,
    TierState,
    Watcher,
)
from core.outbox import decode_notice, encode_notice, notice_kind, summarize

logger = logging.getLogger(__name__)


_subs: Table = DigestSubscriptionRow.__table__  # type: ignore[assignment]
_runs: Table = DigestRunRow.__table__  # type: ignore[assignment]
_sent: Table = DigestSentRow.__table__  # type: ignore[assignment]
_states: Table = TierStateRow.__table__  # type: ignore[assignment]
_outbox: Table = OutboxRow.__table__  # type: ignore[assignment]
_pauses: Table = ChannelPauseRow.__table__  # type: ignore[assignment]
_claims: Table = JobClaimRow.__table__  # type: ignore[assignment]
_accounts: Table = Account.__table__  # type: ignore[assignment]
_snapshots: Table = FollowerSnapshot.__table__  # type: ignore[assignment]
_discoveries: Table = Discovery.__table__  # type: ignore[assignment]
_watchlist: Table = WatchlistEntry.__table__  # type: ignore[assignment]

RUN_BUILDING = "building"
RUN_DONE = "done"


def _in_scope(table: Table, scope: Scope) -> Any:
    return and_(
        table.c.platform == scope.platform,
        table.c.workspace == scope.workspace,
        table.c.channel == scope.channel,
    )


def _scope_of(row: Any) -> Scope:
    return Scope(row.platform, row.workspace, row.channel)


def _parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _subscription(row: Row[Any]) -> DigestSubscription:
    return DigestSubscription(
        id=int(row.id),
        scope=_scope_of(row),
        niche=row.niche,
        weekday=int(row.weekday),
        at=_parse_time(row.local_time),
        tz=row.tz,
        created_at=row.created_at,
        paused=bool(row.paused),
    )


def _state(row: Row[Any]) -> TierState:
    return TierState(
        user_id=row.user_id,
        username=row.username,
        tier=Tier(row.tier) if row.tier else None,
        followers=int(row.followers),
        status=AccountStatus(row.status),
        version=int(row.version),
        changed_at=row.changed_at,
    )


def _state_values(state: TierState) -> dict[str, Any]:
    return {
        "user_id": state.user_id,
        "username": state.username,
        "tier": state.tier.value if state.tier else None,
        "followers": state.followers,
        "status": state.status.value,
        "version": state.version,
        "changed_at": state.changed_at,
    }


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
        scope=_scope_of(row),
        status=OutboxStatus(row.status),
        attempts=int(row.attempts),
        summary=row.summary,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        notice=notice,
    )


class SqlScheduleStore:
    """Tier states, digests, the outbox and job claims over one `Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def __repr__(self) -> str:
        return f"SqlScheduleStore({self._db.url!r})"

    @property
    def _dialect(self) -> str:
        return self._db.dialect

    # -- outbox rows, inside a caller's transaction ---------------------------------

    async def _paused_scopes(self, conn: AsyncConnection, scopes: set[Scope]) -> set[Scope]:
        if not scopes:
            return set()
        conds = [_in_scope(_pauses, s) for s in scopes]
        found: set[Scope] = set()
        for chunk in chunks(conds, 100):
            rows = await conn.execute(
                select(_pauses.c.platform, _pauses.c.workspace, _pauses.c.channel).where(
                    or_(*chunk)
                )
            )
            found.update(_scope_of(r) for r in rows)
        return found

    async def _enqueue(
        self, conn: AsyncConnection, messages: Sequence[OutboxMessage], now: datetime
    ) -> int:
        if not messages:
            return 0
        paused = await self._paused_scopes(conn, {m.scope for m in messages})
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
            dialect_insert(self._dialect, _outbox)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(_outbox.c.id)
        )
        return len((await conn.execute(stmt, rows)).scalars().all())

    # -- TierStateStore ------------------------------------------------------------

    async def tracked_user_ids(self, *, not_seen_since: datetime | None = None) -> list[str]:
        stmt = (
            select(_watchlist.c.user_id, _accounts.c.last_seen_at)
            .select_from(
                _watchlist.outerjoin(_accounts, _accounts.c.user_id == _watchlist.c.user_id)
            )
            .distinct()
            .order_by(_accounts.c.last_seen_at.asc().nulls_first(), _watchlist.c.user_id)
        )
        if not_seen_since is not None:
            stmt = stmt.where(
                or_(_accounts.c.last_seen_at.is_(None), _accounts.c.last_seen_at < not_seen_since)
            )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return list(dict.fromkeys(row.user_id for row in rows))

    async def watchers(self, user_ids: Sequence[str]) -> dict[str, list[Watcher]]:
        username = func.coalesce(_accounts.c.username, _watchlist.c.username)
        found: dict[str, list[Watcher]] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(sorted(set(user_ids))):
                stmt = (
                    select(
                        _watchlist.c.user_id,
                        _watchlist.c.platform,
                        _watchlist.c.workspace,
                        _watchlist.c.channel,
                        username.label("username"),
                    )
                    .select_from(
                        _watchlist.outerjoin(_accounts, _accounts.c.user_id == _watchlist.c.user_id)
                    )
                    .where(_watchlist.c.user_id.in_(chunk))
                    .order_by(_watchlist.c.id)
                )
                for row in await conn.execute(stmt):
                    found.setdefault(row.user_id, []).append(Watcher(_scope_of(row), row.username))
        return found

    async def tier_states(self, user_ids: Sequence[str]) -> dict[str, TierState]:
        found: dict[str, TierState] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(sorted(set(user_ids))):
                for row in await conn.execute(select(_states).where(_states.c.user_id.in_(chunk))):
                    found[row.user_id] = _state(row)
        return found

    async def followers_before(self, user_ids: Sequence[str], at: datetime) -> dict[str, int]:
        inner = _snapshots.alias("later")
        latest = (
            select(func.max(inner.c.observed_at))
            .where(inner.c.user_id == _snapshots.c.user_id, inner.c.observed_at < at)
            .scalar_subquery()
        )
        found: dict[str, int] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(sorted(set(user_ids))):
                stmt = select(_snapshots.c.user_id, _snapshots.c.followers).where(
                    _snapshots.c.user_id.in_(chunk), _snapshots.c.observed_at == latest
                )
                for row in await conn.execute(stmt):
                    found[row.user_id] = int(row.followers)
        return found

    async def apply_state_changes(
        self, changes: Sequence[StateChange], now: datetime
    ) -> list[StateChange]:
        if not changes:
            return []
        inserts = sorted(
            (c for c in changes if c.expected_version is None), key=lambda c: c.state.user_id
        )
        updates = sorted(
            (c for c in changes if c.expected_version is not None), key=lambda c: c.state.user_id
        )
        applied: list[StateChange] = []
        async with self._db.engine.begin() as conn:
            for change in updates:
                state = change.state
                values = _state_values(state)
                del values["user_id"]
                won = await conn.execute(
                    update(_states)
                    .where(
                        _states.c.user_id == state.user_id,
                        _states.c.version == change.expected_version,
                    )
                    .values(**values)
                    .returning(_states.c.user_id)
                )
                if won.first() is not None:
                    applied.append(change)
            if inserts:
                stmt = (
                    dialect_insert(self._dialect, _states)
                    .on_conflict_do_nothing(index_elements=["user_id"])
                    .returning(_states.c.user_id)
                )
                new = set(
                    (await conn.execute(stmt, [_state_values(c.state) for c in inserts]))
                    .scalars()
                    .all()
                )
                applied.extend(c for c in inserts if c.state.user_id in new)
            gone = sorted(
                c.state.user_id for c in applied if c.state.status is AccountStatus.MISSING
            )
            for chunk in chunks(gone):
                await conn.execute(
                    update(_accounts)
                    .where(_accounts.c.user_id.in_(chunk))
                    .values(status=ACCOUNT_MISSING)
                )
            await self._enqueue(conn, [m for c in applied for m in c.messages], now)
        return applied

    async def forget_untracked(self) -> int:
        tracked = select(_watchlist.c.user_id).where(_watchlist.c.user_id == _states.c.user_id)
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(_states).where(~tracked.exists()))
        return result.rowcount or 0

    # -- JobClaims -----------------------------------------------------------------

    async def claim_job(self, key: str, owner: str, now: datetime, lease: timedelta) -> bool | None:
        insert = (
            dialect_insert(self._dialect, _claims)
            .values(job_key=key, owner=owner, lease_until=now + lease, created_at=now)
            .on_conflict_do_nothing(index_elements=["job_key"])
            .returning(_claims.c.job_key)
        )
        takeover = (
            update(_claims)
            .where(
                _claims.c.job_key == key,
                _claims.c.finished_at.is_(None),
                _claims.c.lease_until < now,
            )
            .values(owner=owner, lease_until=now + lease)
            .returning(_claims.c.job_key)
        )
        async with self._db.engine.begin() as conn:
            if (await conn.execute(insert)).first() is not None:
                return True
            if (await conn.execute(takeover)).first() is not None:
                logger.warning("took over job %s from an owner whose lease ran out", key)
                return False
        return None

    async def renew_job(self, key: str, owner: str, until: datetime) -> bool:
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                update(_claims)
                .where(
                    _claims.c.job_key == key,
                    _claims.c.owner == owner,
                    _claims.c.finished_at.is_(None),
                )
                .values(lease_until=until)
            )
        return bool(result.rowcount)

    async def finish_job(self, key: str, owner: str, now: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_claims)
                .where(_claims.c.job_key == key, _claims.c.owner == owner)
                .values(finished_at=now)
            )

    async def last_finished_job(self, prefix: str) -> datetime | None:
        """When the latest finished run of the jobs whose key starts with `prefix` ended."""
        stmt = select(func.max(_claims.c.finished_at)).where(_claims.c.job_key.startswith(prefix))
        async with self._db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    # -- DigestStore ---------------------------------------------------------------

    async def subscribe(
        self,
        scope: Scope,
        niche: str,
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
                    .where(_in_scope(_subs, scope), _subs.c.niche_key == key)
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
            await self._resume(conn, scope, now)
            row = (
                await conn.execute(
                    select(_subs).where(_in_scope(_subs, scope), _subs.c.niche_key == key)
                )
            ).one()
        return _subscription(row), created

    async def unsubscribe(self, scope: Scope, niche_key: str) -> bool:
        key = storage_niche_key(niche_key)
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                delete(_subs)
                .where(_in_scope(_subs, scope), _subs.c.niche_key == key)
                .returning(_subs.c.id)
            )
            return result.first() is not None

    async def subscriptions(self, scope: Scope) -> list[DigestSubscription]:
        stmt = select(_subs).where(_in_scope(_subs, scope)).order_by(_subs.c.niche, _subs.c.id)
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
                _in_scope(_subs, scope),
                _subs.c.niche_key == storage_niche_key(niche_key),
                _runs.c.status == RUN_DONE,
            )
            .order_by(_runs.c.period.desc())
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def discovered_between(
        self, niche_key: str, since: datetime, until: datetime
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
                    _in_scope(_sent, scope), _sent.c.user_id.in_(chunk)
                )
                found.update((await conn.execute(stmt)).scalars().all())
        return found

    async def claim_digest(
        self,
        subscription_id: int,
        period: date,
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
        owner: str,
        key: str,
        digest: Digest,
        now: datetime,
        *,
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
                    delete(_sent).where(_in_scope(_sent, scope), _sent.c.user_id.in_(chunk))
                )
            final = replace(digest, candidates=kept)
            await conn.execute(
                update(_runs)
                .where(_runs.c.subscription_id == subscription_id, _runs.c.period == period)
                .values(accounts=len(kept))
            )
            await self._enqueue(conn, [OutboxMessage(key, scope, final)], now)
        return final

    # -- OutboxStore ---------------------------------------------------------------

    async def enqueue(self, messages: Sequence[OutboxMessage], now: datetime) -> int:
        async with self._db.engine.begin() as conn:
            return await self._enqueue(conn, messages, now)

    async def claim_due(
        self,
        platforms: Collection[str],
        owner: str,
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
            .values(lease_owner=owner, lease_until=now + lease, updated_at=now)
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

    async def pause_channel(self, scope: Scope, reason: str, now: datetime) -> int:
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
                .where(_in_scope(_outbox, scope), _outbox.c.status == OutboxStatus.PENDING.value)
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
            await conn.execute(update(_subs).where(_in_scope(_subs, scope)).values(paused=True))
        return count

    async def _resume(self, conn: AsyncConnection, scope: Scope, now: datetime) -> int:
        await conn.execute(delete(_pauses).where(_in_scope(_pauses, scope)))
        await conn.execute(update(_subs).where(_in_scope(_subs, scope)).values(paused=False))
        resumed = await conn.execute(
            update(_outbox)
            .where(_in_scope(_outbox, scope), _outbox.c.status == OutboxStatus.PAUSED.value)
            .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, updated_at=now)
            .returning(_outbox.c.id)
        )
        return len(resumed.all())

    async def resume_channel(self, scope: Scope, now: datetime) -> int:
        async with self._db.engine.begin() as conn:
            return await self._resume(conn, scope, now)

    async def paused_channels(self) -> list[tuple[Scope, str, datetime]]:
        """Channels the bot was removed from, with the reason and when."""
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(select(_pauses).order_by(_pauses.c.paused_at))
            return [(_scope_of(r), r.reason, r.paused_at) for r in rows]

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
