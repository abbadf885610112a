"""Weekly digests: subscriptions, when each is due (DST-safe), and what each contains.

A digest names the top micro influencers first found in its niche since the
channel's last digest and never sent to that channel before. It reuses the search
pages already in the database (each UTC day's are cached) and spends X budget only
for today's pages when nobody searched the niche today.

A period is (subscription, the local date of the occurrence). It is claimed before it
is built and marked done in the transaction that enqueues the digest, so several
instances firing at once post it once, and a crash while building hands the claim to
the next run after its lease.
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from core.discovery import Discovery
from core.errors import BadInput, ScoutError
from core.models import (
    WEEKDAY_NAMES,
    WEEKDAYS,
    Candidate,
    Cost,
    Digest,
    DigestSubscription,
    DigestSubscriptionsView,
    Scope,
    SearchRequest,
    SubscriptionState,
    Tier,
)
from core.niches import NicheQuery, build_query, normalize_niche
from core.ports import Clock, DigestStore, SearchCache
from core.zones import canonical_zone, zone

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
MAX_SUBSCRIPTIONS_PER_CHANNEL = 25
# Recent search reaches 7 days back; older cached pages add nothing a week-old digest needs.
MAX_LOOKBACK_DAYS = 8
# A new subscription's schedule when none is given (the command table's day:, time:
# and tz: defaults say the same; a test checks they agree).
DEFAULT_WEEKDAY = 0
DEFAULT_AT = time(9, 0)
DEFAULT_TZ = "UTC"

# --- when a subscription is due --------------------------------------------------------


def occurrence(day: date, at: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant at which local wall-clock `at` on `day` happens in `tz`.

    A time that a spring-forward gap skips (02:30 in Berlin on the last Sunday of
    March) fires at the first valid instant after it (03:00 local); a time that
    happens twice when clocks fall back fires at the first of the two.
    """
    wall = datetime.combine(day, at.replace(tzinfo=None))
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap: fold=1 reads the wall time with the later offset, fold=0 with the
    # earlier; the transition lies between. Find the first second showing >= wall.
    lo = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    hi = int(first.timestamp())
    if lo > hi:  # pragma: no cover - only in zones whose offset goes down in a gap
        lo, hi = hi, lo
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return datetime.fromtimestamp(lo, UTC)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One scheduled digest: the local date it belongs to (the period) and its instant."""

    period: date
    at: datetime


def latest_due(
    weekday: int, at: time, tz: str, now: datetime, *, not_before: datetime | None = None
) -> Occurrence | None:
    """The most recent occurrence at or before `now`, if it is not before `not_before`.

    After downtime this is the one occurrence to catch up on; older missed ones are
    not sent in a burst.
    """
    zi = zone(tz)
    today = now.astimezone(zi).date()
    for back in range(8):
        day = today - timedelta(days=back)
        if day.weekday() != weekday:
            continue
        instant = occurrence(day, at, zi)
        if instant <= now:
            if not_before is not None and instant < not_before:
                return None
            return Occurrence(day, instant)
    return None  # pragma: no cover - a week back always has the weekday


def next_occurrence(weekday: int, at: time, tz: str, after: datetime) -> Occurrence:
    """The first occurrence strictly after `after`."""
    zi = zone(tz)
    day = after.astimezone(zi).date()
    for ahead in range(15):
        candidate = day + timedelta(days=ahead)
        if candidate.weekday() != weekday:
            continue
        instant = occurrence(candidate, at, zi)
        if instant > after:
            return Occurrence(candidate, instant)
    raise AssertionError("no occurrence within two weeks")  # pragma: no cover


def describe_schedule(sub: DigestSubscription) -> str:
    return f"{WEEKDAY_NAMES[sub.weekday]}s at {sub.at:%H:%M} {sub.tz}"


def digest_key(subscription_id: int, period: date) -> str:
    return f"digest|{subscription_id}|{period.isoformat()}"


def _same_niche(sub: DigestSubscription, nq: NicheQuery) -> bool:
    """Whether `sub` follows the niche `nq` (the store keeps one per niche key)."""
    try:
        return normalize_niche(sub.niche) == nq.key
    except BadInput:  # a row written by older rules: compare as text
        return sub.niche.casefold() == nq.niche.casefold()


# --- what a digest contains ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestSettings:
    size: int = 10
    lang: str = "en"
    tier: Tier = Tier.MICRO
    lease: timedelta = timedelta(minutes=15)
    concurrency: int = 4


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A digest that `run_due` decided (and enqueued) for one subscription period."""

    subscription: DigestSubscription
    period: date
    scheduled_at: datetime
    digest: Digest


