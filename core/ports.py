"""Ports: the small interfaces the core needs from the outside world.

Adapters implement them (tweepy for X, SQLAlchemy for storage, ...); unit tests use
small fakes in `tests/fakes/`. All methods are async because every real adapter is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Protocol, TypeVar

from core.models import (
    AuditResult,
    Delivery,
    Digest,
    DigestSubscription,
    DigestSubscriptionsView,
    FollowerPoint,
    FollowersPage,
    FoundCandidates,
    Notice,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    PostCounts,
    RejectedOperator,
    Scope,
    SearchPage,
    StateChange,
    SubscriptionState,
    TierState,
    TimelinePage,
    UsersPage,
    WatchEntry,
    Watcher,
    XUser,
)
from core.tiers import TierBoundaries
from core.workspace_settings import SettingsChange, WorkspaceSettings

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

    @property
    def covered_niches(self) -> tuple[str, ...] | None:
        """The niches this source has posts on (the bundled sample); None: any (live X)."""
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


# What the search cache keeps: X's answers, and what searches made of them that day.
Cached = SearchPage | TimelinePage | PostCounts | FoundCandidates | RejectedOperator
CachedT = TypeVar(
    "CachedT", SearchPage, TimelinePage, PostCounts, FoundCandidates, RejectedOperator
)


class SearchCache(Protocol):
    """Values keyed by a string, valid for one UTC day (X charges a read once a day)."""

    async def get_cached(self, key: str, day: date, *, kind: type[CachedT]) -> CachedT | None:
        """The `kind` stored under `key` for `day`, if any."""
        ...

    async def put_cached(self, key: str, day: date, *, value: Cached) -> None:
        """Store (or replace) `value` under `key` for `day`."""
        ...


class UsageLedger(Protocol):
    """X API usage per UTC day, and which resources were already charged that day."""

    async def mark_read(self, day: date, kind: str, *, ids: Sequence[str]) -> int:
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
        self, niche: str, user_ids: Sequence[str], *, found_at: datetime
    ) -> set[str]:
        """Note accounts found in `niche`; return the ids found there for the first time."""
        ...

    async def follower_history(
        self, user_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, list[FollowerPoint]]:
        """Each account's stored follower snapshots (oldest first), since a time if given."""
        ...


class WatchlistStore(Protocol):
    """Tracked accounts per (platform, workspace, channel)."""

    async def watch(
        self, scope: Scope, users: Sequence[XUser], *, added_at: datetime
    ) -> tuple[list[str], list[str]]:
        """Track accounts; return (added usernames, already tracked usernames)."""
        ...

    async def unwatch(self, scope: Scope, usernames: Sequence[str]) -> list[str]:
        """Stop tracking; return the usernames that were removed."""
        ...

    async def watchlist(self, scope: Scope) -> list[WatchEntry]:
        """The channel's tracked accounts with their latest known numbers."""
        ...

    async def workspace_watchlists(
        self, platform: str, workspace: str
    ) -> dict[str, list[WatchEntry]]:
        """Every channel of the workspace that tracks accounts, with its watchlist."""
        ...


class AuditHistory(Protocol):
    """Stored follower audits, so a watchlist can show each account's latest one."""

    async def last_audits(self, user_ids: Sequence[str]) -> Mapping[str, AuditResult]:
        """The most recent audit of each account that has one, keyed by user id."""
        ...


class AuditStore(Protocol):
    """Audit results by (account, sample size, UTC day, source), and each account's last."""

    async def cached_audit(
        self, user_id: str, sample: int, *, day: date, source: str
    ) -> AuditResult | None:
        """Today's complete audit of `user_id` with this requested sample, if any."""
        ...

    async def save_audit(self, result: AuditResult) -> None:
        """Store a result (a later one for the same key and day replaces it)."""
        ...

    async def last_audits(self, user_ids: Sequence[str]) -> dict[str, AuditResult]:
        """The most recent audit of each account that has one, keyed by user id."""
        ...


class DigestUseCases(Protocol):
    """The `/digest` use cases (implemented in `core.digests`)."""

    async def subscribe(
        self,
        scope: Scope,
        niche: str,
        weekday: int | None = None,
        at: time | None = None,
        tz: str | None = None,
    ) -> DigestSubscriptionsView:
        """None = not given: a new subscription takes the default, an old one keeps its own."""
        ...

    async def unsubscribe(self, scope: Scope, niche: str) -> DigestSubscriptionsView: ...

    async def subscriptions(self, scope: Scope) -> DigestSubscriptionsView: ...

    async def preview(self, scope: Scope, niche: str) -> Digest: ...


class ChartRenderer(Protocol):
    """Draws follower history as a PNG. Synchronous and CPU-bound: the core calls it in
    a worker thread, never on the event loop."""

    def growth_png(
        self,
        title: str,
        points: Sequence[FollowerPoint],
        bounds: TierBoundaries,
        *,
        days: int,
        now: datetime,
    ) -> bytes: ...


