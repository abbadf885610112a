"""The audit use case: how many of an account's most recent followers look fake.

Reads a sample of `GET /2/users/:id/followers` (most recent first, up to 1,000 a page),
scores each follower with the fake-account classifier (`core.fake_followers`) and reports the
share of likely fakes with a Wilson 95 % interval, a wider one that also allows for the
classifier's own error rates, the signals seen most, and what the reads cost. Every X
read goes through the `CostMeter`; an audit dearer than a setting asks first; a repeat
of the same audit within the UTC day is served from storage.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from core.costs import CostMeter
from core.errors import BadInput, ScoutError, UnknownHandle, XRateLimited, XUnavailable
from core.fake_followers import SIGNAL_LABELS, ErrorRates, FakeClassifier, FakeVerdict
from core.models import AuditNeedsConfirmation, AuditResult, Cost, ReasonCount, XUser
from core.ports import AccountStore, AuditStore, Clock, XSource

log = logging.getLogger(__name__)

MAX_PAGE = 1_000  # X's limit for one followers page
MIN_SAMPLE = 10
MAX_SAMPLE = 5_000
Z_95 = 1.959963984540054  # two-sided 95 %


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """How big an audit is by default, and from what cost it asks first."""

    default_sample: int = 200
    # None: never ask. The worst case counts every follower read as new today.
    confirm_above_usd: float | None = 2.50
    top_reasons: int = 5

    def __post_init__(self) -> None:
        if not MIN_SAMPLE <= self.default_sample <= MAX_SAMPLE:
            raise BadInput(
                f"The default audit sample must be between {MIN_SAMPLE} and {MAX_SAMPLE}."
            )


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial share; (0, 1) when nothing was observed.

    Unlike the normal approximation it stays inside [0, 1] and behaves at 0 % and 100 %,
    which is exactly where audits of small or heavily bought audiences land.
    """
    if n <= 0:
        return 0.0, 1.0
    share = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (share + z2 / (2 * n)) / denom
    half = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / denom
    # Exact at the edges (0 of n is a lower bound of 0, not 1e-17) and around the share.
    low = 0.0 if successes <= 0 else min(share, max(0.0, centre - half))
    high = 1.0 if successes >= n else max(share, min(1.0, centre + half))
    return low, high


def share_interval(flagged: int, n: int, errors: ErrorRates) -> tuple[float, float]:
    """95 % bounds on the share of followers that are fake, allowing for the model's error.

    The Wilson interval bounds the share the classifier flags; a flagged share p comes
    from a true share t as p = FPR + (TPR - FPR) * t (Rogan and Gladen, 1978). Solving
    for t at the least favourable error rates in `errors` widens it: the low end assumes
    the most people flagged and the most fakes caught, the high end the fewest of both.
    """
    low, high = wilson_interval(flagged, n)
    (fp_low, fp_high), (tp_low, tp_high) = errors.people_flagged, errors.fakes_caught
    true_low = (low - fp_high) / (tp_high - fp_high)
    true_high = (high - fp_low) / (tp_low - fp_low)
    return max(0.0, min(1.0, true_low)), max(0.0, min(1.0, true_high))


def top_reasons(verdicts: Sequence[FakeVerdict], limit: int) -> tuple[ReasonCount, ...]:
    """The signals seen most among likely fakes, most frequent first (ties by name)."""
    counts = Counter(code for v in verdicts if v.likely_fake for code in v.fake_codes)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(
        ReasonCount(code, SIGNAL_LABELS.get(code, code), count) for code, count in ranked[:limit]
    )


def followers_cost_usd(meter: CostMeter, followers: int) -> float:
    """Worst-case dollars for reading `followers` follower objects."""
    return round(meter.prices.worst_case(0, followers), 6)


