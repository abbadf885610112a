"""SQL implementation of `core.ports.AccountStore`: accounts, follower history, discoveries.

Every write is one short transaction built from `INSERT ... ON CONFLICT`, so several bot
instances can share a PostgreSQL database without losing counts or double-announcing an
account. Multi-row writes are sorted by key so concurrent transactions lock rows in the
same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, literal, select, update
from sqlalchemy.engine import Row

from adapters.storage.sql import SqlRepository, chunks, dialect_insert, handle, niche_key, unique
from adapters.storage.tables import (
    ACCOUNT_ACTIVE,
    AccountRow,
    DiscoveryRow,
    FollowerSnapshotRow,
    UTCDateTime,
    table,
)
from core.models import FollowerPoint, XUser

_accounts = table(AccountRow)
_snapshots = table(FollowerSnapshotRow)
_discoveries = table(DiscoveryRow)

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


class SqlAccountStore(SqlRepository):
    """The `accounts`, `follower_snapshots` and `discoveries` tables."""

    async def save_users(self, users: Sequence[XUser], observed_at: datetime) -> None:
        """Upsert each account and append a follower snapshot."""
        latest = {user.id: user for user in users}  # the last sighting of an id wins
        if not latest:
            return
        ordered = [latest[uid] for uid in sorted(latest)]
        stmt = dialect_insert(self._dialect, _accounts)
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
        wanted = unique([h for h in (handle(name) for name in usernames) if h])
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
        wanted = unique([str(i) for i in ids if i])
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
        self, niche: str, user_ids: Sequence[str], *, found_at: datetime
    ) -> set[str]:
        """Note that these accounts were found in `niche`; return the ids found first now."""
        key = niche_key(niche)
        ids = sorted(set(user_ids))
        if not ids:
            return set()
        insert_new = (
            dialect_insert(self._dialect, _discoveries)
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
            for uid in ids
        ]
        found = literal(found_at, UTCDateTime())
        async with self._db.engine.begin() as conn:
            # On PostgreSQL a concurrent insert of the same row makes this one wait and
            # then skip it, so exactly one instance sees an account as new.
            new = set((await conn.execute(insert_new, rows)).scalars().all())
            seen_before = [uid for uid in ids if uid not in new]
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

    async def follower_history(
        self, user_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, list[FollowerPoint]]:
        """Each account's follower snapshots, oldest first (since a time if given)."""
        wanted = unique([str(i) for i in user_ids if i])
        history: dict[str, list[FollowerPoint]] = {uid: [] for uid in wanted}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(wanted):
                stmt = (
                    select(_snapshots.c.user_id, _snapshots.c.observed_at, _snapshots.c.followers)
                    .where(_snapshots.c.user_id.in_(chunk))
                    .order_by(_snapshots.c.user_id, _snapshots.c.observed_at)
                )
                if since is not None:
                    stmt = stmt.where(_snapshots.c.observed_at >= since)
                for row in await conn.execute(stmt):
                    history[row.user_id].append(FollowerPoint(row.observed_at, int(row.followers)))
        return history
