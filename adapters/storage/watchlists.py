"""SQL implementation of `core.ports.WatchlistStore`: tracked accounts per channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select

from adapters.storage.sql import SqlRepository, chunks, dialect_insert, handle, in_scope, unique
from adapters.storage.tables import AccountRow, WatchlistRow, table
from core.models import Scope, WatchEntry, XUser

_accounts = table(AccountRow)
_watchlist = table(WatchlistRow)


class SqlWatchlistStore(SqlRepository):
    """The `watchlist` table, joined to `accounts` for current handles and numbers."""

    async def watch(
        self, scope: Scope, users: Sequence[XUser], *, added_at: datetime
    ) -> tuple[list[str], list[str]]:
        """Track accounts in `scope`; return (added usernames, already tracked usernames)."""
        first: dict[str, XUser] = {}
        for user in users:
            first.setdefault(user.id, user)
        distinct = list(first.values())
        if not distinct:
            return [], []
        stmt = (
            dialect_insert(self._dialect, _watchlist)
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
            for user in sorted(distinct, key=lambda u: u.id)
        ]
        async with self._db.engine.begin() as conn:
            inserted = set((await conn.execute(stmt, rows)).scalars().all())
        added = [user.username for user in distinct if user.id in inserted]
        already = [user.username for user in distinct if user.id not in inserted]
        return added, already

    async def unwatch(self, scope: Scope, usernames: Sequence[str]) -> list[str]:
        """Stop tracking in `scope`; return the usernames that were removed."""
        wanted = unique([h for h in (handle(name) for name in usernames) if h])
        if not wanted:
            return []
        current = func.coalesce(_accounts.c.username, _watchlist.c.username)
        candidates = (
            select(_watchlist.c.id, _watchlist.c.username.label("added_as"), current)
            .select_from(
                _watchlist.outerjoin(_accounts, _accounts.c.user_id == _watchlist.c.user_id)
            )
            .where(in_scope(_watchlist, scope))
        )
        async with self._db.engine.begin() as conn:
            # Match the handle tracked then or the account's current one (renames).
            by_handle: dict[str, tuple[int, str]] = {}
            for row_id, added_as, shown in await conn.execute(candidates):
                by_handle.setdefault(added_as.lower(), (row_id, shown))
                by_handle.setdefault(shown.lower(), (row_id, shown))
            targets = [by_handle[h] for h in wanted if h in by_handle]
            ids = unique([row_id for row_id, _ in targets])
            if not ids:
                return []
            # RETURNING reports what this call deleted, not what a concurrent one did.
            deleted: set[int] = set()
            for chunk in chunks(ids):
                result = await conn.execute(
                    delete(_watchlist)
                    .where(in_scope(_watchlist, scope), _watchlist.c.id.in_(chunk))
                    .returning(_watchlist.c.id)
                )
                deleted.update(result.scalars().all())
        return unique([shown for row_id, shown in targets if row_id in deleted])

    async def watchlist(self, scope: Scope) -> list[WatchEntry]:
        """The scope's tracked accounts with their latest known numbers, by username."""
        lists = await self._entries(in_scope(_watchlist, scope))
        return lists.get(scope.channel, [])

    async def workspace_watchlists(
        self, platform: str, workspace: str
    ) -> dict[str, list[WatchEntry]]:
        """Every channel of the workspace with its watchlist (as `watchlist` lists it)."""
        return await self._entries(
            and_(_watchlist.c.platform == platform, _watchlist.c.workspace == workspace)
        )

    async def _entries(self, where: Any) -> dict[str, list[WatchEntry]]:
        username = func.coalesce(_accounts.c.username, _watchlist.c.username)
        stmt = (
            select(
                _watchlist.c.channel,
                _watchlist.c.user_id,
                username.label("username"),
                _accounts.c.name,
                _accounts.c.followers,
                _watchlist.c.added_at,
            )
            .select_from(
                _watchlist.outerjoin(_accounts, _accounts.c.user_id == _watchlist.c.user_id)
            )
            .where(where)
            .order_by(_watchlist.c.channel, func.lower(username), _watchlist.c.user_id)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        lists: dict[str, list[WatchEntry]] = {}
        for row in rows:
            lists.setdefault(row.channel, []).append(
                WatchEntry(
                    user_id=row.user_id,
                    username=row.username,
                    name=row.name or "",
                    followers=row.followers,
                    tier=None,  # the core applies the workspace's tier boundaries
                    added_at=row.added_at,
                )
            )
        return lists