@dataclass
class _Ranked:
    candidates: list[Candidate]
    cost: Cost


class Digests:
    """The `/digest` use cases and the scheduled `run_due`."""

    def __init__(
        self,
        discovery: Discovery,
        cache: SearchCache,
        store: DigestStore,
        clock: Clock,
        *,
        owner: str,
        settings: DigestSettings | None = None,
    ) -> None:
        self._discovery = discovery
        self._cache = cache
        self._store = store
        self._clock = clock
        self._owner = owner
        self.settings = settings or DigestSettings()

    # -- commands ------------------------------------------------------------------

    async def subscribe(
        self,
        scope: Scope,
        niche: str,
        weekday: int | None = None,
        at: time | None = None,
        tz: str | None = None,
    ) -> DigestSubscriptionsView:
        """Subscribe the channel, or reschedule its subscription to the niche.

        What is None was not given: a new subscription takes the default (Mondays at
        09:00 UTC), an existing one keeps what it has.
        """
        nq = build_query(niche, self.settings.lang)
        tz = None if tz is None else canonical_zone(tz)
        if weekday is not None and not 0 <= weekday <= 6:
            raise BadInput(f"Weekday must be one of {', '.join(WEEKDAYS)}.")
        existing = await self._store.subscriptions(scope)
        same = next((s for s in existing if _same_niche(s, nq)), None)
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_CHANNEL and same is None:
            raise BadInput(
                f"A channel can follow at most {MAX_SUBSCRIPTIONS_PER_CHANNEL} niches; "
                "unsubscribe from one first."
            )
        now = self._clock.now()
        was = (
            (same.weekday, same.at, same.tz) if same else (DEFAULT_WEEKDAY, DEFAULT_AT, DEFAULT_TZ)
        )
        wanted = (
            was[0] if weekday is None else weekday,
            was[1] if at is None else at.replace(second=0, microsecond=0),
            was[2] if tz is None else tz,
        )
        sub, created = await self._store.subscribe(
            scope,
            nq.niche,
            niche_key=nq.key,
            weekday=wanted[0],
            at=wanted[1],
            tz=wanted[2],
            now=now,
        )
        nxt = next_occurrence(sub.weekday, sub.at, sub.tz, now)
        local = nxt.at.astimezone(zone(sub.tz))
        if created:
            verb = "Subscribed this channel to"
        elif wanted == was:
            verb = "This channel already gets"
        else:
            verb = "Rescheduled"
        message = (
            f'{verb} the weekly digest of "{sub.niche}": {describe_schedule(sub)}. '
            f"Next: {local:%a %d %b %H:%M %Z}."
        )
        return DigestSubscriptionsView(
            scope, tuple(await self._store.subscriptions(scope)), message
        )

    async def unsubscribe(self, scope: Scope, niche: str) -> DigestSubscriptionsView:
        nq = build_query(niche, self.settings.lang)
        removed = await self._store.unsubscribe(scope, nq.key)
        message = (
            f'Unsubscribed this channel from the digest of "{nq.niche}".'
            if removed
            else f'This channel has no digest of "{nq.niche}".'
        )
        return DigestSubscriptionsView(
            scope, tuple(await self._store.subscriptions(scope)), message
        )

    async def subscriptions(self, scope: Scope) -> DigestSubscriptionsView:
        return DigestSubscriptionsView(scope, tuple(await self._store.subscriptions(scope)))

    async def preview(self, scope: Scope, niche: str) -> Digest:
        """What the channel's next digest of the niche would hold now (nothing is recorded)."""
        nq = build_query(niche, self.settings.lang)
        now = self._clock.now()
        since = await self._store.last_digest_until(scope, nq.key) or now - WEEK
        digest = await self.build(scope, nq, since, memo={})
        return replace(digest, candidates=digest.candidates[: self.settings.size], preview=True)

    # -- the scheduled run ---------------------------------------------------------

    async def due(self, now: datetime) -> list[tuple[SubscriptionState, Occurrence]]:
        """Subscriptions with an occurrence at or before `now` that has no run yet."""
        found = []
        for state in await self._store.subscription_states():
            sub = state.subscription
            occ = latest_due(sub.weekday, sub.at, sub.tz, now, not_before=sub.created_at)
            if occ is None or (state.last_period is not None and occ.period <= state.last_period):
                continue
            found.append((state, occ))
        return found

    async def run_due(self) -> list[DueDigest]:
        """Decide and enqueue every digest that is due; each period once across instances."""
        now = self._clock.now()
        due = await self.due(now)
        memo: dict[tuple[str, date], _Ranked | asyncio.Future[_Ranked]] = {}
        gate = asyncio.Semaphore(self.settings.concurrency)
        results: list[DueDigest | None] = [None] * len(due)

        async def one(index: int, state: SubscriptionState, occ: Occurrence) -> None:
            async with gate:
                try:
                    results[index] = await self._run_one(state, occ, memo)
                except Exception:
                    # The claim's lease runs out and a later run retries the period.
                    log.exception(
                        "digest %d for %s failed", state.subscription.id, occ.period.isoformat()
                    )

        await asyncio.gather(*(one(i, s, o) for i, (s, o) in enumerate(due)))
        done = [r for r in results if r is not None]
        if due:
            log.info("digests: %d due, %d decided here", len(due), len(done))
        return done

    async def _run_one(
        self,
        state: SubscriptionState,
        occ: Occurrence,
        memo: dict[tuple[str, date], _Ranked | asyncio.Future[_Ranked]],
    ) -> DueDigest | None:
        sub = state.subscription
        now = self._clock.now()
        claimed = await self._store.claim_digest(
            sub.id,
            occ.period,
            scheduled_at=occ.at,
            owner=self._owner,
            now=now,
            lease=self.settings.lease,
        )
        if not claimed:
            return None
        since = state.last_until or occ.at - WEEK
        nq = build_query(sub.niche, self.settings.lang)
        digest = await self.build(sub.scope, nq, since, memo=memo)
        enqueued = await self._store.finish_digest(
            sub.id,
            occ.period,
            owner=self._owner,
            key=digest_key(sub.id, occ.period),
            digest=digest,
            now=self._clock.now(),
            limit=self.settings.size,
        )
        if enqueued is None:
            return None
        return DueDigest(sub, occ.period, occ.at, enqueued)

    async def build(
        self,
        scope: Scope,
        nq: NicheQuery,
        since: datetime,
        *,
        memo: dict[tuple[str, date], _Ranked | asyncio.Future[_Ranked]],
    ) -> Digest:
        """The digest for one channel: new in the niche since `since`, not sent before."""
        today = self._clock.now().date()
        first_day = max(since.date(), today - timedelta(days=MAX_LOOKBACK_DAYS))
        ranked = await self._ranked(nq, first_day, memo)
        # After the search: what it just found counts as found before `until`.
        until = self._clock.now()
        new = await self._store.discovered_between(nq.key, since, until=until)
        fresh = [c for c in ranked.candidates if c.user.id in new]
        sent = await self._store.sent_to(scope, [c.user.id for c in fresh]) if fresh else set()
        # A few spares: a digest committing concurrently in the same channel may take
        # some of these first (`finish_digest` keeps `size`).
        spare = 3 * self.settings.size
        picked = tuple(c for c in fresh if c.user.id not in sent)[:spare]
        return Digest(
            scope=scope,
            niche=nq.niche,
            candidates=picked,
            source=self._discovery.source_name,
            cost=ranked.cost,
            since=since,
            until=until,
        )

    async def _ranked(
        self,
        nq: NicheQuery,
        first_day: date,
        memo: dict[tuple[str, date], _Ranked | asyncio.Future[_Ranked]],
    ) -> _Ranked:
        """Candidates from every cached page since `first_day`, once per niche per run."""
        key = (nq.query, first_day)
        entry = memo.get(key)
        if isinstance(entry, _Ranked):
            return entry
        if entry is not None:
            return await asyncio.shield(entry)
        future: asyncio.Future[_Ranked] = asyncio.get_running_loop().create_future()
        memo[key] = future
        try:
            ranked = await self._rank(nq, first_day)
        except BaseException as err:
            del memo[key]
            future.set_exception(err)
            future.exception()  # retrieved: the waiters (if any) re-raise it
            raise
        memo[key] = ranked
        future.set_result(ranked)
        return ranked

    async def _rank(self, nq: NicheQuery, first_day: date) -> _Ranked:
        request = SearchRequest(niche=nq.niche, tier=self.settings.tier, lang=self.settings.lang)
        try:
            # Today's search (free when someone searched the niche today) plus what every
            # search of the niche found since `first_day`.
            candidates, cost = await self._discovery.ranked_since(request, first_day)
        except ScoutError as err:
            log.warning("digest of %r found nothing new: %s", nq.niche, err)
            return _Ranked([], Cost())
        return _Ranked(candidates, cost)