class Audits:
    """The `audit` use case."""

    def __init__(
        self,
        x: XSource,
        accounts: AccountStore,
        store: AuditStore,
        meter: CostMeter,
        clock: Clock,
        *,
        classifier: FakeClassifier | None = None,
        settings: AuditSettings | None = None,
    ) -> None:
        self._x = x
        self._accounts = accounts
        self._store = store
        self._meter = meter
        self._clock = clock
        self.classifier = classifier or FakeClassifier()
        self.settings = settings or AuditSettings()

    async def last_audits(self, user_ids: Sequence[str]) -> dict[str, AuditResult]:
        """Each account's latest stored audit (for the watchlist)."""
        return await self._store.last_audits(user_ids)

    async def audit(
        self, handle: str, sample: int | None = None, *, confirmed: bool = False
    ) -> AuditResult | AuditNeedsConfirmation:
        """Audit `handle`'s most recent `sample` followers (the setting's default if None).

        Returns `AuditNeedsConfirmation` instead of reading when the worst case costs more
        than `confirm_above_usd` and `confirmed` is False. A repeat within the UTC day
        (same account, same sample) reads nothing from X.
        """
        wanted = self.settings.default_sample if sample is None else sample
        if not MIN_SAMPLE <= wanted <= MAX_SAMPLE:
            raise BadInput(f"The sample must be between {MIN_SAMPLE} and {MAX_SAMPLE:,} followers.")
        handle = handle.strip().lstrip("@")
        now = self._clock.now()
        day = now.date()

        known = (await self._accounts.users_by_username([handle])).get(handle.lower())
        if known is not None:
            cached = await self._cached(known.id, wanted, day, Cost())
            if cached is not None:
                return cached

        user, lookup_cost = await self._lookup(handle)
        if known is None or known.id != user.id:
            # A handle seen for the first time today may still name an account audited
            # under another handle: the lookup is paid, the followers need not be.
            cached = await self._cached(user.id, wanted, day, lookup_cost)
            if cached is not None:
                return cached
        if user.protected:
            raise ScoutError(
                f"@{user.username} is protected: X shows its followers only to accounts it "
                "approved, so it cannot be audited."
            )
        if user.followers <= 0:
            raise BadInput(f"@{user.username} has no followers to audit.")

        target = min(wanted, user.followers)
        estimate = followers_cost_usd(self._meter, target)
        limit = self.settings.confirm_above_usd
        # The sample asks too (its answer says what the audit would cost on X): it is
        # where people first try the bot, so it shows the flow they will meet on X.
        if not confirmed and limit is not None and estimate > limit:
            return AuditNeedsConfirmation(
                handle=user.username,
                sample=wanted,
                estimated_cost_usd=round(estimate, 2),
                limit_usd=limit,
                user_id=user.id,
                followers=user.followers,
            )
        await self._meter.ensure_affordable(0, target)

        verdicts, cost, pages, partial = await self._read_followers(user, target)
        result = self._result(
            user,
            wanted,
            verdicts=verdicts,
            cost=lookup_cost + cost,
            pages=pages,
            partial=partial,
        )
        result = replace(result, budget_left_usd=await self._meter.budget_left())
        await self._store.save_audit(result)
        return result

    async def _cached(self, user_id: str, sample: int, day: date, cost: Cost) -> AuditResult | None:
        found = await self._store.cached_audit(user_id, sample, day=day, source=self._x.name)
        if found is None:
            return None
        log.debug("audit of %s (sample %d) served from today's result", user_id, sample)
        return replace(
            found, from_cache=True, cost=cost, budget_left_usd=await self._meter.budget_left()
        )

    async def _lookup(self, handle: str) -> tuple[XUser, Cost]:
        await self._meter.ensure_affordable(0, 1)
        page = await self._x.users_by_usernames([handle])
        cost = await self._meter.charge(requests=1, user_ids=[u.id for u in page.users])
        user = next((u for u in page.users if u.username.lower() == handle.lower()), None)
        if user is None:
            raise UnknownHandle([handle])
        await self._accounts.save_users([user], self._clock.now())
        return user, cost

    async def _read_followers(
        self, user: XUser, target: int
    ) -> tuple[list[FakeVerdict], Cost, int, str | None]:
        """Judge up to `target` of the most recent followers, page by page.

        A rate limit or outage after some pages keeps what was read (flagged as partial);
        before any page it is the caller's error to show.
        """
        now = self._clock.now()
        verdicts: list[FakeVerdict] = []
        seen: set[str] = set()
        cost = Cost()
        pages = 0
        token: str | None = None
        while len(verdicts) < target:
            remaining = target - len(verdicts)
            size = min(MAX_PAGE, remaining)
            try:
                page = await self._x.followers(user.id, max_results=size, pagination_token=token)
            except (XRateLimited, XUnavailable) as err:
                if not pages:
                    raise
                log.warning("audit of @%s stopped after %d pages: %s", user.username, pages, err)
                why = f"stopped after {pages} page(s), {len(verdicts)} of {target} followers"
                return verdicts, cost, pages, f"{why}: {err}"
            pages += 1
            cost = cost + await self._meter.charge(requests=1, user_ids=[u.id for u in page.users])
            for follower in page.users[:remaining]:
                if follower.id not in seen:
                    seen.add(follower.id)
                    verdicts.append(self.classifier.judge(follower, now))
            token = page.next_token
            if not token or not page.users:
                break
        return verdicts, cost, pages, None

    def _result(
        self,
        user: XUser,
        wanted: int,
        *,
        verdicts: Sequence[FakeVerdict],
        cost: Cost,
        pages: int,
        partial: str | None,
    ) -> AuditResult:
        n = len(verdicts)
        fakes = sum(1 for v in verdicts if v.likely_fake)
        low, high = wilson_interval(fakes, n)
        errors = self.classifier.errors
        true_low, true_high = share_interval(fakes, n, errors)
        return AuditResult(
            user_id=user.id,
            handle=user.username,
            name=user.name,
            followers=user.followers,
            requested_sample=wanted,
            sample_size=n,
            fake_count=fakes,
            fake_share=round(fakes / n, 6) if n else 0.0,
            ci_low=round(low, 6),
            ci_high=round(high, 6),
            mean_probability=round(statistics.fmean(v.probability for v in verdicts), 6)
            if n
            else 0.0,
            top_reasons=top_reasons(verdicts, self.settings.top_reasons),
            cost=cost,
            source=self._x.name,
            observed_at=self._clock.now(),
            partial=partial,
            pages_read=pages,
            threshold=self.classifier.threshold,
            share_low=round(true_low, 6),
            share_high=round(true_high, 6),
            people_flagged=errors.people_flagged,
            fakes_caught=errors.fakes_caught,
        )
