"""SQL implementation of `core.ports.TierStateStore`: what a watchlist refresh reads and decides.

A state is keyed by (user_id, tiering): one per account and set of boundaries
(`core.alerts`). It changes by compare-and-set on its `version` (`UPDATE ... WHERE
version = :seen RETURNING`) or, the first time, by `INSERT ... ON CONFLICT DO NOTHING
RETURNING`: of two instances deciding the same change, one wins and only its messages
are enqueued, in the same transaction.

A refresh pass reads the tracked accounts a page at a time (`tracked_user_id_pages`,
keyset on `accounts (last_seen_at, user_id)`), and the states and watchers of a whole
group of lookups in one statement each: `= ANY(array)` on PostgreSQL (one parameter, so
a prepared statement's generic plan is still an index scan), `IN (...)` on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage.accounts import aware, sqlite_time
from adapters.storage.outbox import enqueue_within
from adapters.storage.sql import SqlRepository, chunks, dialect_insert
from adapters.storage.tables import (
    ACCOUNT_MISSING,
    AccountRow,
    FollowerSnapshotRow,
    TierStateRow,
    WatchlistRow,
    table,
)
from core.models import AccountStatus, Scope, StateChange, Tier, TierState, Watcher

_states = table(TierStateRow)
_accounts = table(AccountRow)
_snapshots = table(FollowerSnapshotRow)
_watchlist = table(WatchlistRow)

# Ids per statement when reading a refresh group's states and watchers (SQLite allows
# 32,766 bound parameters; PostgreSQL takes them as one array).
GROUP_CHUNK = 5_000
_TIERS = {tier.value: tier for tier in Tier}
_STATUSES = {status.value: status for status in AccountStatus}
# A group's reads as the driver takes them: the ids as one JSON array on SQLite, one
# array on PostgreSQL; rows come back as plain tuples.
_IDS = {
    "sqlite": "IN (SELECT value FROM json_each(?))",
    "postgresql": "= ANY(ARRAY(SELECT json_array_elements_text(%(ids)s::json)))",
}
_STATES = {
    dialect: "SELECT user_id, tiering, username, tier, followers, status, version, changed_at "  # noqa: S608  constants
    f"FROM tier_states WHERE user_id {ids}"
    for dialect, ids in _IDS.items()
}
_WATCHERS = {
    dialect: "SELECT w.user_id, w.platform, w.workspace, w.channel, "  # noqa: S608  constants
    "COALESCE((SELECT a.username FROM accounts a WHERE a.user_id = w.user_id), w.username) "
    f"FROM watchlist w WHERE w.user_id {ids} ORDER BY w.user_id, w.id"
    for dialect, ids in _IDS.items()
}


# A page of tracked accounts, keyset on (last_seen_at, user_id) below a bound.
_PAGE = (
    "SELECT a.user_id, a.last_seen_at FROM accounts a "
    "WHERE EXISTS (SELECT 1 FROM watchlist w WHERE w.user_id = a.user_id) "
    "AND a.last_seen_at < {mark} {after}"
    "ORDER BY a.last_seen_at, a.user_id LIMIT {mark}"
)
_PAGE_FIRST = {
    "sqlite": _PAGE.format(mark="?", after=""),
    "postgresql": _PAGE.format(mark="%s", after=""),
}
_PAGE_NEXT = {
    "sqlite": _PAGE.format(mark="?", after="AND (a.last_seen_at, a.user_id) > (?, ?) "),
    "postgresql": _PAGE.format(mark="%s", after="AND (a.last_seen_at, a.user_id) > (%s, %s) "),
}
_PAGE_PLAN = (
    "SET LOCAL enable_hashagg = off",
    "SET LOCAL enable_hashjoin = off",
    "SET LOCAL enable_sort = off",
    "SET LOCAL enable_seqscan = off",
    "SET LOCAL max_parallel_workers_per_gather = 0",
)
_STATE_COLUMNS = "user_id, tiering, username, tier, followers, status, version, changed_at"
_INSERT_STATES_SQLITE = (
    f"INSERT INTO tier_states ({_STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608  constants
    "ON CONFLICT (user_id, tiering) DO NOTHING"
)
_INSERT_STATES_POSTGRES = (
    f"INSERT INTO tier_states ({_STATE_COLUMNS}) "  # noqa: S608  constants
    "SELECT * FROM json_to_recordset(%(rows)s::json) AS r(user_id varchar, tiering varchar, "
    "username varchar, tier varchar, followers bigint, status varchar, version int, "
    "changed_at timestamptz) "
    "ON CONFLICT (user_id, tiering) DO NOTHING RETURNING user_id, tiering"
)


class _SomeExisted(Exception):
    """Some first states were recorded by another instance before ours (SQLite)."""


def _utc(value: datetime | str) -> datetime:
    """A time read by the driver: SQLite's naive UTC text, PostgreSQL's aware value."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


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

    def _tracked_filter(self, not_seen_since: datetime | None) -> ColumnElement[bool]:
        """Accounts some channel tracks (and, with `not_seen_since`, not seen since)."""
        tracked = exists().where(_watchlist.c.user_id == _accounts.c.user_id)
        if not_seen_since is None:
            return tracked
        return and_(tracked, _accounts.c.last_seen_at < not_seen_since)

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

    async def tracked_count(self, *, not_seen_since: datetime | None = None) -> int:
        unseen = (
            select(func.count(func.distinct(_watchlist.c.user_id)))
            .where(~exists().where(_accounts.c.user_id == _watchlist.c.user_id))
            .scalar_subquery()
        )
        seen = (
            select(func.count())
            .select_from(_accounts)
            .where(self._tracked_filter(not_seen_since))
            .scalar_subquery()
        )
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(select(unseen + seen))).scalar_one())

    async def tracked_user_id_pages(
        self, *, not_seen_since: datetime | None = None, started: datetime, size: int = 1_000
    ) -> AsyncIterator[list[str]]:
        """`tracked_user_ids` in pages of `size`, each read in its own short query.

        Order: tracked ids with no account row yet (by id), then accounts by
        (last_seen_at, user_id) from where the previous page ended. Only accounts seen
        before `started` (or `not_seen_since`) are paged so: an account this pass saves
        moves past that bound and is not met again. Those seen at or after `started`
        when the pages begin (a clock that has not moved since they were saved) are
        read then, kept (few), and come last.
        """
        bound = not_seen_since if not_seen_since is not None else started
        late: list[str] = []
        if not_seen_since is None:
            stmt = (
                select(_accounts.c.user_id)
                .where(self._tracked_filter(None), _accounts.c.last_seen_at >= bound)
                .order_by(_accounts.c.last_seen_at, _accounts.c.user_id)
            )
            async with self._db.engine.connect() as conn:
                late = list((await conn.execute(stmt)).scalars())
        after_id: str | None = None
        while True:  # tracked, never saved as an account: "not seen" sorts first
            unseen = (
                select(_watchlist.c.user_id)
                .where(~exists().where(_accounts.c.user_id == _watchlist.c.user_id))
                .distinct()
                .order_by(_watchlist.c.user_id)
                .limit(size)
            )
            if after_id is not None:
                unseen = unseen.where(_watchlist.c.user_id > after_id)
            async with self._db.engine.connect() as conn:
                ids = list((await conn.execute(unseen)).scalars())
            if ids:
                yield ids
                after_id = ids[-1]
            if len(ids) < size:
                break
        after: tuple[Any, str] | None = None  # the last row's key, as the driver gave it
        first_bound: Any = sqlite_time(bound) if self._dialect == "sqlite" else bound
        while True:
            params: tuple[Any, ...] = (first_bound, size)
            sql = _PAGE_FIRST[self._dialect]
            if after is not None:
                params, sql = (first_bound, *after, size), _PAGE_NEXT[self._dialect]
            rows = await self._fetch(sql, params)
            if rows:
                yield [row[0] for row in rows]
                after = (rows[-1][1], rows[-1][0])
            if len(rows) < size:
                break
        for start in range(0, len(late), size):
            yield late[start : start + size]

    async def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Plain rows of one page read, through the driver.

        On PostgreSQL the page must be read in index order, however the planner's
        statistics stand: on tables not analyzed yet (a fresh import) it hashed the
        whole watchlist and sorted every account for each page (0.4 s a page at 100,000
        accounts, against 2 ms walking the index). So the statement runs unprepared in
        its own transaction with hashing, sorting and parallel workers set off
        (`SET LOCAL`: undone when the connection goes back to the pool, rolled back).
        """
        async with self._db.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            if self._dialect == "postgresql":
                async with driver.cursor() as cursor:
                    for setting in _PAGE_PLAN:
                        await cursor.execute(setting, prepare=False)
                    await cursor.execute(sql, params, prepare=False)
                    return list(await cursor.fetchall())
            return list(await driver.execute_fetchall(sql, params))

    async def _rows(self, sql: dict[str, str], user_ids: Sequence[str]) -> list[Any]:
        """Plain rows of a read over a group's ids (`sql` per dialect, ids bound once),
        fetched through the driver itself: thousands of rows, no per-row wrapping."""
        wanted = sorted(set(user_ids))
        found: list[Any] = []
        async with self._db.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            for chunk in chunks(wanted, GROUP_CHUNK):
                if self._dialect == "postgresql":
                    async with driver.cursor() as cursor:
                        await cursor.execute(sql["postgresql"], {"ids": json.dumps(list(chunk))})
                        found.extend(await cursor.fetchall())
                else:
                    params = (json.dumps(list(chunk)),)
                    found.extend(await driver.execute_fetchall(sql["sqlite"], params))
        return found

    async def watchers(self, user_ids: Sequence[str]) -> dict[str, list[Watcher]]:
        found: dict[str, list[Watcher]] = {}
        scopes: dict[tuple[str, str, str], Scope] = {}  # one Scope per channel, shared
        for uid, platform, workspace, channel, name in await self._rows(_WATCHERS, user_ids):
            where = (platform, workspace, channel)
            scope = scopes.get(where)
            if scope is None:
                scope = scopes[where] = Scope(platform, workspace, channel)
            found.setdefault(uid, []).append(Watcher(scope, name))
        return found

    async def tier_states(self, user_ids: Sequence[str]) -> dict[tuple[str, str], TierState]:
        found: dict[tuple[str, str], TierState] = {}
        rows = await self._rows(_STATES, user_ids)
        for uid, tiering, username, tier, followers, status, version, changed_at in rows:
            found[(uid, tiering)] = TierState(
                user_id=uid,
                username=username,
                tier=_TIERS[tier] if tier else None,
                followers=int(followers),
                status=_STATUSES[status],
                version=int(version),
                changed_at=_utc(changed_at),
                tiering=tiering,
            )
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
        try:
            async with self._db.engine.begin() as conn:
                return await self._apply(conn, updates, inserts, now, fast=True)
        except _SomeExisted:
            # Another instance recorded some of these first: again, telling which.
            async with self._db.engine.begin() as conn:
                return await self._apply(conn, updates, inserts, now, fast=False)

    async def _apply(
        self,
        conn: AsyncConnection,
        updates: Sequence[StateChange],
        inserts: Sequence[StateChange],
        now: datetime,
        *,
        fast: bool,
    ) -> list[StateChange]:
        applied: list[StateChange] = []
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
            new = await self._insert_new(conn, inserts, fast=fast)
            applied.extend(c for c in inserts if _key(c.state) in new)
        gone = sorted({c.state.user_id for c in applied if c.state.status is AccountStatus.MISSING})
        for chunk in chunks(gone):
            await conn.execute(
                update(_accounts)
                .where(_accounts.c.user_id.in_(chunk))
                .values(status=ACCOUNT_MISSING)
            )
        await enqueue_within(conn, [m for c in applied for m in c.messages], now)
        return applied

    async def _insert_new(
        self, conn: AsyncConnection, inserts: Sequence[StateChange], *, fast: bool
    ) -> set[tuple[str, str]]:
        """Insert first states; the keys inserted (those already there lost the race).

        PostgreSQL: one statement over arrays, `RETURNING` what it inserted. SQLite: one
        `executemany` whose row count is all of them in the usual case (`fast`), else
        `_SomeExisted` and, the second time, an `INSERT ... RETURNING` that tells which.
        """
        states = [c.state for c in inserts]
        if self._dialect == "postgresql":
            records = [
                {
                    "user_id": s.user_id,
                    "tiering": s.tiering,
                    "username": s.username,
                    "tier": s.tier.value if s.tier else None,
                    "followers": s.followers,
                    "status": s.status.value,
                    "version": s.version,
                    "changed_at": aware(s.changed_at).isoformat(),
                }
                for s in states
            ]
            columns = {"rows": json.dumps(records)}
            result = await conn.exec_driver_sql(_INSERT_STATES_POSTGRES, columns)
            return {(row.user_id, row.tiering) for row in result}
        if fast:
            rows = [
                (
                    s.user_id,
                    s.tiering,
                    s.username,
                    s.tier.value if s.tier else None,
                    s.followers,
                    s.status.value,
                    s.version,
                    sqlite_time(s.changed_at),
                )
                for s in states
            ]
            result = await conn.exec_driver_sql(_INSERT_STATES_SQLITE, rows)
            if result.rowcount != len(rows):
                raise _SomeExisted
            return {_key(s) for s in states}
        stmt = (
            dialect_insert(self._dialect, _states)
            .on_conflict_do_nothing(index_elements=["user_id", "tiering"])
            .returning(_states.c.user_id, _states.c.tiering)
        )
        result = await conn.execute(stmt, [_state_values(s) for s in states])
        return {(row.user_id, row.tiering) for row in result}

    async def forget_untracked(self, *, tierings: Mapping[tuple[str, str], str]) -> int:
        # Kept: a state some channel tracking the account follows (by its workspace).
        used = select(_watchlist.c.user_id).where(
            _watchlist.c.user_id == _states.c.user_id,
            _watcher_tiering(tierings) == _states.c.tiering,
        )
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(_states).where(~used.exists()))
        return result.rowcount or 0
