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

    def worst_case(self, posts: int, users: int) -> float:
        return posts * self.usd_per_post + users * self.usd_per_user


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

    async def affordable(self, posts: int, users: int) -> bool:
        """Whether a request that may return this many posts and users fits the budget.

        Uses the worst case (nothing already charged today) so the budget holds whatever
        X returns.
        """
        if self.monthly_budget_usd is None:
            return True
        worst = self.prices.worst_case(posts, users)
        return await self.spent_this_month() + worst <= self.monthly_budget_usd + 1e-9

    async def ensure_affordable(self, posts: int, users: int) -> None:
        if not await self.affordable(posts, users):
            spent = await self.spent_this_month()
            raise BudgetExhausted(
                f"The monthly X budget is spent (${spent:,.2f} of "
                f"${self.monthly_budget_usd or 0:,.2f}); raise X_MONTHLY_BUDGET_USD or wait "
                "for next month."
            )

    async def charge(
        self, *, requests: int, post_ids: Sequence[str] = (), user_ids: Sequence[str] = ()
    ) -> Cost:
        """Record one or more requests; only resources not yet read today cost money."""
        if self.simulate:
            usd = (
                len(post_ids) * self.prices.usd_per_post + len(user_ids) * self.prices.usd_per_user
            )
            return Cost(requests, len(post_ids), len(user_ids), round(usd, 6))
        day = self._today()
        new_posts = await self._ledger.mark_read(day, "post", list(post_ids)) if post_ids else 0
        new_users = await self._ledger.mark_read(day, "user", list(user_ids)) if user_ids else 0
        usd = round(new_posts * self.prices.usd_per_post + new_users * self.prices.usd_per_user, 6)
        await self._ledger.record_usage(
            day,
            requests=requests,
            posts_read=len(post_ids),
            users_read=len(user_ids),
            usd=usd,
        )
        return Cost(requests, len(post_ids), len(user_ids), usd)
