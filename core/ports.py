"""Ports: the small interfaces the core needs from the outside world.

Adapters implement them (tweepy for X, SQLAlchemy for storage, ...); unit tests use
small fakes in `tests/fakes/`. All methods are async because every real adapter is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from core.models import (
    AuditResult,
    FollowersPage,
    Notice,
    PostCounts,
    Scope,
    SearchPage,
    TimelinePage,
    UsersPage,
    WatchEntry,
    XUser,
)

# The orders `XSource.search_recent` accepts (X's `sort_order`); None means recency.
SORT_ORDERS = ("recency", "relevancy")


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware current time (UTC)."""
        ...


class XSource(Protocol):
    """Where posts and accounts come from: the X API v2 or the bundled sample."""

    @property
    def name(self) -> str:
        """`"x-api"` or `"sample"`: shown with every result."""
        ...

    async def search_recent(
        self,
        query: str,
        *,
        max_results: int = 100,
        next_token: str | None = None,
        expand_authors: bool = True,
        sort_order: str | None = None,
    ) -> SearchPage:
        """One page of recent search. One request.

        `expand_authors=False` asks for no `author_id` expansion: X then bills only the
        posts (`page.users` is empty). `sort_order` is `"recency"`, `"relevancy"` or
        None (X's default, recency).
        """
        ...

    async def count_recent(self, query: str) -> PostCounts:
        """How many posts match `query` over the last 7 days (per day). One request."""
        ...

    async def user_timeline(
        self,
        user_id: str,
        *,
        max_results: int = 20,
        exclude: Sequence[str] = ("retweets", "replies"),
        pagination_token: str | None = None,
    ) -> TimelinePage:
        """One page (5-100) of an account's latest posts, newest first. One request."""
        ...

    async def users_by_ids(self, ids: Sequence[str]) -> UsersPage:
        """Up to 100 ids in one request."""
        ...

    async def users_by_usernames(self, usernames: Sequence[str]) -> UsersPage:
        """Up to 100 handles (without `@`) in one request."""
        ...

    async def followers(
        self, user_id: str, *, max_results: int = 1000, pagination_token: str | None = None
    ) -> FollowersPage:
        """One page of an account's most recent followers. One request."""
        ...

    async def aclose(self) -> None: ...


class SearchCache(Protocol):
    """JSON payloads keyed by a string, valid for one UTC day."""

    async def get_cached(self, key: str, day: date) -> dict[str, Any] | None: ...

    async def put_cached(self, key: str, day: date, payload: dict[str, Any]) -> None: ...


class UsageLedger(Protocol):
    """X API usage per UTC day, and which resources were already charged that day."""

    async def mark_read(self, day: date, kind: str, ids: Sequence[str]) -> int:
        """Remember `ids` of `kind` ("post"/"user") as read on `day`; return how many were new."""
        ...

    async def record_usage(
        self, day: date, *, requests: int, posts_read: int, users_read: int, usd: float
    ) -> None:
        """Add to the day's counters."""
        ...

    async def spent_usd(self, start: date, end: date) -> float:
        """Dollars recorded for days in [start, end]."""
        ...


class AccountStore(Protocol):
    """Accounts seen on X, their follower history, and niche discoveries."""

    async def save_users(self, users: Sequence[XUser], observed_at: datetime) -> None:
        """Upsert each account and append a follower snapshot."""
        ...

    async def users_by_username(self, usernames: Sequence[str]) -> dict[str, XUser]:
        """Known active accounts keyed by lower-cased username (not those X lost)."""
        ...

    async def users_by_ids(
        self, ids: Sequence[str], *, seen_since: datetime | None = None
    ) -> dict[str, XUser]:
        """Known active accounts keyed by id; with `seen_since`, only those seen since."""
        ...

    async def record_discoveries(
        self, niche: str, user_ids: Sequence[str], found_at: datetime
    ) -> set[str]:
        """Note accounts found in `niche`; return the ids found there for the first time."""
        ...


class WatchlistStore(Protocol):
    """Tracked accounts per (platform, workspace, channel)."""

    async def watch(
        self, scope: Scope, users: Sequence[XUser], added_at: datetime
    ) -> tuple[list[str], list[str]]:
        """Track accounts; return (added usernames, already tracked usernames)."""
        ...

    async def unwatch(self, scope: Scope, usernames: Sequence[str]) -> list[str]:
        """Stop tracking; return the usernames that were removed."""
        ...

    async def watchlist(self, scope: Scope) -> list[WatchEntry]:
        """The channel's tracked accounts with their latest known numbers."""
        ...


class AuditHistory(Protocol):
    """Stored follower audits, so a watchlist can show each account's latest one."""

    async def last_audits(self, user_ids: Sequence[str]) -> Mapping[str, AuditResult]:
        """The most recent audit of each account that has one, keyed by user id."""
        ...


class Storage(SearchCache, UsageLedger, AccountStore, WatchlistStore, Protocol):
    """Everything the core keeps; the SQL adapter implements all of it."""


class MessageSink(Protocol):
    """Posts scheduled messages (digests, alerts) to one chat platform.

    Raises `core.errors.DeliveryRetryLater`, `ChannelGone` or `DeliveryRejected`;
    returning means the platform accepted the message.
    """

    @property
    def platform(self) -> str:
        """The `Scope.platform` this sink serves ("slack", "discord", "console")."""
        ...

    async def deliver(self, scope: Scope, notice: Notice) -> None: ...
