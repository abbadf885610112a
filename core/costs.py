"""What X reads cost, and the monthly budget that is never exceeded.

The deployment's budget (`X_MONTHLY_BUDGET_USD`) bounds all spend. A workspace may also
have its own share (`/influencer-settings set budget:`): the Scout names the workspace
a command runs for (`spending_for`), and the meter then records that workspace's spend
too and refuses what would take it past its share.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from core.errors import BudgetExhausted
from core.models import Cost
from core.ports import Clock, UsageLedger, WorkspaceSpendLedger


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


@dataclass(frozen=True, slots=True)
class Spender:
    """The workspace (`workspace_key`) a command spends for, and its monthly share."""

    workspace: str
    budget_usd: float | None = None


# Set by the Scout for the duration of one command; tasks it starts inherit it.
_spender: ContextVar[Spender | None] = ContextVar("spender", default=None)


@contextmanager
def spending_for(spender: Spender | None) -> Iterator[None]:
    """X reads inside the block are the spender's (None: the deployment's own work)."""
    token = _spender.set(spender)
    try:
        yield
    finally:
        _spender.reset(token)


def current_spender() -> Spender | None:
    return _spender.get()


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
        workspaces: WorkspaceSpendLedger | None = None,
    ) -> None:
        self._ledger = ledger
        self._workspaces = workspaces
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

    async def workspace_spent_this_month(self, workspace: str) -> float:
        """What the workspace (`workspace_key`) spent on X this calendar month (UTC)."""
        if self._workspaces is None:
            return 0.0
        today = self._today()
        return await self._workspaces.workspace_spent_usd(workspace, month_start(today), today)

    def _share(self) -> tuple[str, float] | None:
        """The running command's workspace and its budget share, when one applies."""
        spender = _spender.get()
        if self.simulate or self._workspaces is None or spender is None:
            return None
        if spender.budget_usd is None:
            return None
        return spender.workspace, spender.budget_usd

    async def budget_left(self) -> float | None:
        left: float | None = None
        if self.monthly_budget_usd is not None:
            left = max(0.0, self.monthly_budget_usd - await self.spent_this_month())
        share = self._share()
        if share is not None:
            workspace, budget = share
            mine = max(0.0, budget - await self.workspace_spent_this_month(workspace))
            left = mine if left is None else min(left, mine)
        return None if left is None else round(left, 4)

    async def affordable(self, posts: int, users: int, count_requests: int = 0) -> bool:
        """Whether a request that may return this many posts and users fits the budget
        (and the running command's workspace share, when it has one).

        Uses the worst case (nothing already charged today) so the budget holds whatever
        X returns.
        """
        return await self._refusal(posts, users, count_requests) is None

    async def ensure_affordable(self, posts: int, users: int, count_requests: int = 0) -> None:
        refusal = await self._refusal(posts, users, count_requests)
        if refusal is not None:
            raise BudgetExhausted(refusal)

    async def _refusal(self, posts: int, users: int, count_requests: int) -> str | None:
        """Why the request does not fit (None: it does)."""
        worst = self.prices.worst_case(posts, users, count_requests)
        if self.monthly_budget_usd is not None:
            spent = await self.spent_this_month()
            if spent + worst > self.monthly_budget_usd + 1e-9:
                return (
                    f"The monthly X budget is spent (${spent:,.2f} of "
                    f"${self.monthly_budget_usd:,.2f}); raise X_MONTHLY_BUDGET_USD or wait "
                    "for next month."
                )
        share = self._share()
        if share is not None:
            workspace, budget = share
            spent = await self.workspace_spent_this_month(workspace)
            if spent + worst > budget + 1e-9:
                return (
                    f"This workspace's monthly X budget is spent (${spent:,.2f} of "
                    f"${budget:,.2f}); an admin can raise it with "
                    "/influencer-settings set budget:, or wait for next month."
                )
        return None

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
            spender = _spender.get()
            if self._workspaces is not None and spender is not None and usd > 0:
                await self._workspaces.record_workspace_spend(
                    self._today(), spender.workspace, usd=usd
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