class NotifyStore(Protocol):
    """Who tier alerts mention, per channel (`/watchlist notify`)."""

    async def set_mention(self, scope: Scope, mention: str | None, *, at: datetime) -> None: ...

    async def mentions(self, scopes: Sequence[Scope]) -> dict[Scope, str]:
        """The mention set for each of `scopes` that has one."""
        ...


class Storage(SearchCache, UsageLedger, AccountStore, WatchlistStore, Protocol):
    """Everything the core keeps; the SQL adapter implements all of it."""

    async def prune(self, before: date) -> int:
        """Drop cached values and charged-read markers of days before `before` (daily)."""
        ...


class MessageSink(Protocol):
    """Posts scheduled messages (digests, alerts) to one chat platform.

    Raises `core.errors.DeliveryRetryLater`, `ChannelGone` or `DeliveryRejected`;
    returning means the platform accepted the message. `key` (the outbox key, the same
    on every retry) lets the platform recognise a repeat; `recheck` asks the sink to
    look first whether the message already went out (a delivery that may have died
    after the platform accepted it) and post only what is missing.
    """

    @property
    def platform(self) -> str:
        """The `Scope.platform` this sink serves ("slack", "discord", "console")."""
        ...

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        """Post `notice`; `extras` (a tier alert's mention and chart) go with it."""
        ...


# Scheduled work. Each method is one transaction in the real adapter. The methods that *decide*
# something (`apply_state_changes`, `finish_digest`) write the messages they decide into
# the outbox in that same transaction, so a crash either keeps the decision and its
# messages or neither. Claims and compare-and-set versions make every decision happen
# once even when several bot instances share one PostgreSQL database.


class TierStateStore(Protocol):
    """What a watchlist refresh reads and decides."""

    async def tracked_user_ids(self, *, not_seen_since: datetime | None = None) -> list[str]:
        """Every account tracked in any channel, once, least recently seen first.

        With `not_seen_since`, only accounts not seen on X since then (resuming a pass).
        """
        ...

    async def tracked_count(self, *, not_seen_since: datetime | None = None) -> int:
        """How many accounts `tracked_user_ids` would return."""
        ...

    def tracked_user_id_pages(
        self, *, not_seen_since: datetime | None = None, started: datetime, size: int = 1_000
    ) -> AsyncIterator[list[str]]:
        """`tracked_user_ids` in pages of at most `size`, read as the caller goes (memory
        flat in the number tracked), for a pass that began at `started`.

        An account saved after `started` (by the pass itself) is not met again in a later
        page. So is one saved by anyone else while the pages are read: its tier is decided
        in the next pass.
        """
        ...

    async def watchers(self, user_ids: Sequence[str]) -> dict[str, list[Watcher]]:
        """The channels tracking each account (a refresh asks for a whole group at once)."""
        ...

    async def tier_states(self, user_ids: Sequence[str]) -> dict[tuple[str, str], TierState]:
        """Every state of each account, keyed by (user_id, tiering): one per tiering."""
        ...

    async def followers_before(self, user_ids: Sequence[str], at: datetime) -> dict[str, int]:
        """Each account's follower count in its latest snapshot strictly before `at`."""
        ...

    async def apply_state_changes(
        self, changes: Sequence[StateChange], now: datetime
    ) -> list[StateChange]:
        """Apply the changes whose expected version still holds, enqueue their messages.

        One transaction. A change is keyed by its state's (user_id, tiering). Returns the
        changes applied; the others lost to a concurrent decision and enqueue nothing. A
        missing state also flags the account missing.
        """
        ...

    async def forget_untracked(self, *, tierings: Mapping[tuple[str, str], str]) -> int:
        """Drop tier states no channel uses: of accounts no channel tracks any more (a fresh
        start if re-added), and of tierings no channel tracking the account uses any more.

        `tierings` maps (platform, workspace) to its tiering; every other workspace's is "".
        """
        ...


class JobClaims(Protocol):
    """Run-once claims for periodic jobs, with a lease so a crashed owner is replaced."""

    async def claim_job(
        self, key: str, owner: str, *, now: datetime, lease: timedelta
    ) -> bool | None:
        """True: claimed fresh. False: took over an expired claim. None: someone else has it."""
        ...

    async def renew_job(self, key: str, owner: str, *, until: datetime) -> bool: ...

    async def finish_job(self, key: str, owner: str, *, now: datetime) -> None: ...


