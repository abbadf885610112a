"""A simulated X that enforces a user-lookup window, and light stores, on a simulated clock.

For the pacing test and bench (`bench/pacing_bench.py`): millions of accounts, hours of
rate-limit windows, in seconds of wall time.

- `WindowedX`: `users_by_ids` as X answers it, 100 ids a request, `limit` requests per
  `window` (the window starts at its first request, as on X), a 429 (`XRateLimited`
  with the reset) when a request exceeds it, and the `x-rate-limit-*` figures on every
  answer. A request is counted when it arrives and answered a few loop turns later,
  so two workers really are in flight together.
- `SimSleep`: a `sleep` that moves the clock instead of waiting.
- `LightStorage`: a `MemoryStorage` whose snapshots and usage ledger keep only counts;
  `LightTierStates` (nobody watches, so nothing is decided) and `MemoryClaims` (the SQL
  claims' rules in a dict).
- `PacedWorld`: all of these on one clock, and the real `Refresher` wired to them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from core.costs import CostMeter, Prices
from core.errors import XRateLimited
from core.models import (
    FollowersPage,
    PostCounts,
    RateLimit,
    SearchPage,
    StateChange,
    TierState,
    TimelinePage,
    UsersPage,
    Watcher,
    XUser,
)
from core.refresh import Refresher
from tests.fakes.memory import FixedClock, MemoryStorage

WINDOW = timedelta(minutes=15)
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class WindowedX:
    """User lookups by ids under X's window (300 requests / 15 min by default)."""

    clock: FixedClock
    limit: int = 300
    window: timedelta = WINDOW
    turns: int = 2  # loop turns between counting a request and answering it
    served: int = 0
    rejected: int = 0
    windows: int = 0  # windows that served at least one request
    looked_up: set[str] = field(default_factory=set)
    _reset_at: datetime | None = None
    _used: int = 0

    @property
    def name(self) -> str:
        return "x-api"

    @property
    def covered_niches(self) -> tuple[str, ...] | None:
        return None

    def _rate(self) -> RateLimit:
        assert self._reset_at is not None
        return RateLimit(self.limit, max(0, self.limit - self._used), self._reset_at)

    async def users_by_ids(self, ids: Sequence[str]) -> UsersPage:
        if len(ids) > 100:
            raise ValueError("at most 100 ids per lookup")
        now = self.clock.now()
        if self._reset_at is None or now >= self._reset_at:
            self._reset_at, self._used = now + self.window, 0
        if self._used >= self.limit:
            self.rejected += 1
            raise XRateLimited("X's rate limit for user lookup is used up (429)", self._reset_at)
        self._used += 1
        if self._used == 1:
            self.windows += 1
        rate = self._rate()
        for _ in range(self.turns):
            await asyncio.sleep(0)
        self.served += 1
        self.looked_up.update(ids)
        return UsersPage(users=tuple(_user(i) for i in ids), rate_limit=rate)

    async def users_by_usernames(self, usernames: Sequence[str]) -> UsersPage:
        raise AssertionError("a refresh looks up ids only")

    async def search_recent(self, query: str, **_: object) -> SearchPage:
        raise AssertionError("a refresh does not search")

    async def count_recent(self, query: str) -> PostCounts:
        raise AssertionError("a refresh does not count")

    async def user_timeline(self, user_id: str, **_: object) -> TimelinePage:
        raise AssertionError("a refresh reads no timeline")

    async def followers(self, user_id: str, **_: object) -> FollowersPage:
        raise AssertionError("a refresh reads no followers")

    async def aclose(self) -> None:
        return None


def _user(uid: str) -> XUser:
    return XUser(id=uid, username=f"u{uid}", name=uid, followers=20_000, following=10, post_count=1)


@dataclass
class SimSleep:
    """Moves the clock by what it is asked to wait; `hook` runs after every move."""

    clock: FixedClock
    calls: int = 0
    seconds: float = 0.0
    hook: Callable[[], object] | None = None

    async def __call__(self, seconds: float) -> None:
        self.calls += 1
        self.seconds += seconds
        self.clock.advance(seconds=seconds)
        if self.hook is not None:
            self.hook()
        await asyncio.sleep(0)


