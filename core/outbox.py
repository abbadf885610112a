"""Delivering the outbox: every decided alert and digest reaches its channel, once.

Messages are written to the outbox in the transaction that decides them; this module
delivers them. A message is marked delivered only after the platform accepted it;
rate limits and outages are retried with backoff (never sooner than the platform's
own `Retry-After`), and after a bounded number of tries it is given up loudly. A
channel the bot was removed from is paused instead of retried forever.

A process can die after the platform accepted a message and before it was marked
delivered; its lease then runs out and another claim takes the row over. So every
message goes out with its outbox key (stable across retries), and a taken-over row
(`OutboxItem.reclaimed`) asks its sink to look first whether it is already there:
Discord answers a repeated nonce with the message it already created, Slack finds the
key in the channel's recent history.

A tier alert also carries extras decided at delivery time (`AlertExtras`): the mention
its channel set with `/watchlist notify` (looked up then, so a change applies to alerts
already waiting) and the account's follower-growth chart. A chart that cannot be drawn
never holds an alert back: it goes out without one, and the log says why.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time as _time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from core.errors import ChannelGone, DeliveryRejected, DeliveryRetryLater
from core.growth import growth, growth_line
from core.models import (
    AccountNotice,
    Delivery,
    Digest,
    FileAnswer,
    Notice,
    OutboxItem,
    Scope,
    TierAlert,
)
from core.ports import (
    AccountStore,
    ChartRenderer,
    Clock,
    MessageSink,
    NotifyStore,
    OutboxStore,
    WorkspaceSettingsStore,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries, format_count
from core.wording import plural

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

KIND_ALERT = "alert"
KIND_NOTICE = "notice"
KIND_DIGEST = "digest"

# --- notices: their kind (the outbox's `kind` column) and one-line summary -------------


def notice_kind(notice: Notice) -> str:
    match notice:
        case TierAlert():
            return KIND_ALERT
        case AccountNotice():
            return KIND_NOTICE
        case Digest():
            return KIND_DIGEST
    raise TypeError(type(notice).__name__)  # pragma: no cover - Notice is a closed union


def summarize(notice: Notice) -> str:
    """One line for outbox listings and logs."""
    match notice:
        case TierAlert():
            before = notice.before_tier.value if notice.before_tier else "no tier"
            after = notice.after_tier.value if notice.after_tier else "no tier"
            return (
                f"@{notice.username} {before} -> {after} "
                f"({format_count(notice.before_followers)} -> "
                f"{format_count(notice.after_followers)})"
            )
        case AccountNotice():
            return f"@{notice.username} {notice.status}" + (
                f": {notice.detail}" if notice.detail else ""
            )
        case Digest():
            return f'digest "{notice.niche}": {len(notice.candidates)} account(s)'
    raise TypeError(type(notice).__name__)  # pragma: no cover


# --- what an alert carries: the channel's mention, the account's chart -----------------

ALERT_CHART_DAYS = 90
# Platforms that can show a chart beside an alert (the terminal prints text only).
CHART_PLATFORMS = frozenset({"slack", "discord"})
# Charts drawn at once: each holds a figure in memory while it renders.
CHART_SLOTS = 2


class AlertExtras:
    """Decides a tier alert's `Delivery`: mention and chart, when it is delivered.

    Reading the mention at delivery time means `/watchlist notify` applies to alerts
    already in the outbox too. The chart is drawn in a worker thread (the renderer is
    CPU-bound) with the channel workspace's tier boundaries when it has its own.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        notify: NotifyStore | None = None,
        accounts: AccountStore | None = None,
        charts: ChartRenderer | None = None,
        settings: WorkspaceSettingsStore | None = None,
        bounds: TierBoundaries = DEFAULT_TIERS,
        days: int = ALERT_CHART_DAYS,
    ) -> None:
        self._clock = clock
        self._notify = notify
        self._accounts = accounts
        self._charts = charts
        self._settings = settings
        self._bounds = bounds
        self._days = days
        self._slots = asyncio.Semaphore(CHART_SLOTS)

    async def for_notice(self, scope: Scope, notice: Notice) -> Delivery | None:
        """The extras of `notice` in `scope`; None when it carries none (not an alert)."""
        if not isinstance(notice, TierAlert):
            return None
        mention = None
        if self._notify is not None:
            mention = (await self._notify.mentions([scope])).get(scope)
        chart = await self.chart(scope, notice) if scope.platform in CHART_PLATFORMS else None
        if mention is None and chart is None:
            return None
        return Delivery(mention=mention, attachment=chart)

    async def chart(self, scope: Scope, alert: TierAlert) -> FileAnswer | None:
        """The account's follower-growth PNG, or None (and a log line saying why)."""
        if self._charts is None or self._accounts is None:
            return None
        now = self._clock.now()
        try:
            history = await self._accounts.follower_history(
                [alert.user_id], since=now - timedelta(days=self._days)
            )
            points = history.get(alert.user_id, [])
            if len(points) < 2:  # a line needs two snapshots
                log.info(
                    "alert for @%s goes without a chart: %d snapshot(s) in %d days",
                    alert.username,
                    len(points),
                    self._days,
                )
                return None
            bounds = await self._bounds_of(scope)
            async with self._slots:
                png = await asyncio.to_thread(
                    self._charts.growth_png,
                    f"@{alert.username}",
                    points,
                    bounds,
                    days=self._days,
                    now=now,
                )
        except Exception as err:  # a chart is a convenience: the alert goes out anyway
            log.warning("alert for @%s goes without a chart: %r", alert.username, err)
            return None
        return FileAnswer(
            filename=f"{alert.username}-followers-{self._days}d.png",
            content_type="image/png",
            data=png,
            text=f"@{alert.username}: {growth_line(growth(points, now))}",
            title=f"@{alert.username} followers, last {self._days} days",
        )

    async def _bounds_of(self, scope: Scope) -> TierBoundaries:
        if self._settings is None:
            return self._bounds
        own = await self._settings.workspace_settings(scope.platform, scope.workspace)
        return own.bounds if own is not None and own.bounds is not None else self._bounds


