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

The tracked accounts are read a page at a time and the answers are written a group of
lookups at a time (`GROUP_LOOKUPS`): lookups go on while one writer task records the
previous group (its charge, the states and watchers of all its accounts in one read,
the tier changes, then the accounts and their snapshots), with at most one group
waiting for it, so memory stays flat in the number tracked. A stopped pass writes what
it has before it returns, and so does a pass about to sleep through a rate-limit reset.

User lookups are paced at X's rate limit (`core.pacing`): a pass longer than one window
sleeps through the resets, renewing its claim meanwhile. A pass that stops early for
something that clears by itself (a rate limit too far off, X not answering) hands its
claim back for the next scheduler tick (or for the reset) to resume in the same period;
one stopped by money (the monthly budget, X's 402) waits for the next period.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time as _time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from core.alerts import AccountUpdate, Tiering, Tierings, decide, growth, messages_for
from core.costs import CostMeter
from core.errors import BudgetExhausted, XApiError, XPaymentRequired, XRateLimited, XUnavailable
from core.models import (
    AccountNotice,
    AccountStatus,
    Cost,
    OutboxMessage,
    StateChange,
    Tier,
    TierAlert,
    TierState,
    UsersPage,
    Watcher,
    XUser,
)
from core.pacing import Pacer, PaceStop
from core.ports import (
    AccountStore,
    Clock,
    JobClaims,
    TierStateStore,
    WorkspaceSettingsStore,
    XSource,
)
from core.refresh_groups import Feed, Group, Turn, Turns, Writer
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_range

log = logging.getLogger(__name__)

LOOKUP_BATCH = 100
# Lookups written together: one charge, one read of their states and watchers, one
# write of their tier changes, one of their accounts and snapshots (1,500 accounts).
GROUP_LOOKUPS = 15
# Tracked ids read per page (a page is one short query).
PAGE_SIZE = 1_000
REFRESH_LEASE = timedelta(minutes=10)
Sleep = Callable[[float], Awaitable[None]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# 429s in a row (each waited out) before a lookup gives up: X telling us to stop
_MAX_RATE_LIMITED = 3
_NEXT = "the accounts not refreshed yet come first in the next refresh"


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
    stopped_early: str | None = None  # why the pass stopped before the end, in plain words
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
    # Users the budget holds: for lookups in flight, and answered ones not charged yet.
    reserved_users: int = 0
    uncharged_users: int = 0
    tierings: Tierings = field(default_factory=lambda: Tierings({}))
    writer: Writer | None = None
    turns: Turns = field(default_factory=Turns)


@dataclass
class _Claim:
    """A scheduled pass's claim on its period, renewed as the pass goes (`keep`), and
    when the next attempt may resume a pass that stopped early (`resume_at`)."""

    claims: JobClaims
    key: str
    owner: str
    lease: timedelta
    clock: Clock
    renewed: datetime
    lost: bool = False
    resume_at: datetime | None = None

    async def keep(self) -> bool:
        """Renew the lease when a third of it has gone; False once someone else has it."""
        current = self.clock.now()
        if not self.lost and current - self.renewed > self.lease / 3:
            self.renewed = current
            until = current + self.lease
            self.lost = not await self.claims.renew_job(self.key, self.owner, until=until)
        return not self.lost

    async def renew(self) -> None:
        await self.keep()


# The claim of the pass running in this task (set by `run_due`; the workers `run` starts
# inherit it): `_lookup` renews it while pacing waits, without `run` passing it along.
_CLAIM: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar("claim", default=None)


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
        # one pacer for every pass of this refresher: the next pass knows a spent window
        step = lease.total_seconds() / 4  # renew the claim well within its lease
        self.pacer = Pacer(clock, sleep, max_wait=max_rate_limit_wait, step=step)
        self._budget_lock = asyncio.Lock()

    async def run_due(self) -> RefreshReport | None:
        """Run the current period if nobody has (or whoever had it died); None if not ours."""
        now = self._clock.now()
        start = refresh_period(now, self.every)
        key = refresh_key(start)
        claimed = await self._claims.claim_job(key, self._owner, now=now, lease=self.lease)
        if claimed is None:
            return None
        claim = _Claim(self._claims, key, self._owner, self.lease, self._clock, renewed=now)
        token = _CLAIM.set(claim)
        try:
            # A takeover resumes: only accounts not refreshed since the period began.
            report = await self.run(not_seen_since=None if claimed else start, on_batch=claim.renew)
        finally:
            _CLAIM.reset(token)
        if claim.lost:
            return report  # another instance holds the period now
        ended = self._clock.now()
        if report.complete or claim.resume_at is None:
            await self._claims.finish_job(key, self._owner, now=ended)
        else:
            # Hand the claim back: it expires when X may answer again, and whichever
            # instance ticks after that takes it over and resumes this period's pass.
            until = max(claim.resume_at, ended)
            await self._claims.renew_job(key, self._owner, until=until)
            log.info("refresh: pass stopped early; resumable from %s", until.isoformat())
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
        accounts = await self._store.tracked_count(not_seen_since=not_seen_since)
        state = _Pass(tierings=await self._tierings())
        feed = Feed(
            self._store.tracked_user_id_pages(
                not_seen_since=not_seen_since, started=started, size=PAGE_SIZE
            ),
            LOOKUP_BATCH,
        )
        writer = state.writer = Writer(lambda group: self._write(group, state), GROUP_LOOKUPS)

        async def worker() -> None:
            turn = Turn()
            while state.stopped is None:
                batch = await feed.next()  # each batch goes to one worker
                if batch is None:
                    return
                page = await self._lookup(batch, state, turn)
                if page is None:
                    return
                state.uncharged_users += len(batch)
                group = await writer.add(batch, page)
                if self.pacer.waiting:
                    await writer.drain()  # landed as the pass waits for a reset: save it
                elif group is not None:
                    await writer.written(group)
                if on_batch is not None:
                    await on_batch()

        # A crash (or a cancel) loses at most the groups not written yet: their accounts
        # are not marked seen, so the next pass looks them up again (X bills a read once
        # a UTC day, and the meter, which never charged them, charges them then).
        try:
            workers = min(self._concurrency, math.ceil(accounts / LOOKUP_BATCH))
            await asyncio.gather(*(worker() for _ in range(max(1, workers))))
            # Stopped or done: what was looked up is written before the pass returns.
            await writer.close()
        finally:
            await writer.cancel()
            await feed.aclose()
        if state.stopped is None:
            # Only after a full pass: the states of accounts nobody tracks any more go.
            await self._store.forget_untracked(tierings=state.tierings.keys())
        report = RefreshReport(
            started_at=started,
            finished_at=self._clock.now(),
            accounts=accounts,
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

    async def _write(self, group: Group, state: _Pass) -> None:
        """Charge a group's lookups, decide its accounts, then mark them seen."""
        if not group.requests:
            return
        cost = await self._meter.charge(requests=group.requests, user_ids=group.charged)
        state.cost = state.cost + cost
        state.reserved_users -= group.reserved
        state.uncharged_users -= group.reserved
        now = self._clock.now()
        await self._decide_batch(group.ids, group.by_id, now, state)
        # Saving marks the accounts seen this period, so only after their tier changes are
        # applied: a crash in between makes a resumed pass look them up again (the state
        # already applied decides nothing twice) instead of skipping a crossing.
        if group.by_id:
            await self._accounts.save_users(list(group.by_id.values()), now)

    async def _flush(self, state: _Pass) -> None:
        """Write everything looked up so far (before a long wait, or a budget re-check)."""
        if state.writer is not None:
            await state.writer.drain()

    async def _tierings(self) -> Tierings:
        """Every workspace's tiering, read once per pass (not per batch)."""
        own = await self._settings.all_workspace_settings() if self._settings else {}
        return Tierings(own, bounds=self._bounds, margin=self._margin)

    async def _reserve(self, state: _Pass, users: int) -> bool:
        """Budget check that counts lookups in flight and those answered but not charged
        yet (at their worst case), so workers never overspend. Refused so, it charges
        what was answered and asks again: a lookup is refused only as it would be with
        every answer charged at once."""
        async with self._budget_lock:
            while not await self._meter.affordable(0, state.reserved_users + users):
                if state.uncharged_users <= 0:
                    return False
                await self._flush(state)
            state.reserved_users += users
            return True

    async def _lookup(self, batch: Sequence[str], state: _Pass, turn: Turn) -> UsersPage | None:
        """One request for up to 100 ids, paced at X's rate limit; None to stop.

        The answer keeps its budget reservation until its group is charged."""
        claim = _CLAIM.get()
        if claim is not None and claim.lost:
            _stop(state, "another bot instance took over this refresh")
            return None
        if not await self._reserve(state, len(batch)):
            _stop(state, f"the monthly X budget would be exceeded by the next lookup; {_NEXT}")
            return None
        page: UsersPage | None = None
        try:
            page = await self._paced(batch, state, claim, turn)
        except (BudgetExhausted, XPaymentRequired) as err:
            _stop(state, f"{_words(err)}; {_NEXT}")  # money: the next period, not the next tick
        except XUnavailable as err:
            _stop(state, f"{_words(err)}; {_NEXT}", resume_at=self._clock.now())
        except XApiError as err:
            _stop(state, f"{_words(err)}; {_NEXT}")
        finally:
            if page is None:
                state.reserved_users -= len(batch)
        return page

    async def _paced(
        self, batch: Sequence[str], state: _Pass, claim: _Claim | None, turn: Turn
    ) -> UsersPage | None:
        """Reserve a request of the window, send it, tell the pacer what X said."""

        async def keepalive() -> bool:
            # stop waiting once another worker stopped the pass or the claim is gone
            return state.stopped is None and (claim is None or await claim.keep())

        reset_at: datetime | None = None
        for _ in range(_MAX_RATE_LIMITED):
            await state.turns.wait(turn.barrier)
            try:
                await self.pacer.acquire(keepalive, lambda: self._flush(state))
            except PaceStop as stop:
                if stop.reset_at is not None:
                    _stop(state, _spent_until(stop.reset_at, self._clock.now()), stop.reset_at)
                elif claim is not None and claim.lost:
                    _stop(state, "another bot instance took over this refresh")
                return None
            if state.stopped is not None:
                await self.pacer.release(None, answered=False)
                return None
            seq = state.turns.send()
            try:
                page = await self._x.users_by_ids(list(batch))
            except XRateLimited as err:
                await self.pacer.limited(err.reset_at)
                turn.barrier = await state.turns.land(seq)
                reset_at = err.reset_at or reset_at
                log.info("refresh: X rate limit (429); waiting for the window to reset")
                continue
            except BaseException:
                await self.pacer.release(None, answered=False)
                turn.barrier = await state.turns.land(seq)
                raise
            await self.pacer.release(page.rate_limit)
            turn.barrier = await state.turns.land(seq)
            return page
        resume = reset_at or self._clock.now()
        _stop(
            state,
            f"X kept refusing user lookups with its rate limit (429) after waiting "
            f"{_MAX_RATE_LIMITED} times; {_NEXT}",
            resume,
        )
        return None

    async def _decide_batch(
        self, batch: Sequence[str], by_id: dict[str, XUser], now: datetime, state: _Pass
    ) -> None:
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
                old, user = states.get((uid, tiering.key)), by_id.get(uid)
                if _steady(old, user, tiering):
                    continue  # what `decide` would find too, in a fraction of its time
                update = _decide(uid, old, user, now, tiering)
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


# Per (boundaries, margin): each confirmed tier's widened band as whole followers,
# [low, high): `confirmed_tier`'s exact hysteresis test, worked out once.
_BANDS: dict[tuple[TierBoundaries, float], dict[Tier | None, tuple[int, int | None]]] = {}


def _band(tier: Tier | None, bounds: TierBoundaries, margin: float) -> tuple[int, int | None]:
    bands = _BANDS.setdefault((bounds, margin), {})
    band = bands.get(tier)
    if band is None:
        low, high = (0, bounds.nano) if tier is None else tier_range(tier, bounds)
        m = Fraction(str(margin))
        # followers (whole) >= x  <=>  followers >= ceil(x); and likewise for <
        band = (math.ceil(low * (1 - m)), None if high is None else math.ceil(high * (1 + m)))
        bands[tier] = band
    return band


def _steady(old: TierState | None, user: XUser | None, tiering: Tiering) -> bool:
    """Whether `decide` would record nothing: an active account, not renamed, still in
    the widened band of its confirmed tier, decided under the tiering's settings."""
    if old is None or user is None or old.status is AccountStatus.MISSING:
        return False
    if not 0 <= tiering.margin < 1 or tiering.stale(old):
        return False
    if user.username.lower() != old.username.lower():
        return False
    low, high = _band(old.tier, tiering.bounds, tiering.margin)
    return low <= user.followers and (high is None or user.followers < high)


def _named(update: AccountUpdate, watchers: list[Watcher]) -> AccountUpdate:
    """A first-seen missing account has no name yet: use the handle it was tracked under."""
    if update.state.username == update.state.user_id and watchers:
        return replace(update, state=replace(update.state, username=watchers[0].username))
    return update


def _stop(state: _Pass, words: str, resume_at: datetime | None = None) -> None:
    """Stop the pass (the first reason wins); `resume_at`: when it may be resumed."""
    if state.stopped is not None:
        return
    state.stopped = words
    claim = _CLAIM.get()
    if claim is not None:
        claim.resume_at = resume_at


def _words(err: Exception) -> str:
    return str(err).rstrip(". ")


def _spent_until(reset_at: datetime, now: datetime) -> str:
    seconds = max(0.0, (reset_at - now).total_seconds())
    minutes = math.ceil(seconds / 60)
    wait = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    until = f"{reset_at:%H:%M} UTC (in {wait})"
    return f"X's rate limit for user lookups is used up until {until}; {_NEXT}"
