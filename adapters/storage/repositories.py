"""SQL implementation of the core's storage ports (SQLite and PostgreSQL).

Every write is one short transaction built from `INSERT ... ON CONFLICT`, so
several bot instances can share a PostgreSQL database without losing counts or
double-announcing an account. Multi-row writes are sorted by key so concurrent
transactions lock rows in the same order and cannot deadlock.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table, case, delete, func, literal, select, update
from sqlalchemy.engine import Row

from adapters.storage.database import Database
from adapters.storage.sql import chunks, dialect_insert
from adapters.storage.tables import (
    ACCOUNT_ACTIVE,
    Account,
    Discovery,
    FollowerSnapshot,
    SearchCacheEntry,
    UTCDateTime,
    WatchlistEntry,
    XRead,
    XUsage,
)
from core.models import Cost, Scope, WatchEntry, XUser

logger = logging.getLogger(__name__)

_H = TypeVar("_H", bound=Hashable)


_accounts: Table = Account.__table__  # type: ignore[assignment]
_snapshots: Table = FollowerSnapshot.__table__  # type: ignore[assignment]
_discoveries: Table = Discovery.__table__  # type: ignore[assignment]
_watchlist: Table = WatchlistEntry.__table__  # type: ignore[assignment]
_cache: Table = SearchCacheEntry.__table__  # type: ignore[assignment]
_usage: Table = XUsage.__table__  # type: ignore[assignment]
_reads: Table = XRead.__table__  # type: ignore[assignment]

# Profile columns refreshed on every sighting (first_seen_at is set once).
_PROFILE_COLUMNS = (
    "username",
    "username_lower",
    "name",
    "description",
    "location",
    "url",
    "created_at",
    "verified",
    "protected",
    "default_avatar",
    "profile_image_url",
    "followers",
    "following",
    "post_count",
    "listed_count",
    "like_count",
    "last_seen_at",
    "status",
)


def _unique(items: Iterable[_H]) -> list[_H]:
    """Items without repeats, in first-seen order."""
    return list(dict.fromkeys(items))


def _handle(username: str) -> str:
    """Case-insensitive form of a handle as typed (`@Name`, `name`)."""
    return username.strip().lstrip("@").lower()


def niche_key(niche: str) -> str:
    """`"  Home Fitness"` and `"home fitness"` are the same niche."""
    return " ".join(niche.casefold().split())


def _account_row(user: XUser, observed_at: datetime) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "username": user.username,
        "username_lower": user.username.lower(),
        "name": user.name,
        "description": user.description,
        "location": user.location,
        "url": user.url,
        "created_at": user.created_at,
        "verified": user.verified,
        "protected": user.protected,
        "default_avatar": user.default_avatar,
        "profile_image_url": user.profile_image_url,
        "followers": user.followers,
        "following": user.following,
        "post_count": user.post_count,
        "listed_count": user.listed_count,
        "like_count": user.like_count,
        "first_seen_at": observed_at,
        "last_seen_at": observed_at,
        "status": ACCOUNT_ACTIVE,
    }


def _user_from_row(row: Row[Any]) -> XUser:
    return XUser(
        id=row.user_id,
        username=row.username,
        name=row.name,
        followers=row.followers,
        following=row.following,
        post_count=row.post_count,
        listed_count=row.listed_count,
        like_count=row.like_count,
        description=row.description,
        location=row.location,
        url=row.url,
        created_at=row.created_at,
        verified=row.verified,
        protected=row.protected,
        default_avatar=row.default_avatar,
        profile_image_url=row.profile_image_url,
    )


def _in_scope(scope: Scope) -> Any:
    return (
        (_watchlist.c.platform == scope.platform)
        & (_watchlist.c.workspace == scope.workspace)
        & (_watchlist.c.channel == scope.channel)
    )


class SqlStorage:
    """SearchCache, UsageLedger, AccountStore and WatchlistStore over one `Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    def __repr__(self) -> str:
        return f"SqlStorage({self._db.url!r})"

    # -- SearchCache ---------------------------------------------------------------

    async def get_cached(self, key: str, day: date) -> dict[str, Any] | None:
        """The payload stored under `key` for `day`, if any."""
        stmt = select(_cache.c.payload).where(_cache.c.cache_key == key, _cache.c.day == day)
        async with self._db.engine.connect() as conn:
            payload = (await conn.execute(stmt)).scalar_one_or_none()
        return dict(payload) if payload is not None else None

    async def put_cached(self, key: str, day: date, payload: dict[str, Any]) -> None:
        """Store (or replace) the payload under `key` for `day`."""
        stmt = dialect_insert(self._db.dialect, _cache).values(
            cache_key=key, day=day, payload=payload, created_at=datetime.now(UTC)
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["cache_key", "day"],
            set_={"payload": stmt.excluded.payload, "created_at": stmt.excluded.created_at},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    # -- UsageLedger ---------------------------------------------------------------

    async def mark_read(self, day: date, kind: str, ids: Sequence[str]) -> int:
        """Remember `ids` of `kind` as read on `day`; return how many were new that day."""
        unique = sorted(set(ids))
        if not unique:
            return 0
        stmt = (
            dialect_insert(self._db.dialect, _reads)
            .on_conflict_do_nothing(index_elements=["day", "kind", "resource_id"])
            .returning(_reads.c.resource_id)
        )
        rows = [{"day": day, "kind": kind, "resource_id": rid} for rid in unique]
        async with self._db.engine.begin() as conn:
            # One multi-row INSERT per batch; RETURNING yields only rows actually inserted.
            inserted = (await conn.execute(stmt, rows)).scalars().all()
        return len(inserted)

    async def record_usage(
        self, day: date, *, requests: int, posts_read: int, users_read: int, usd: float
    ) -> None:
        """Add to the day's counters (atomic, so concurrent instances never lose counts)."""
        stmt = dialect_insert(self._db.dialect, _usage).values(
            day=day, requests=requests, posts_read=posts_read, users_read=users_read, usd=usd
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["day"],
            set_={
                "requests": _usage.c.requests + stmt.excluded.requests,
                "posts_read": _usage.c.posts_read + stmt.excluded.posts_read,
                "users_read": _usage.c.users_read + stmt.excluded.users_read,
                "usd": _usage.c.usd + stmt.excluded.usd,
            },
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def spent_usd(self, start: date, end: date) -> float:
        """Dollars recorded for days in [start, end]."""
        return (await self.usage(start, end)).usd

    async def usage(self, start: date, end: date) -> Cost:
        """Everything recorded for days in [start, end], e.g. for a monthly report."""
        stmt = select(
            func.coalesce(func.sum(_usage.c.requests), 0),
            func.coalesce(func.sum(_usage.c.posts_read), 0),
            func.coalesce(func.sum(_usage.c.users_read), 0),
            func.coalesce(func.sum(_usage.c.usd), 0.0),
        ).where(_usage.c.day.between(start, end))
        async with self._db.engine.connect() as conn:
            requests, posts, users, usd = (await conn.execute(stmt)).one()
        # Float sums drift in the last digits; cents are what budgets compare.
        return Cost(int(requests), int(posts), int(users), round(float(usd), 6))

    async def prune(self, before: date) -> int:
        """Delete cache entries and charged-read markers of days before `before`.

        Both are only useful within their UTC day; a daily job keeps the tables small.
        """
        async with self._db.engine.begin() as conn:
            cache = await conn.execute(delete(_cache).where(_cache.c.day < before))
            reads = await conn.execute(delete(_reads).where(_reads.c.day < before))
        removed = (cache.rowcount or 0) + (reads.rowcount or 0)
        logger.info("Pruned %d cache/read rows older than %s", removed, before)
        return removed

    # -- AccountStore --------------------------------------------------------------

    async def save_users(self, users: Sequence[XUser], observed_at: datetime) -> None:
        """Upsert each account and append a follower snapshot."""
        latest = {user.id: user for user in users}  # the last sighting of an id wins
        if not latest:
            return
        ordered = [latest[uid] for uid in sorted(latest)]
        stmt = dialect_insert(self._db.dialect, _accounts)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={name: stmt.excluded[name] for name in _PROFILE_COLUMNS},
        )
        snapshots = [
            {
                "user_id": user.id,
                "observed_at": observed_at,
                "followers": user.followers,
                "following": user.following,
                "post_count": user.post_count,
            }
            for user in ordered
        ]
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt, [_account_row(user, observed_at) for user in ordered])
            await conn.execute(_snapshots.insert(), snapshots)

    async def users_by_username(self, usernames: Sequence[str]) -> dict[str, XUser]:
        """Known accounts keyed by lower-cased username."""
        wanted = _unique([h for h in (_handle(name) for name in usernames) if h])
        found: dict[str, XUser] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(wanted):
                # A handle freed and re-taken leaves two rows: the latest sighting wins.
                stmt = (
                    select(_accounts)
                    .where(
                        _accounts.c.username_lower.in_(chunk),
                        # A suspended or deleted account must be looked up on X again.
                        _accounts.c.status == ACCOUNT_ACTIVE,
                    )
                    .order_by(_accounts.c.last_seen_at)
                )
                for row in await conn.execute(stmt):
                    found[row.username_lower] = _user_from_row(row)
        return found

    async def users_by_ids(
        self, ids: Sequence[str], *, seen_since: datetime | None = None
    ) -> dict[str, XUser]:
        """Known active accounts keyed by id; with `seen_since`, only those seen since.

        Discovery skips X lookups for accounts seen recently: follower counts move slowly.
        """
        wanted = _unique([str(i) for i in ids if i])
        found: dict[str, XUser] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(wanted):
                stmt = select(_accounts).where(
                    _accounts.c.user_id.in_(chunk), _accounts.c.status == ACCOUNT_ACTIVE
                )
                if seen_since is not None:
                    stmt = stmt.where(_accounts.c.last_seen_at >= seen_since)
                for row in await conn.execute(stmt):
                    found[row.user_id] = _user_from_row(row)
        return found

    async def record_discoveries(
        self, niche: str, user_ids: Sequence[str], found_at: datetime
    ) -> set[str]:
        """Note that these accounts were found in `niche`; return the ids found first now."""
        key = niche_key(niche)
        unique = sorted(set(user_ids))
        if not unique:
            return set()
        insert_new = (
            dialect_insert(self._db.dialect, _discoveries)
            .on_conflict_do_nothing(index_elements=["niche_key", "user_id"])
            .returning(_discoveries.c.user_id)
        )
        rows = [
            {
                "niche_key": key,
                "user_id": uid,
                "first_found_at": found_at,
                "last_found_at": found_at,
                "times_found": 1,
            }
            for uid in unique
        ]
        found = literal(found_at, UTCDateTime())
        async with self._db.engine.begin() as conn:
            # On PostgreSQL a concurrent insert of the same row makes this one wait and
            # then skip it, so exactly one instance sees an account as new.
            new = set((await conn.execute(insert_new, rows)).scalars().all())
            seen_before = [uid for uid in unique if uid not in new]
            for chunk in chunks(seen_before):
                await conn.execute(
                    update(_discoveries)
                    .where(_discoveries.c.niche_key == key, _discoveries.c.user_id.in_(chunk))
                    .values(
                        times_found=_discoveries.c.times_found + 1,
                        last_found_at=case(
                            (_discoveries.c.last_found_at < found_at, found),
                            else_=_discoveries.c.last_found_at,
                        ),
                    )
                )
        return new

    # -- WatchlistStore ------------------------------------------------------------

    async def watch(
        self, scope: Scope, users: Sequence[XUser], added_at: datetime
    ) -> tuple[list[str], list[str]]:
        """Track accounts in `scope`; return (added usernames, already tracked usernames)."""
        first: dict[str, XUser] = {}
        for user in users:
            first.setdefault(user.id, user)
        unique = list(first.values())
        if not unique:
            return [], []
        stmt = (
            dialect_insert(self._db.dialect, _watchlist)
            .on_conflict_do_nothing(index_elements=["platform", "workspace", "channel", "user_id"])
            .returning(_watchlist.c.user_id)
        )
        rows = [
            {
                "platform": scope.platform,
                "workspace": scope.workspace,
                "channel": scope.channel,
                "user_id": user.id,
                "username": user.username,
                "added_at": added_at,
            }
            for user in sorted(unique, key=lambda u: u.id)
        ]
        async with self._db.engine.begin() as conn:
            inserted = set((await conn.execute(stmt, rows)).scalars().all())
        added = [user.username for user in unique if user.id in inserted]
        already = [user.username for user in unique if user.id not in inserted]
        return added, already

    async def unwatch(self, scope: Scope, usernames: Sequence[str]) -> list[str]:
        """Stop tracking in `scope`; return the usernames that were removed."""
        wanted = _unique([h for h in (_handle(name) for name in usernames) if h])
        if not wanted:
            return []
        current = func.coalesce(_accounts.c.username, _watchlist.c.username)
        candidates = (
            select(_watchlist.c.id, _watchlist.c.username.label("added_as"), current)
            .select_from(
                _watchlist.outerjoin(_accounts, _accounts.c.user_id == _watchlist.c.user_id)
            )
            .where(_in_scope(scope))
        )
        async with self._db.engine.begin() as conn:
            # Match the handle tracked then or the account's current one (renames).
            by_handle: dict[str, tuple[int, str]] = {}
            for row_id, added_as, shown in await conn.execute(candidates):
                by_handle.setdefault(added_as.lower(), (row_id, shown))
                by_handle.setdefault(shown.lower(), (row_id, shown))
            targets = [by_handle[h] for h in wanted if h in by_handle]
            ids = _unique([row_id for row_id, _ in targets])
            if not ids:
                return []
            # RETURNING reports what this call deleted, not what a concurrent one did.
            deleted: set[int] = set()
            for chunk in chunks(ids):
                result = await conn.execute(
                    delete(_watchlist)
                    .where(_in_scope(scope), _watchlist.c.id.in_(chunk))
                    .returning(_watchlist.c.id)
                )
                deleted.update(result.scalars().all())
        return _unique([shown for row_id, shown in targets if row_id in deleted])

    async def watchlist(self, scope: Scope) -> list[WatchEntry]:
        """The scope's tracked accounts with their latest known numbers, by username."""
        username = func.coalesce(_accounts.c.username, _watchlist.c.username)
        stmt = (
            select(
                _watchlist.c.user_id,
                username.label("username"),
                _accounts.c.name,
                _accounts.c.followers,
                _watchlist.c.added_at,
            )
            .select_from(
                _watchlist.outerjoin(_accounts, _accounts.c.user_id == _watchlist.c.user_id)
            )
            .where(_in_scope(scope))
            .order_by(func.lower(username), _watchlist.c.user_id)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            WatchEntry(
                user_id=row.user_id,
                username=row.username,
                name=row.name or "",
                followers=row.followers,
                tier=None,  # the core applies the workspace's tier boundaries
                added_at=row.added_at,
            )
            for row in rows
        ]


if TYPE_CHECKING:
    from core.ports import AccountStore, SearchCache, UsageLedger, WatchlistStore

    def _implements_ports(
        storage: SqlStorage,
    ) -> tuple[SearchCache, UsageLedger, AccountStore, WatchlistStore]:
        """Lets mypy prove SqlStorage satisfies every storage port."""
        return storage, storage, storage, storage