# --- delivery --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a message is retried before it is given up.

    The n-th retry waits `base * factor**(n-1)` seconds (capped), and never less than
    the platform's `Retry-After`. Waits up to `inline_wait` are slept through within the
    same delivery run; longer ones reschedule the message.
    """

    max_attempts: int = 8
    base_seconds: float = 2.0
    factor: float = 4.0
    cap_seconds: float = 3600.0
    inline_wait_seconds: float = 5.0

    def delay(self, attempts: int, retry_after: float = 0.0) -> float:
        backoff = min(self.cap_seconds, self.base_seconds * self.factor ** max(0, attempts - 1))
        return max(backoff, retry_after)


class _Marker(enum.Enum):
    SETTLED = "settled"
    PAUSED = "paused"


_SETTLED = _Marker.SETTLED
_PAUSED = _Marker.PAUSED
_Outcome = _Marker | float

# Seconds between two messages to one channel: Slack allows about one a second, and
# Discord's per-channel message bucket is five per five seconds.
DEFAULT_PACING: Mapping[str, float] = {"slack": 1.0, "discord": 1.0}


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    paused: int = 0
    deferred: int = 0
    attempts: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.paused += other.paused
        self.deferred += other.deferred
        self.attempts += other.attempts
        self.errors.extend(other.errors)


# Short, and renewed while a batch is delivered: a dead sender's messages are taken over
# (and rechecked) within Discord's nonce window of "a few minutes", not after it.
DELIVERY_LEASE = timedelta(minutes=2)


class OutboxDelivery:
    """Delivers due outbox messages through the sinks of the platforms this process serves.

    Channels are served concurrently, each channel's messages in order and paced; a
    rate limit or outage in one channel defers the rest of that channel only.
    """

    def __init__(  # noqa: PLR0913  tuning and test seams are keyword-only with defaults
        self,
        store: OutboxStore,
        sinks: Mapping[str, MessageSink],
        clock: Clock,
        *,
        owner: str,
        policy: RetryPolicy | None = None,
        pacing: Mapping[str, float] | None = None,
        concurrency: int = 16,
        batch: int = 200,
        lease: timedelta = DELIVERY_LEASE,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = _time.monotonic,
        extras: AlertExtras | None = None,
    ) -> None:
        self._store = store
        self._extras = extras
        self._sinks = sinks  # a live registry: front ends add their sinks after start-up
        self._clock = clock
        self._owner = owner
        self.policy = policy or RetryPolicy()
        self.pacing = DEFAULT_PACING if pacing is None else pacing
        self._concurrency = concurrency
        self._batch = batch
        self._lease = lease
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[Scope, float] = {}
        self._run_lock = asyncio.Lock()

    async def deliver_due(self, *, max_rounds: int = 50) -> DeliveryReport:
        """Deliver everything due now (in batches), then return what happened."""
        total = DeliveryReport()
        async with self._run_lock:  # one run at a time per process; others lease their own
            for _ in range(max_rounds):
                platforms = sorted(self._sinks)
                if not platforms:
                    return total
                items = await self._store.claim_due(
                    platforms,
                    self._owner,
                    now=self._clock.now(),
                    lease=self._lease,
                    limit=self._batch,
                )
                if not items:
                    break
                renewer = asyncio.create_task(self._renew([item.id for item in items]))
                try:
                    total.add(await self._deliver_items(items))
                finally:
                    renewer.cancel()
                if len(items) < self._batch:
                    break
        return total

    async def _renew(self, ids: list[int]) -> None:
        """Keep this batch's leases alive while it is delivered (a third of a lease apart).

        Real time, not the injected `sleep`: it is a watchdog, not part of the schedule.
        """
        every = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self._store.renew_leases(
                    ids, self._owner, until=self._clock.now() + self._lease
                )
            except Exception:  # the next renewal tries again; a lost lease is rechecked
                log.exception("renewing outbox leases failed")

    async def _deliver_items(self, items: list[OutboxItem]) -> DeliveryReport:
        by_channel: dict[Scope, list[OutboxItem]] = defaultdict(list)
        for item in items:
            by_channel[item.scope].append(item)
        # Every channel has its own sequence; the gate bounds requests in flight only, so
        # a channel waiting out its pacing or a Retry-After does not hold up the others.
        gate = asyncio.Semaphore(self._concurrency)
        reports = [DeliveryReport() for _ in by_channel]
        await asyncio.gather(
            *(
                self._deliver_channel(queue, report, gate)
                for queue, report in zip(by_channel.values(), reports, strict=True)
            )
        )
        total = DeliveryReport()
        for report in reports:
            total.add(report)
        return total

    async def _pace(self, scope: Scope) -> None:
        interval = self.pacing.get(scope.platform, 0.0)
        last = self._last_post.get(scope)
        if interval > 0 and last is not None:
            wait = last + interval - self._monotonic()
            if wait > 0:
                await self._sleep(wait)

    async def _deliver_channel(
        self, queue: list[OutboxItem], report: DeliveryReport, gate: asyncio.Semaphore
    ) -> None:
        for index, item in enumerate(queue):
            outcome = await self._deliver_one(item, report, gate)
            if outcome is _PAUSED:
                return  # pause_channel parked the channel's other messages already
            if isinstance(outcome, _Marker):
                continue
            # Rate limited or down: leave the channel's other messages for later (their
            # attempts untouched) rather than hammer it.
            retry_at = self._clock.now() + timedelta(seconds=outcome)
            for rest in queue[index + 1 :]:
                await self._store.mark_retry(
                    rest.id, attempts=rest.attempts, next_attempt_at=retry_at, error=None
                )
                report.deferred += 1
            return

    async def _deliver_one(
        self, item: OutboxItem, report: DeliveryReport, gate: asyncio.Semaphore
    ) -> _Outcome:
        """Deliver one message: settled, the channel paused, or seconds until it may retry."""
        sink = self._sinks.get(item.scope.platform)
        if sink is None or item.notice is None:  # pragma: no cover - claim_due filters these
            return 0.0
        attempts = item.attempts
        extras: Delivery | None = None
        decided = False  # extras are decided once per run; inline retries reuse them
        while True:
            await self._pace(item.scope)
            attempts += 1
            report.attempts += 1
            try:
                if not decided and self._extras is not None:
                    extras = await self._extras.for_notice(item.scope, item.notice)
                decided = True
                async with gate:
                    await sink.deliver(
                        item.scope,
                        item.notice,
                        extras=extras,
                        key=item.key,
                        recheck=item.reclaimed,
                    )
            except ChannelGone as err:
                self._last_post[item.scope] = self._monotonic()
                parked = await self._store.pause_channel(
                    item.scope, str(err), now=self._clock.now()
                )
                log.warning(
                    "channel %s/%s/%s is gone (%s): paused it with %d message(s)",
                    item.scope.platform,
                    item.scope.workspace,
                    item.scope.channel,
                    err,
                    parked,
                )
                report.paused += parked
                return _PAUSED
            except DeliveryRejected as err:
                self._last_post[item.scope] = self._monotonic()
                await self._give_up(item, attempts, f"rejected: {err}", report)
                return _SETTLED
            except DeliveryRetryLater as err:
                self._last_post[item.scope] = self._monotonic()
                error, retry_after = str(err) or "retry later", err.retry_after
            except Exception as err:  # a bug or an unexpected outage: retried like a 5xx
                self._last_post[item.scope] = self._monotonic()
                log.exception("delivering outbox message %d failed", item.id)
                error, retry_after = f"{type(err).__name__}: {err}", 0.0
            else:
                self._last_post[item.scope] = self._monotonic()
                await self._store.mark_delivered(item.id, self._clock.now(), attempts=attempts)
                report.delivered += 1
                return _SETTLED
            if attempts >= self.policy.max_attempts:
                await self._give_up(item, attempts, error, report)
                return _SETTLED
            wait = self.policy.delay(attempts, retry_after)
            if wait > self.policy.inline_wait_seconds:
                await self._store.mark_retry(
                    item.id,
                    attempts=attempts,
                    next_attempt_at=self._clock.now() + timedelta(seconds=wait),
                    error=error[:2000],
                )
                log.info("outbox message %d: %s; next try in %.0f s", item.id, error, wait)
                report.retrying += 1
                return wait
            # A short wait (a typical 429) is slept through within this run.
            log.info("outbox message %d: %s; retrying in %.1f s", item.id, error, wait)
            await self._sleep(wait)

    async def _give_up(
        self, item: OutboxItem, attempts: int, error: str, report: DeliveryReport
    ) -> None:
        await self._store.mark_failed(
            item.id, attempts=attempts, error=error[:2000], now=self._clock.now()
        )
        log.error(
            "gave up on outbox message %d (%s to %s/%s/%s) after %s: %s",
            item.id,
            item.summary,
            item.scope.platform,
            item.scope.workspace,
            item.scope.channel,
            plural(attempts, "attempt"),
            error,
        )
        report.failed += 1
        report.errors.append(f"{item.id}: {error}")