@dataclass
class LightStorage(MemoryStorage):
    """`MemoryStorage` that remembers when each account was seen, and counts the rest."""

    saved: int = 0
    charged_users: int = 0

    async def save_users(self, users: Sequence[XUser], observed_at: datetime) -> None:
        for user in users:
            self.seen_at[user.id] = observed_at
        self.saved += len(users)

    async def mark_read(self, day: date, kind: str, *, ids: Sequence[str]) -> int:
        self.charged_users += len(ids)
        return len(ids)


@dataclass
class LightTierStates:
    """The tracked accounts, least recently seen first; nobody watches them."""

    storage: LightStorage
    ids: list[str] = field(default_factory=list)

    async def tracked_user_ids(self, *, not_seen_since: datetime | None = None) -> list[str]:
        seen = self.storage.seen_at
        ids = (
            self.ids
            if not_seen_since is None
            else [i for i in self.ids if i not in seen or seen[i] < not_seen_since]
        )
        return sorted(ids, key=lambda i: seen.get(i, _NEVER))

    async def tracked_count(self, *, not_seen_since: datetime | None = None) -> int:
        return len(await self.tracked_user_ids(not_seen_since=not_seen_since))

    async def tracked_user_id_pages(
        self,
        *,
        not_seen_since: datetime | None = None,
        started: datetime,
        size: int = 1_000,
    ) -> AsyncIterator[list[str]]:
        ids = await self.tracked_user_ids(not_seen_since=not_seen_since)
        for start in range(0, len(ids), size):
            yield ids[start : start + size]

    async def watchers(self, user_ids: Sequence[str]) -> dict[str, list[Watcher]]:
        return {}

    async def tier_states(self, user_ids: Sequence[str]) -> dict[tuple[str, str], TierState]:
        return {}

    async def followers_before(self, user_ids: Sequence[str], at: datetime) -> dict[str, int]:
        return {}

    async def apply_state_changes(
        self, changes: Sequence[StateChange], now: datetime
    ) -> list[StateChange]:
        return list(changes)

    async def forget_untracked(self, *, tierings: Mapping[tuple[str, str], str]) -> int:
        return 0


@dataclass
class _Row:
    owner: str
    lease_until: datetime
    finished_at: datetime | None = None


@dataclass
class MemoryClaims:
    """`JobClaims` with the rules of `adapters/storage/job_claims.py`."""

    rows: dict[str, _Row] = field(default_factory=dict)
    renewals: list[tuple[str, datetime]] = field(default_factory=list)

    async def claim_job(
        self, key: str, owner: str, *, now: datetime, lease: timedelta
    ) -> bool | None:
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = _Row(owner, now + lease)
            return True
        if row.finished_at is None and row.lease_until < now:
            row.owner, row.lease_until = owner, now + lease
            return False
        return None

    async def renew_job(self, key: str, owner: str, *, until: datetime) -> bool:
        row = self.rows.get(key)
        if row is None or row.owner != owner or row.finished_at is not None:
            return False
        row.lease_until = until
        self.renewals.append((owner, until))
        return True

    async def finish_job(self, key: str, owner: str, *, now: datetime) -> None:
        row = self.rows.get(key)
        if row is not None and row.owner == owner:
            row.finished_at = now


@dataclass
class PacedWorld:
    """A `WindowedX`, light stores and claims on one simulated clock, with the real
    `Refresher` (two workers in flight) wired to them."""

    clock: FixedClock
    x: WindowedX
    storage: LightStorage
    states: LightTierStates
    claims: MemoryClaims
    sleep: SimSleep
    every: timedelta

    @classmethod
    def of(
        cls,
        start: datetime,
        ids: Sequence[str],
        *,
        limit: int,
        every: timedelta,
        window: timedelta = WINDOW,
    ) -> PacedWorld:
        clock = FixedClock(start)
        storage = LightStorage()
        return cls(
            clock,
            WindowedX(clock, limit=limit, window=window),
            storage,
            LightTierStates(storage, list(ids)),
            MemoryClaims(),
            SimSleep(clock),
            every,
        )

    def refresher(self, owner: str) -> Refresher:
        meter = CostMeter(self.storage, self.clock, Prices(), None)
        return Refresher(
            self.x,
            self.storage,
            self.states,
            meter,
            self.clock,
            claims=self.claims,
            owner=owner,
            every=self.every,
            concurrency=2,
            sleep=self.sleep,
        )
