"""SQL implementation of `core.ports.AccountStore`: accounts, follower history, discoveries.

Every write is one short transaction built from `INSERT ... ON CONFLICT`, so several bot
instances can share a PostgreSQL database without losing counts or double-announcing an
account. Multi-row writes are sorted by key so concurrent transactions lock rows in the
same order and cannot deadlock.

`save_users` is on the watchlist refresh's path (thousands of accounts a group), so its
SQL is written once per dialect and sent as the driver takes it: one `executemany` of
plain tuples on SQLite; on PostgreSQL one statement over the rows sent as one JSON
parameter (`json_to_recordset`: the server parses it, where adapting thousands of
values one by one took the client ~30 us an account).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
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


# The columns `save_users` writes, in order, with their PostgreSQL types.
_SAVE_COLUMNS = (
    ("user_id", "varchar"),
    ("username", "varchar"),
    ("username_lower", "varchar"),
    ("name", "varchar"),
    ("description", "text"),
    ("location", "varchar"),
    ("url", "text"),
    ("created_at", "timestamptz"),
    ("verified", "boolean"),
    ("protected", "boolean"),
    ("default_avatar", "boolean"),
    ("profile_image_url", "text"),
    ("followers", "bigint"),
    ("following", "bigint"),
    ("post_count", "bigint"),
    ("listed_count", "bigint"),
    ("like_count", "bigint"),
)
_SNAPSHOT_COLUMNS = ("user_id", "followers", "following", "post_count")


def sqlite_time(value: datetime | None) -> str | None:
    """A datetime as `UTCDateTime` stores it on SQLite (naive UTC, microseconds)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat is SQLAlchemy's SQLite storage format ("YYYY-MM-DD HH:MM:SS.ffffff"), and
    # several times faster than strftime: it runs twice per account in a refresh.
    return value.isoformat(" ", "microseconds")


def aware(value: datetime) -> datetime:
    """`value` with its time zone (naive values are UTC, as `UTCDateTime` takes them)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@cache
def _save_sql(dialect: str) -> tuple[str, str]:
    """The account upsert and the snapshot insert of `save_users`, per dialect."""
    names = [name for name, _ in _SAVE_COLUMNS]
    columns = ", ".join([*names, "first_seen_at", "last_seen_at", "status"])
    updates = ", ".join(f"{name} = excluded.{name}" for name in _PROFILE_COLUMNS)
    conflict = f"ON CONFLICT (user_id) DO UPDATE SET {updates}"
    snapshot_columns = "user_id, observed_at, followers, following, post_count"
    if dialect == "postgresql":
        record = ", ".join(f"{name} {kind}" for name, kind in _SAVE_COLUMNS)
        rows = f"json_to_recordset(%(rows)s::json) AS r({record})"
        upsert = (
            f"INSERT INTO accounts ({columns}) "  # noqa: S608  constant names only
            f"SELECT {', '.join('r.' + name for name in names)}, "
            f"%(seen)s::timestamptz, %(seen)s::timestamptz, %(status)s FROM {rows} {conflict}"
        )
        snapshot = (
            f"INSERT INTO follower_snapshots ({snapshot_columns}) "  # noqa: S608  constants
            "SELECT r.user_id, %(seen)s::timestamptz, r.followers, r.following, r.post_count "
            f"FROM {rows}"
        )
        return upsert, snapshot
    marks = ", ".join("?" for _ in range(len(names) + 3))
    upsert = f"INSERT INTO accounts ({columns}) VALUES ({marks}) {conflict}"  # noqa: S608  constants
    snapshot = f"INSERT INTO follower_snapshots ({snapshot_columns}) VALUES (?, ?, ?, ?, ?)"  # noqa: S608
    return upsert, snapshot


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
        upsert, snapshot = _save_sql(self._dialect)
        async with self._db.engine.begin() as conn:
            if self._dialect == "postgresql":
                records = json.dumps(
                    [
                        {
                            "user_id": u.id,
                            "username": u.username,
                            "username_lower": u.username.lower(),
                            "name": u.name,
                            "description": u.description,
                            "location": u.location,
                            "url": u.url,
                            "created_at": aware(u.created_at).isoformat() if u.created_at else None,
                            "verified": u.verified,
                            "protected": u.protected,
                            "default_avatar": u.default_avatar,
                            "profile_image_url": u.profile_image_url,
                            "followers": u.followers,
                            "following": u.following,
                            "post_count": u.post_count,
                            "listed_count": u.listed_count,
                            "like_count": u.like_count,
                        }
                        for u in ordered
                    ]
                )
                values = {"rows": records, "seen": aware(observed_at), "status": ACCOUNT_ACTIVE}
                await conn.exec_driver_sql(upsert, values)
                await conn.exec_driver_sql(snapshot, values)
                return
            seen = sqlite_time(observed_at)
            rows = [
                (
                    u.id,
                    u.username,
                    u.username.lower(),
                    u.name,
                    u.description,
                    u.location,
                    u.url,
                    sqlite_time(u.created_at),
                    int(u.verified),
                    int(u.protected),
                    int(u.default_avatar),
                    u.profile_image_url,
                    u.followers,
                    u.following,
                    u.post_count,
                    u.listed_count,
                    u.like_count,
                    seen,
                    seen,
                    ACCOUNT_ACTIVE,
                )
                for u in ordered
            ]
            await conn.exec_driver_sql(upsert, rows)
            await conn.exec_driver_sql(
                snapshot, [(u.id, seen, u.followers, u.following, u.post_count) for u in ordered]
            )

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