class DigestStore(Protocol):
    """Digest subscriptions, their runs, and which accounts each channel has been sent."""

    async def subscribe(
        self,
        scope: Scope,
        niche: str,
        *,
        niche_key: str,
        weekday: int,
        at: time,
        tz: str,
        now: datetime,
    ) -> tuple[DigestSubscription, bool]:
        """Create (True) or reschedule (False) the scope's subscription to the niche.

        Also lifts a pause on the channel: a command from it proves the bot is back.
        """
        ...

    async def unsubscribe(self, scope: Scope, niche_key: str) -> bool: ...

    async def subscriptions(self, scope: Scope) -> list[DigestSubscription]: ...

    async def all_subscriptions(self) -> list[DigestSubscription]:
        """Every subscription of every channel (for the command line)."""
        ...

    async def subscription_states(self) -> list[SubscriptionState]:
        """Every subscription that is not paused, with its latest run."""
        ...

    async def last_digest_until(self, scope: Scope, niche_key: str) -> datetime | None: ...

    async def discovered_between(
        self, niche_key: str, since: datetime, *, until: datetime
    ) -> set[str]:
        """Accounts first found in the niche in (since, until]."""
        ...

    async def sent_to(self, scope: Scope, user_ids: Collection[str]) -> set[str]:
        """Which of these accounts a digest already announced in the channel."""
        ...

    async def claim_digest(
        self,
        subscription_id: int,
        period: date,
        *,
        scheduled_at: datetime,
        owner: str,
        now: datetime,
        lease: timedelta,
    ) -> bool:
        """Claim building one period's digest; an unfinished claim past its lease is taken over."""
        ...

    async def finish_digest(
        self,
        subscription_id: int,
        period: date,
        *,
        owner: str,
        key: str,
        digest: Digest,
        now: datetime,
        limit: int,
    ) -> Digest | None:
        """Mark the period done, record its accounts as sent, enqueue it: one transaction.

        `digest` lists candidates best first, more than `limit` if there are; the first
        `limit` not yet announced in the channel (by any digest, even one committing
        concurrently) are kept. Returns the digest as enqueued, or None when the claim
        was lost.
        """
        ...


class OutboxStore(Protocol):
    """The outbox: messages waiting for a platform to accept them."""

    async def enqueue(self, messages: Sequence[OutboxMessage], now: datetime) -> int:
        """Add messages (keys already present are ignored); return how many were new."""
        ...

    async def claim_due(
        self,
        platforms: Collection[str],
        owner: str,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[OutboxItem]:
        """Lease pending messages due by `now` for these platforms, oldest first, decoded."""
        ...

    async def renew_leases(self, item_ids: Collection[int], owner: str, *, until: datetime) -> int:
        """Extend `owner`'s leases on those still pending and held; return how many."""
        ...

    async def mark_delivered(self, item_id: int, now: datetime, *, attempts: int = 1) -> None: ...

    async def mark_retry(
        self, item_id: int, *, attempts: int, next_attempt_at: datetime, error: str | None
    ) -> None:
        """Release the lease and try again at `next_attempt_at`."""
        ...

    async def mark_failed(
        self, item_id: int, *, attempts: int, error: str, now: datetime
    ) -> None: ...

    async def pause_channel(self, scope: Scope, reason: str, *, now: datetime) -> int:
        """The bot left the channel: park its pending messages and pause its digests."""
        ...

    async def resume_channel(self, scope: Scope, now: datetime) -> int:
        """Undo a pause: its parked messages are pending again; returns how many."""
        ...

    async def outbox_items(
        self, statuses: Collection[OutboxStatus], limit: int, *, kind: str | None = None
    ) -> list[OutboxItem]:
        """Most recent first."""
        ...

    async def outbox_counts(self) -> dict[OutboxStatus, int]: ...

    async def paused_channels(self) -> list[tuple[Scope, str, datetime]]:
        """Channels the bot was removed from, with the reason and when, oldest first."""
        ...


class ScheduleStore(TierStateStore, JobClaims, DigestStore, OutboxStore, Protocol):
    """Everything scheduled work keeps; the SQL adapter implements all of it."""


class WorkspaceSettingsStore(Protocol):
    """Settings per workspace (`core.workspace_settings`), with a log of every change."""

    async def workspace_settings(self, platform: str, workspace: str) -> WorkspaceSettings | None:
        """The workspace's stored overrides, None when it changed nothing."""
        ...

    async def all_workspace_settings(self) -> dict[tuple[str, str], WorkspaceSettings]:
        """Every workspace that has overrides, keyed by (platform, workspace)."""
        ...

    async def save_workspace_settings(
        self,
        platform: str,
        workspace: str,
        settings: WorkspaceSettings | None,
        *,
        changes: Sequence[SettingsChange],
    ) -> None:
        """Store (None: drop) the overrides and log `changes`, in one transaction."""
        ...

    async def settings_log(
        self, platform: str, workspace: str, *, limit: int = 20
    ) -> list[SettingsChange]:
        """The latest logged changes, newest first."""
        ...


class WorkspaceSpendLedger(Protocol):
    """X spend per workspace (`workspace_key`) and UTC day: its budget share's meter."""

    async def record_workspace_spend(self, day: date, workspace: str, *, usd: float) -> None:
        """Add `usd` to the workspace's spend on `day`."""
        ...

    async def workspace_spent_usd(self, workspace: str, start: date, end: date) -> float:
        """Dollars the workspace spent on days in [start, end]."""
        ...
