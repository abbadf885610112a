"""What X reads cost, and the monthly budget that is never exceeded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.errors import BudgetExhausted
from core.models import Cost
from core.ports import Clock, UsageLedger


@dataclass(frozen=True, slots=True)
class Prices:
    """Pay-per-use prices (2026): X charges each resource once per UTC day."""

    usd_per_post: float = 0.005
    usd_per_user: float = 0.010
    # `GET /2/tweets/counts/recent` is billed per request, not per resource.
    usd_per_count_request: float = 0.005

    def worst_case(self, posts: int, users: int, count_requests: int = 0) -> float:
        return (
            posts * self.usd_per_post
            + users * self.usd_per_user
            + count_requests * self.usd_per_count_request
        )


def month_start(day: date) -> date:
    return day.replace(day=1)


class CostMeter:
    """Checks the budget before a request and records what the answer cost after it."""

    def __init__(
        self,
        ledger: UsageLedger,
        clock: Clock,
        prices: Prices,
        monthly_budget_usd: float | None,
        *,
        simulate: bool = False,
    ) -> None:
        self._ledger = ledger
        self._clock = clock
        self.prices = prices
        # The sample source costs nothing: estimate what X would charge, record no spend.
        self.simulate = simulate
        self.monthly_budget_usd = None if simulate else monthly_budget_usd

    def _today(self) -> date:
        return self._clock.now().date()

    async def spent_this_month(self) -> float:
        today = self._today()
        return await self._ledger.spent_usd(month_start(today), today)

    async def budget_left(self) -> float | None:
        if self.monthly_budget_usd is None:
            return None
        return round(max(0.0, self.monthly_budget_usd - await self.spent_this_month()), 4)

    async def affordable(self, posts: int, users: int, count_requests: int = 0) -> bool:
        """Whether a request that may return this many posts and users fits the budget.

        Uses the worst case (nothing already charged today) so the budget holds whatever
        X returns.
        """
        if self.monthly_budget_usd is None:
            return True
        worst = self.prices.worst_case(posts, users, count_requests)
        return await self.spent_this_month() + worst <= self.monthly_budget_usd + 1e-9

    async def ensure_affordable(self, posts: int, users: int, count_requests: int = 0) -> None:
        if not await self.affordable(posts, users, count_requests):
            spent = await self.spent_this_month()
            raise BudgetExhausted(
                f"The monthly X budget is spent (${spent:,.2f} of "
                f"${self.monthly_budget_usd or 0:,.2f}); raise X_MONTHLY_BUDGET_USD or wait "
                "for next month."
            )

    async def charge(
        self,
        *,
        requests: int,
        post_ids: Sequence[str] = (),
        user_ids: Sequence[str] = (),
        timeline_post_ids: Sequence[str] = (),
        count_requests: int = 0,
    ) -> Cost:
        """Record one or more requests; only resources not yet read today cost money.

        Timeline posts are posts too: one already read in today's search costs nothing
        again. Counts requests are billed per request.
        """
        p = self.prices
        if self.simulate:
            new_posts, new_users, new_timeline = (
                len(post_ids),
                len(user_ids),
                len(timeline_post_ids),
            )
        else:
            day = self._today()
            new_posts = await self._mark(day, "post", post_ids)
            new_users = await self._mark(day, "user", user_ids)
            new_timeline = await self._mark(day, "post", timeline_post_ids)
        usd_posts = round(new_posts * p.usd_per_post, 6)
        usd_users = round(new_users * p.usd_per_user, 6)
        usd_timelines = round(new_timeline * p.usd_per_post, 6)
        usd_counts = round(count_requests * p.usd_per_count_request, 6)
        usd = round(usd_posts + usd_users + usd_timelines + usd_counts, 6)
        if not self.simulate:
            await self._ledger.record_usage(
                self._today(),
                requests=requests,
                posts_read=len(post_ids) + len(timeline_post_ids),
                users_read=len(user_ids),
                usd=usd,
            )
        return Cost(
            requests,
            len(post_ids),
            len(user_ids),
            usd,
            timeline_posts=len(timeline_post_ids),
            count_requests=count_requests,
            usd_posts=usd_posts,
            usd_users=usd_users,
            usd_timelines=usd_timelines,
            usd_counts=usd_counts,
        )

    async def _mark(self, day: date, kind: str, ids: Sequence[str]) -> int:
        return await self._ledger.mark_read(day, kind, ids=list(ids)) if ids else 0
