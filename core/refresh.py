"""Watchlist refresh: look up every tracked account, snapshot it, decide alerts.

Every account tracked in any channel is looked up once per pass, 100 ids per request
(ceil(N/100) requests for N accounts). Each answer is written as follower snapshots,
then compared with the accounts' confirmed tiers, once per tiering that has channels
watching the account (the deployment's boundaries, or a workspace's own: see
`core.alerts`; the workspaces' settings are read once per pass); crossings, renames and
accounts X no longer returns become outbox messages to that tiering's channels, in the
transaction that records them.

Scheduled, a pass covers one period (`every`, aligned to the Unix epoch, so to midnight
UTC for whole-hour periods) claimed through `JobClaims`: several instances on one
database refresh each period once, and a claim whose owner died is taken over after
its lease and resumes with the accounts not refreshed since the period began.
"""

from __future__ import annotations

import asyncio
import logging
import time as _time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from core.alerts import AccountUpdate, Tiering, Tierings, decide, growth, messages_for
from core.costs import CostMeter
from core.errors import BudgetExhausted, XApiError, XRateLimited
from core.models import (
    AccountNotice,
    Cost,
    OutboxMessage,
    StateChange,
    TierAlert,
    TierState,
    Watcher,
    XUser,
)
from core.ports import (
    AccountStore,
    Clock,
    JobClaims,
    TierStateStore,
    WorkspaceSettingsStore,
    XSource,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries

log = logging.getLogger(__name__)

LOOKUP_BATCH = 100
REFRESH_LEASE = timedelta(minutes=10)
Sleep = Callable[[float], Awaitable[None]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def refresh_period(now: datetime, every: timedelta) -> datetime:
    """Start of the refresh period `now` falls in (periods aligned to the Unix epoch)."""
    periods = (now - _EPOCH) // every
    return _EPOCH + periods * every


def refresh_key(period: datetime) -> str:
    return f"refresh|{period.isoformat()}"


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh pass did and found."""

    started_at: datetime
    finished_at: datetime
    accounts: int
    checked: int
    found: int
    missing: tuple[str, ...]
    alerts: tuple[TierAlert, ...]
    notices: tuple[AccountNotice, ...]
    cost: Cost
    seconds: float
    stopped_early: str | None = None
    source: str = ""  # the X source that answered: "sample" on the bundled sample

    @property
    def complete(self) -> bool:
        return self.stopped_early is None


@dataclass
class _Pass:
    checked: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)
    alerts: list[TierAlert] = field(default_factory=list)
    notices: list[AccountNotice] = field(default_factory=list)
    cost: Cost = field(default_factory=Cost)
    stopped: str | None = None
    reserved_users: int = 0
    tierings: Tierings = field(default_factory=lambda: Tierings({}))


@dataclass(frozen=True, slots=True)
class _Decided:
    """One account's update in one tiering, and the channels that follow that tiering."""

    update: AccountUpdate
    watchers: list[Watcher]


class Refresher:
    """The watchlist refresh use case (scheduled, or `influencer-bot refresh`)."""

    def __init__(  # noqa: PLR0913  five ports, then keyword-only claims, settings, schedule and tuning
        self,
        x: XSource,
        accounts: AccountStore,
        store: TierStateStore,
        meter: CostMeter,
        clock: Clock,
        *,
        claims: JobClaims,
        owner: str,
        every: timedelta,
        lease: timedelta = REFRESH_LEASE,
        bounds: TierBoundaries = DEFAULT_TIERS,
        margin: float = 0.02,
        settings: WorkspaceSettingsStore | None = None,
        concurrency: int = 2,
        max_rate_limit_wait: float = 900.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._x = x
        self._accounts = accounts
        self._store = store
        self._meter = meter
        self._clock = clock
        self._claims = claims
        self._owner = owner
        self.every = every
        self.lease = lease
        self._bounds = bounds
        self._margin = margin
        self._settings = settings
        self._concurrency = max(1, concurrency)
        self._max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        self._budget_lock = asyncio.Lock()

    async def run_due(self) -> RefreshReport | None:
        """Run the current period if nobody has (or whoever had it died); None if not ours."""
        now = self._clock.now()
        start = refresh_period(now, self.every)
        key = refresh_key(start)
        claimed = await self._claims.claim_job(key, self._owner, now=now, lease=self.lease)
        if claimed is None:
            return None
        lease_renewed = now

        async def renew() -> None:
            nonlocal lease_renewed
            current = self._clock.now()
            if current - lease_renewed > self.lease / 3:
                lease_renewed = current
                await self._claims.renew_job(key, self._owner, until=current + self.lease)

        # A takeover resumes: only accounts not refreshed since the period began.
        report = await self.run(not_seen_since=None if claimed else start, on_batch=renew)
        await self._claims.finish_job(key, self._owner, now=self._clock.now())
        return report

    async def run(
        self,
        *,
        not_seen_since: datetime | None = None,
        on_batch: Callable[[], Awaitable[None]] | None = None,
    ) -> RefreshReport:
        """One pass over every tracked account (or those not seen since a time: a resume)."""
        started = self._clock.now()
        t0 = _time.perf_counter()
        ids = await self._store.tracked_user_ids(not_seen_since=not_seen_since)
        batches = [ids[i : i + LOOKUP_BATCH] for i in range(0, len(ids), LOOKUP_BATCH)]
        state = _Pass(tierings=await self._tierings())
        queue = iter(batches)

        async def worker() -> None:
            for batch in queue:  # a shared iterator: each batch goes to one worker
                if state.stopped:
                    return
                await self._batch(batch, state)
                if on_batch is not None:
                    await on_batch()

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(batches)))))
        if state.stopped is None:
            # Only after a full pass: the states of accounts nobody tracks any more go.
            await self._store.forget_untracked(tierings=state.tierings.keys())
        report = RefreshReport(
            started_at=started,
            finished_at=self._clock.now(),
            accounts=len(ids),
            checked=state.checked,
            found=state.found,
            missing=tuple(state.missing),
            alerts=tuple(state.alerts),
            notices=tuple(state.notices),
            cost=state.cost,
            seconds=round(_time.perf_counter() - t0, 3),
            stopped_early=state.stopped,
            source=self._x.name,
        )
        log.info(
            "refresh: %d account(s), %d request(s), %d alert(s), %d notice(s)%s",
            report.accounts,
            report.cost.requests,
            len(report.alerts),
            len(report.notices),
            f"; stopped early: {report.stopped_early}" if report.stopped_early else "",
        )
        return report

    async def _tierings(self) -> Tierings:
        """Every workspace's tiering, read once per pass (not per batch)."""
        own = await self._settings.all_workspace_settings() if self._settings else {}
        return Tierings(own, bounds=self._bounds, margin=self._margin)

    async def _reserve(self, state: _Pass, users: int) -> bool:
        """Budget check that counts lookups still in flight, so workers never overspend."""
        async with self._budget_lock:
            if not await self._meter.affordable(0, state.reserved_users + users):
                return False
            state.reserved_users += users
            return True

    async def _lookup(self, batch: Sequence[str], state: _Pass) -> tuple[XUser, ...] | None:
        """One request for up to 100 ids (waiting out a rate limit once); None to stop."""
        if not await self._reserve(state, len(batch)):
            state.stopped = state.stopped or (
                "the monthly X budget would be exceeded by the next lookup; "
                "the remaining accounts wait for the next pass"
            )
            return None
        try:
            for tries in (1, 2):
                try:
                    page = await self._x.users_by_ids(list(batch))
                    break
                except XRateLimited as err:
                    wait = _seconds_until(err.reset_at, self._clock.now())
                    if tries == 2 or wait is None or wait > self._max_rate_limit_wait:
                        state.stopped = state.stopped or f"X rate limit: {err}"
                        return None
                    log.info("refresh: X rate limit, waiting %.0f s", wait)
                    await self._sleep(wait)
            # Await first, then add: `state` is shared with the other workers.
            cost = await self._meter.charge(requests=1, user_ids=[u.id for u in page.users])
            state.cost = state.cost + cost
        except (BudgetExhausted, XApiError) as err:
            state.stopped = state.stopped or str(err)
            return None
        finally:
            state.reserved_users -= len(batch)
        return page.users

    async def _batch(self, batch: Sequence[str], state: _Pass) -> None:
        users = await self._lookup(batch, state)
        if users is None:
            return
        now = self._clock.now()
        wanted = set(batch)
        by_id = {u.id: u for u in users if u.id in wanted}
        if by_id:
            await self._accounts.save_users(list(by_id.values()), now)
        state.checked += len(batch)
        state.found += len(by_id)
        gone = [uid for uid in batch if uid not in by_id]
        state.missing.extend(gone)

        states = await self._store.tier_states(batch)
        # Which tierings to decide in depends on who watches: read for every account.
        watchers = await self._store.watchers(batch)
        decided: list[_Decided] = []
        for uid in batch:
            for tiering, channels in state.tierings.grouped(watchers.get(uid, [])):
                update = _decide(uid, states.get((uid, tiering.key)), by_id.get(uid), now, tiering)
                if update is not None:
                    decided.append(_Decided(update, channels))
        if not decided:
            return
        changes = await self._changes(decided, by_id, now)
        applied = await self._store.apply_state_changes(changes, now)
        for change in applied:
            for message in change.messages:
                if isinstance(message.notice, TierAlert):
                    state.alerts.append(message.notice)
                elif isinstance(message.notice, AccountNotice):
                    state.notices.append(message.notice)

    async def _changes(
        self, decided: list[_Decided], by_id: dict[str, XUser], now: datetime
    ) -> list[StateChange]:
        """Turn updates into state changes with the messages for their tiering's channels."""
        crossing = sorted({d.update.state.user_id for d in decided if d.update.crossing})
        before: dict[str, int] = {}
        week: dict[str, int] = {}
        month: dict[str, int] = {}
        if crossing:
            before = await self._store.followers_before(crossing, now)
            week = await self._store.followers_before(crossing, now - timedelta(days=7))
            month = await self._store.followers_before(crossing, now - timedelta(days=30))
        changes = []
        for item in decided:
            uid = item.update.state.user_id
            messages: tuple[OutboxMessage, ...] = ()
            user = by_id.get(uid)
            update = _named(item.update, item.watchers)
            if item.watchers:
                followers = user.followers if user else 0
                messages = messages_for(
                    update,
                    user,
                    item.watchers,
                    before_followers=before.get(uid, update.state.followers),
                    growth_7d=growth(followers, week.get(uid)),
                    growth_30d=growth(followers, month.get(uid)),
                )
            changes.append(StateChange(update.state, update.expected_version, messages))
        return changes


def _decide(
    uid: str, old: TierState | None, user: XUser | None, now: datetime, tiering: Tiering
) -> AccountUpdate | None:
    """`decide` in one tiering, re-baselining a state its settings changed under."""
    return decide(
        uid,
        old,
        user,
        now,
        bounds=tiering.bounds,
        margin=tiering.margin,
        tiering=tiering.key,
        rebaseline=tiering.stale(old),
    )


def _named(update: AccountUpdate, watchers: list[Watcher]) -> AccountUpdate:
    """A first-seen missing account has no name yet: use the handle it was tracked under."""
    if update.state.username == update.state.user_id and watchers:
        return replace(update, state=replace(update.state, username=watchers[0].username))
    return update


def _seconds_until(at: datetime | None, now: datetime) -> float | None:
    if at is None:
        return None
    return max(0.0, (at - now).total_seconds()) + 1.0
