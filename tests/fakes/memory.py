"""In-memory fakes of the core's ports, for unit tests of the core only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.errors import XOperatorRejected, XRateLimited, XUnavailable
from core.models import (
    AuditResult,
    FollowersPage,
    Post,
    PostCounts,
    Scope,
    SearchPage,
    TimelinePage,
    UsersPage,
    WatchEntry,
    XUser,
)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 16, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class MemoryStorage:
    """Implements SearchCache, UsageLedger, AccountStore and WatchlistStore in dicts."""

    cache: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    reads: set[tuple[date, str, str]] = field(default_factory=set)
    usage: dict[date, dict[str, float]] = field(default_factory=dict)
    accounts: dict[str, XUser] = field(default_factory=dict)
    seen_at: dict[str, datetime] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    snapshots: list[tuple[str, datetime, int]] = field(default_factory=list)
    discoveries: dict[tuple[str, str], datetime] = field(default_factory=dict)
    watch_rows: dict[tuple[Scope, str], datetime] = field(default_factory=dict)

    async def get_cached(self, key: str, day: date) -> dict[str, Any] | None:
        return self.cache.get((key, day))

    async def put_cached(self, key: str, day: date, payload: dict[str, Any]) -> None:
        self.cache[(key, day)] = payload

    async def mark_read(self, day: date, kind: str, ids: Sequence[str]) -> int:
        new = {(day, kind, i) for i in ids} - self.reads
        self.reads |= new
        return len(new)

    async def record_usage(
        self, day: date, *, requests: int, posts_read: int, users_read: int, usd: float
    ) -> None:
        row = self.usage.setdefault(
            day, {"requests": 0, "posts_read": 0, "users_read": 0, "usd": 0.0}
        )
        row["requests"] += requests
        row["posts_read"] += posts_read
        row["users_read"] += users_read
        row["usd"] += usd

    async def spent_usd(self, start: date, end: date) -> float:
        return sum(row["usd"] for day, row in self.usage.items() if start <= day <= end)

    async def save_users(self, users: Sequence[XUser], observed_at: datetime) -> None:
        for user in users:
            self.accounts[user.id] = user
            self.seen_at[user.id] = observed_at
            self.missing.discard(user.id)
            self.snapshots.append((user.id, observed_at, user.followers))

    async def mark_missing(self, user_ids: Sequence[str]) -> None:
        """What the watchlist refresh does to accounts X stopped returning."""
        self.missing.update(user_ids)

    async def users_by_username(self, usernames: Sequence[str]) -> dict[str, XUser]:
        wanted = {u.lower() for u in usernames}
        return {
            u.username.lower(): u
            for u in self.accounts.values()
            if u.username.lower() in wanted and u.id not in self.missing
        }

    async def users_by_ids(
        self, ids: Sequence[str], *, seen_since: datetime | None = None
    ) -> dict[str, XUser]:
        return {
            i: self.accounts[i]
            for i in ids
            if i in self.accounts
            and i not in self.missing
            and (seen_since is None or self.seen_at[i] >= seen_since)
        }

    async def record_discoveries(
        self, niche: str, user_ids: Sequence[str], found_at: datetime
    ) -> set[str]:
        new = {i for i in user_ids if (niche, i) not in self.discoveries}
        for i in new:
            self.discoveries[(niche, i)] = found_at
        return new

    async def watch(
        self, scope: Scope, users: Sequence[XUser], added_at: datetime
    ) -> tuple[list[str], list[str]]:
        added, already = [], []
        for user in users:
            if (scope, user.id) in self.watch_rows:
                already.append(user.username)
            else:
                self.watch_rows[(scope, user.id)] = added_at
                added.append(user.username)
        return added, already

    async def unwatch(self, scope: Scope, usernames: Sequence[str]) -> list[str]:
        wanted = {u.lower() for u in usernames}
        removed = []
        for s, uid in list(self.watch_rows):
            user = self.accounts[uid]
            if s == scope and user.username.lower() in wanted:
                del self.watch_rows[(s, uid)]
                removed.append(user.username)
        return removed

    async def watchlist(self, scope: Scope) -> list[WatchEntry]:
        entries = [
            WatchEntry(
                uid,
                self.accounts[uid].username,
                self.accounts[uid].name,
                self.accounts[uid].followers,
                None,
                at,
            )
            for (s, uid), at in self.watch_rows.items()
            if s == scope
        ]
        return sorted(entries, key=lambda e: e.username.lower())


@dataclass
class MemoryAuditHistory:
    """Implements AuditHistory: stored audits in a list (the latest per account wins)."""

    results: list[AuditResult] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    async def last_audits(self, user_ids: Sequence[str]) -> dict[str, AuditResult]:
        self.calls.append(tuple(user_ids))
        latest: dict[str, AuditResult] = {}
        for result in sorted(self.results, key=lambda r: r.observed_at):
            if result.user_id in user_ids:
                latest[result.user_id] = result
        return latest


@dataclass
class ScriptedX:
    """An XSource serving fixed posts/users in pages, with scripted faults.

    `faults` is consumed one entry per search request: None answers, an exception raises.
    """

    posts: list[Post]
    users: list[XUser]
    page_size_cap: int = 100
    faults: list[Exception | None] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    name: str = "x-api"
    # Latest posts per account id (newest first); missing ids read as "not_found".
    timelines: dict[str, list[Post]] = field(default_factory=dict)
    # Faults consumed one per lookup / timeline / counts request, like `faults` for search.
    lookup_faults: list[Exception | None] = field(default_factory=list)
    timeline_faults: list[Exception | None] = field(default_factory=list)
    count_faults: list[Exception | None] = field(default_factory=list)
    # Operators answered with a 400 (XOperatorRejected), as X did before May 2026.
    rejected_operators: set[str] = field(default_factory=set)

    @staticmethod
    def _fault(faults: list[Exception | None]) -> None:
        if faults:
            fault = faults.pop(0)
            if fault is not None:
                raise fault

    def _matching(self, query: str) -> list[Post]:
        """Posts passing the query's `min_likes:` (the only operator this fake reads)."""
        limit = 0
        for token in query.split():
            if token.startswith("min_likes:"):
                limit = int(token.partition(":")[2])
        return [p for p in self.posts if p.likes >= limit]

    async def search_recent(
        self,
        query: str,
        *,
        max_results: int = 100,
        next_token: str | None = None,
        expand_authors: bool = True,
        sort_order: str | None = None,
    ) -> SearchPage:
        self.calls.append(("search", (query, max_results, next_token)))
        self._fault(self.faults)
        for operator in self.rejected_operators:
            if f"{operator}:" in query:
                raise XOperatorRejected(f"Reference to invalid operator '{operator}'", operator)
        posts = self._matching(query)
        start = int(next_token or 0)
        chunk = posts[start : start + min(max_results, self.page_size_cap)]
        authors = {p.author_id for p in chunk}
        end = start + len(chunk)
        users = tuple(u for u in self.users if u.id in authors) if expand_authors else ()
        return SearchPage(
            posts=tuple(chunk),
            users=users,
            next_token=str(end) if end < len(posts) else None,
        )

    async def count_recent(self, query: str) -> PostCounts:
        self.calls.append(("counts", query))
        self._fault(self.count_faults)
        return PostCounts(total=len(self._matching(query)))

    async def user_timeline(
        self,
        user_id: str,
        *,
        max_results: int = 20,
        exclude: Sequence[str] = ("retweets", "replies"),
        pagination_token: str | None = None,
    ) -> TimelinePage:
        self.calls.append(("timeline", (user_id, max_results)))
        self._fault(self.timeline_faults)
        if user_id not in self.timelines:
            return TimelinePage((), unavailable="not_found")
        return TimelinePage(tuple(self.timelines[user_id][:max_results]))

    async def users_by_ids(self, ids: Sequence[str]) -> UsersPage:
        self.calls.append(("ids", tuple(ids)))
        self._fault(self.lookup_faults)
        found = tuple(u for u in self.users if u.id in set(ids))
        return UsersPage(found, tuple(i for i in ids if i not in {u.id for u in found}))

    async def users_by_usernames(self, usernames: Sequence[str]) -> UsersPage:
        self.calls.append(("usernames", tuple(usernames)))
        wanted = {u.lower() for u in usernames}
        found = tuple(u for u in self.users if u.username.lower() in wanted)
        names = {u.username.lower() for u in found}
        return UsersPage(found, tuple(u for u in usernames if u.lower() not in names))

    async def followers(
        self, user_id: str, *, max_results: int = 1000, pagination_token: str | None = None
    ) -> FollowersPage:
        self.calls.append(("followers", user_id))
        return FollowersPage(())

    async def aclose(self) -> None:
        return None

    @property
    def searches(self) -> int:
        return sum(1 for kind, _ in self.calls if kind == "search")

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.calls if k == kind)


def rate_limited() -> XRateLimited:
    return XRateLimited(
        "X rate limit reached for search", datetime(2026, 11, 16, 9, 15, tzinfo=UTC)
    )


def unavailable() -> XUnavailable:
    return XUnavailable("X is not answering (503)")
