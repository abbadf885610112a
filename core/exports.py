"""Results to take away: CSV exports of a search and a watchlist, growth charts (issue 12).

Nothing here reads X: a search export ranks what the search already paid for, and a
watchlist export or a chart reads stored accounts and follower snapshots. Charts are
drawn by a `ChartRenderer` in a worker thread (never on the event loop), at most
`MAX_CHARTS_AT_ONCE` at a time, so a burst of requests never holds many figures in memory.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta

from core.csv_export import (
    SEARCH_COLUMNS,
    WATCHLIST_COLUMNS,
    Cell,
    search_rows,
    to_csv,
    watchlist_row,
)
from core.errors import BadInput
from core.growth import WINDOWS, growth, growth_line
from core.models import (
    FileAnswer,
    FollowerPoint,
    Scope,
    SearchResult,
    WatchEntry,
    XUser,
)
from core.ports import AccountStore, ChartRenderer, Clock, WorkspaceSettingsStore
from core.tiers import DEFAULT_TIERS, TierBoundaries, format_count, tier_for
from core.watchlist import Watchlists
from core.wording import plural

CSV_TYPE = "text/csv"
PNG_TYPE = "image/png"
MAX_CHARTS_AT_ONCE = 2
# Accounts whose histories are read at once for a watchlist export (bounds memory).
HISTORY_BATCH = 100
# Growth looks back 90 days against the snapshot nearest before: read a little more.
_GROWTH_REACH = timedelta(days=max(WINDOWS) + 14)
_SLUG = re.compile(r"[^a-z0-9_]+")

# One bound per event loop: an asyncio semaphore belongs to the loop that waits on it.
_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _chart_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _limits.get(loop)
    if slot is None:
        slot = _limits[loop] = asyncio.Semaphore(MAX_CHARTS_AT_ONCE)
    return slot


def slug(text: str, fallback: str = "search") -> str:
    """`home workout` -> `home-workout`, `jane_lifts` stays: safe in a file name anywhere."""
    return _SLUG.sub("-", text.lower()).strip("-")[:40].strip("-") or fallback


def not_enough_history(handle: str, points: int, days: int) -> str:
    if points == 0:
        have = "no snapshots stored yet"
    elif points == 1:
        have = "one snapshot so far"
    else:
        have = f"only one snapshot in the last {days} days"
    return f"Not enough history yet for @{handle}: {have}; each refresh adds one."


class Exports:
    """CSV files of searches and watchlists, PNG charts of follower growth."""

    def __init__(
        self,
        accounts: AccountStore,
        watchlists: Watchlists,
        charts: ChartRenderer | None,
        clock: Clock,
        *,
        bounds: TierBoundaries = DEFAULT_TIERS,
        workspace_settings: WorkspaceSettingsStore | None = None,
        source: str = "",
    ) -> None:
        """`source` is the X source's name (`XSource.name`): the CSV's `source` column."""
        self._accounts = accounts
        self._watchlists = watchlists
        self._charts = charts
        self._clock = clock
        self._bounds = bounds
        self._workspace_settings = workspace_settings
        self._source = source

    async def search_csv(self, result: SearchResult) -> FileAnswer:
        """The ranked accounts of a search as one CSV row each."""
        now = self._clock.now()
        if result.seed is not None and not result.niche:
            topic, what = f"like-{slug(result.seed.username)}", f"like @{result.seed.username}"
        else:
            topic, what = slug(result.niche), f"for “{result.niche}”"
        filename = f"influencers-{topic}-{now:%Y-%m-%d}.csv"
        count = len(result.results)
        return FileAnswer(
            filename=filename,
            content_type=CSV_TYPE,
            data=to_csv(SEARCH_COLUMNS, search_rows(result, now)),
            text=f"{plural(count, 'account')} {what} in {filename}",
            source=result.source,
            rows=count,
            cost=result.cost,
            title=f"Influencers {what}",
        )

    async def watchlist_csv(self, scope: Scope) -> FileAnswer:
        """The channel's tracked accounts with their profiles, growth and last audit."""
        now = self._clock.now()
        view = await self._watchlists.view(scope)
        rows: list[dict[str, Cell | bool]] = []
        entries = list(view.entries)
        for start in range(0, len(entries), HISTORY_BATCH):
            batch = entries[start : start + HISTORY_BATCH]
            ids = [e.user_id for e in batch]
            users = await self._accounts.users_by_ids(ids)
            history = await self._accounts.follower_history(ids)
            for entry in batch:
                points = history.get(entry.user_id, [])
                rows.append(
                    watchlist_row(
                        entry, users.get(entry.user_id), growth(points, now), self._source
                    )
                )
        filename = f"watchlist-{slug(scope.channel, 'channel')}-{now:%Y-%m-%d}.csv"
        return FileAnswer(
            filename=filename,
            content_type=CSV_TYPE,
            data=to_csv(WATCHLIST_COLUMNS, rows),
            text=f"{plural(len(rows), 'tracked account')} in {filename}",
            source=self._source,
            rows=len(rows),
            title="Watchlist",
        )

    async def chart(self, scope: Scope, handle: str, days: int) -> FileAnswer:
        """A PNG of the account's follower snapshots over `days`, with the tier
        boundaries, and the growth line beside it."""
        handle = handle.strip().lstrip("@")
        entry, user = await self._find(scope, handle)
        username = entry.username if entry is not None else user.username if user else handle
        user_id = entry.user_id if entry is not None else user.id if user else ""
        answer = await self.account_chart(scope, user_id, username, days)
        if isinstance(answer, str):
            raise BadInput(answer)
        return answer

    async def account_chart(
        self, scope: Scope, user_id: str, username: str, days: int = 90
    ) -> FileAnswer | str:
        """The chart of one stored account, or why there is none (not enough history).

        Tier alerts attach it too; they skip the chart when a string comes back.
        """
        if self._charts is None:
            return "Charts are not enabled on this bot."
        now = self._clock.now()
        start = now - timedelta(days=days)
        history = await self._accounts.follower_history(
            [user_id], since=min(start, now - _GROWTH_REACH)
        )
        points = history.get(user_id, [])
        shown = [p for p in points if p.at >= start]
        if len(shown) < 2:
            if len(points) < 2:  # say how many there are in all, not just lately
                points = (await self._accounts.follower_history([user_id])).get(user_id, [])
            return not_enough_history(username, len(points), days)
        bounds = await self._bounds_for(scope)
        title = f"@{username} followers, last {plural(days, 'day')}"
        png = await self._draw(title, shown, bounds, days=days, now=now)
        g = growth(points, now)
        followers = g.followers or 0
        tier = tier_for(followers, bounds)
        head = f"@{username}: {format_count(followers)} followers, {tier.value if tier else '-'}"
        return FileAnswer(
            filename=f"{slug(username, 'account')}-followers-{days}d.png",
            content_type=PNG_TYPE,
            data=png,
            text=f"{head} · {growth_line(g)}",
            source=self._source,
            rows=len(shown),
            title=title,
        )

    async def _draw(
        self,
        title: str,
        points: Sequence[FollowerPoint],
        bounds: TierBoundaries,
        *,
        days: int,
        now: datetime,
    ) -> bytes:
        charts = self._charts
        assert charts is not None
        async with _chart_slot():
            return await asyncio.to_thread(
                charts.growth_png, title, points, bounds, days=days, now=now
            )

    async def _find(self, scope: Scope, handle: str) -> tuple[WatchEntry | None, XUser | None]:
        """The account on the channel's watchlist, else among the stored ones."""
        wanted = handle.lower()
        view = await self._watchlists.view(scope)
        for entry in view.entries:
            if entry.username.lower() == wanted:
                return entry, None
        user = (await self._accounts.users_by_username([handle])).get(wanted)
        if user is None:
            raise BadInput(
                f"@{handle} is not on this channel's watchlist: /watchlist add @{handle} first."
            )
        return None, user

    async def _bounds_for(self, scope: Scope) -> TierBoundaries:
        """The workspace's own tier boundaries when it set some, else the deployment's."""
        if self._workspace_settings is None:
            return self._bounds
        own = await self._workspace_settings.workspace_settings(scope.platform, scope.workspace)
        return own.bounds if own is not None and own.bounds is not None else self._bounds
