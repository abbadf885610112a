"""SQL implementation of `core.ports.TierStateStore`: what a watchlist refresh reads and decides.

A state is keyed by (user_id, tiering): one per account and set of boundaries
(`core.alerts`). It changes by compare-and-set on its `version` (`UPDATE ... WHERE
version = :seen RETURNING`) or, the first time, by `INSERT ... ON CONFLICT DO NOTHING
RETURNING`: of two instances deciding the same change, one wins and only its messages
are enqueued, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, literal, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage.outbox import enqueue_within
from adapters.storage.sql import SqlRepository, chunks, dialect_insert, scope_of
from adapters.storage.tables import (
    ACCOUNT_MISSING,
    AccountRow,
    FollowerSnapshotRow,
    TierStateRow,
    WatchlistRow,
    table,
)
from core.models import AccountStatus, StateChange, Tier, TierState, Watcher

_states = table(TierStateRow)
_accounts = table(AccountRow)
_snapshots = table(FollowerSnapshotRow)
_watchlist = table(WatchlistRow)


def _state(row: Row[Any]) -> TierState:
    return TierState(
        user_id=row.user_id,
        username=row.username,
        tier=Tier(row.tier) if row.tier else None,
        followers=int(row.followers),
        status=AccountStatus(row.status),
        version=int(row.version),
        changed_at=row.changed_at,
        tiering=row.tiering,
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
        "tiering": state.tiering,
    }


def _key(state: TierState) -> tuple[str, str]:
    return (state.user_id, state.tiering)


def _watcher_tiering(tierings: Mapping[tuple[str, str], str]) -> ColumnElement[str]:
    """The tiering a watchlist row's workspace follows, as SQL (a CASE over the few own)."""
    if not tierings:
        return literal("")
    whens = [
        (and_(_watchlist.c.platform == platform, _watchlist.c.workspace == workspace), key)
        for (platform, workspace), key in sorted(tierings.items())
    ]
    return case(*whens, else_="")


class SqlTierStateStore(SqlRepository):
    """The `tier_states` table, read with the watchlist and follower snapshots."""

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
                    found.setdefault(row.user_id, []).append(Watcher(scope_of(row), row.username))
        return found

    async def tier_states(self, user_ids: Sequence[str]) -> dict[tuple[str, str], TierState]:
        found: dict[tuple[str, str], TierState] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(sorted(set(user_ids))):
                for row in await conn.execute(select(_states).where(_states.c.user_id.in_(chunk))):
                    state = _state(row)
                    found[_key(state)] = state
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
        # One order on every instance, so concurrent transactions lock rows alike.
        inserts = sorted(
            (c for c in changes if c.expected_version is None), key=lambda c: _key(c.state)
        )
        updates = sorted(
            (c for c in changes if c.expected_version is not None), key=lambda c: _key(c.state)
        )
        applied: list[StateChange] = []
        async with self._db.engine.begin() as conn:
            for change in updates:
                state = change.state
                values = _state_values(state)
                del values["user_id"], values["tiering"]
                won = await conn.execute(
                    update(_states)
                    .where(
                        _states.c.user_id == state.user_id,
                        _states.c.tiering == state.tiering,
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
                    .on_conflict_do_nothing(index_elements=["user_id", "tiering"])
                    .returning(_states.c.user_id, _states.c.tiering)
                )
                result = await conn.execute(stmt, [_state_values(c.state) for c in inserts])
                new = {(row.user_id, row.tiering) for row in result}
                applied.extend(c for c in inserts if _key(c.state) in new)
            gone = sorted(
                {c.state.user_id for c in applied if c.state.status is AccountStatus.MISSING}
            )
            for chunk in chunks(gone):
                await conn.execute(
                    update(_accounts)
                    .where(_accounts.c.user_id.in_(chunk))
                    .values(status=ACCOUNT_MISSING)
                )
            await enqueue_within(conn, [m for c in applied for m in c.messages], now)
        return applied

    async def forget_untracked(self, *, tierings: Mapping[tuple[str, str], str]) -> int:
        # Kept: a state some channel tracking the account follows (by its workspace).
        used = select(_watchlist.c.user_id).where(
            _watchlist.c.user_id == _states.c.user_id,
            _watcher_tiering(tierings) == _states.c.tiering,
        )
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(_states).where(~used.exists()))
        return result.rowcount or 0
