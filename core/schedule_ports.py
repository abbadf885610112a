"""Storage ports for scheduled work: tier states, digest subscriptions, the outbox, claims.

Each method is one transaction in the real adapter. The methods that *decide*
something (`apply_state_changes`, `finish_digest`) write the messages they decide into
the outbox in that same transaction, so a crash either keeps the decision and its
messages or neither. Claims and compare-and-set versions make every decision happen
once even when several bot instances share one PostgreSQL database.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from core.models import Digest, DigestSubscription, Notice, Scope, Tier


class AccountStatus(enum.StrEnum):
    """Whether X still returns a tracked account."""

    ACTIVE = "active"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class TierState:
    """The last confirmed tier of a tracked account, and what it was called then.

    `version` grows by one on every change; a change is applied only if the version
    is still the one it was computed from.
    """

    user_id: str
    username: str
    tier: Tier | None
    followers: int
    status: AccountStatus
    version: int
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message to deliver, under a key that makes enqueueing it idempotent."""

    key: str
    scope: Scope
    notice: Notice


@dataclass(frozen=True, slots=True)
class StateChange:
    """A new tier state and the messages it decides: applied together, or not at all.

    `expected_version` is the version the change was computed from (None: there was
    no state yet, so the change is an insert that loses to a concurrent one).
    """

    state: TierState
    expected_version: int | None
    messages: tuple[OutboxMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class Watcher:
    """A channel that tracks an account, and the handle it was tracked under."""

    scope: Scope
    username: str


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outbox row. `notice` is decoded only where delivery needs it."""

    id: int
    key: str
    kind: str
    scope: Scope
    status: OutboxStatus
    attempts: int
    summary: str
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    notice: Notice | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """A subscription with its latest digest run (a period is the local date it was for)."""

    subscription: DigestSubscription
    last_period: date | None = None
    last_until: datetime | None = None


class TierStateStore(Protocol):
    """What a watchlist refresh reads and decides."""

    async def tracked_user_ids(self, *, not_seen_since: datetime | None = None) -> list[str]:
        """Every account tracked in any channel, once, least recently seen first.

        With `not_seen_since`, only accounts not seen on X since then (resuming a pass).
        """
        ...

    async def watchers(self, user_ids: Sequence[str]) -> dict[str, list[Watcher]]:
        """The channels tracking each account."""
        ...

    async def tier_states(self, user_ids: Sequence[str]) -> dict[str, TierState]: ...

    async def followers_before(self, user_ids: Sequence[str], at: datetime) -> dict[str, int]:
        """Each account's follower count in its latest snapshot strictly before `at`."""
        ...

    async def apply_state_changes(
        self, changes: Sequence[StateChange], now: datetime
    ) -> list[StateChange]:
        """Apply the changes whose expected version still holds, enqueue their messages.

        One transaction. Returns the changes applied; the others lost to a concurrent
        decision and enqueue nothing. A missing state also flags the account missing.
        """
        ...

    async def forget_untracked(self) -> int:
        """Drop tier states of accounts no channel tracks any more (a fresh start if re-added)."""
        ...


class JobClaims(Protocol):
    """Run-once claims for periodic jobs, with a lease so a crashed owner is replaced."""

    async def claim_job(self, key: str, owner: str, now: datetime, lease: timedelta) -> bool | None:
        """True: claimed fresh. False: took over an expired claim. None: someone else has it."""
        ...

    async def renew_job(self, key: str, owner: str, until: datetime) -> bool: ...

    async def finish_job(self, key: str, owner: str, now: datetime) -> None: ...


class DigestStore(Protocol):
    """Digest subscriptions, their runs, and which accounts each channel has been sent."""

    async def subscribe(
        self,
        scope: Scope,
        niche: str,
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

    async def subscription_states(self) -> list[SubscriptionState]:
        """Every subscription that is not paused, with its latest run."""
        ...

    async def last_digest_until(self, scope: Scope, niche_key: str) -> datetime | None: ...

    async def discovered_between(
        self, niche_key: str, since: datetime, until: datetime
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
        owner: str,
        key: str,
        digest: Digest,
        now: datetime,
        *,
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
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[OutboxItem]:
        """Lease pending messages due by `now` for these platforms, oldest first, decoded."""
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

    async def pause_channel(self, scope: Scope, reason: str, now: datetime) -> int:
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


class ScheduleStore(TierStateStore, JobClaims, DigestStore, OutboxStore, Protocol):
    """Everything scheduled work keeps; the SQL adapter implements all of it."""
