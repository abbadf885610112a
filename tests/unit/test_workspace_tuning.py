"""A workspace's settings take effect: its searches rank by its weights, and it spends
at most its share of the X budget, while the deployment's budget still bounds all."""

from __future__ import annotations

import pytest

from core.commands import FIND, SETTINGS, parse_command
from core.costs import CostMeter, Prices, Spender, spending_for
from core.discovery import Discovery
from core.errors import BudgetExhausted
from core.models import Caller, Scope, SearchResult
from core.scout import Scout
from core.watchlist import Watchlists
from core.workspace_config import WorkspaceConfig
from tests.fakes.memory import FixedClock, MemoryStorage, MemoryWorkspaceSettings
from tests.fakes.x_source import FakeX
from tests.unit.test_discovery import NOW, timelines_for, world

ENGAGEMENT_FIRST = Scope("slack", "T1", "C1")
PLAIN = Scope("slack", "T2", "C1")
ADMIN = Caller("U1", "Ana", is_admin=True)


def make(budget: float | None = 100.0) -> tuple[Scout, MemoryStorage, MemoryWorkspaceSettings]:
    posts, users = world()
    x = FakeX(users, posts, filter_min_likes=True, timelines=timelines_for(users))
    store, settings, clock = MemoryStorage(), MemoryWorkspaceSettings(), FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), budget, workspaces=settings)
    discovery = Discovery(x, store, store, meter, clock)
    watchlists = Watchlists(x, store, store, meter, clock)
    config = WorkspaceConfig(settings, clock, budget_usd=budget, meter=meter)
    return Scout(discovery, watchlists, meter, workspaces=config), store, settings


async def find(scout: Scout, scope: Scope) -> SearchResult:
    result = await scout.handle(parse_command(FIND.name, "fitness"), scope)
    assert isinstance(result, SearchResult)
    return result


async def configure(scout: Scout, scope: Scope, text: str) -> None:
    await scout.handle(parse_command(SETTINGS.name, f"set {text}"), scope, ADMIN)


def ranking(result: SearchResult) -> list[str]:
    return [c.user.username for c in result.results]


async def test_a_workspaces_weights_change_its_ranking_and_no_other_workspaces() -> None:
    scout, store, _ = make()
    before = ranking(await find(scout, PLAIN))
    assert before == ["user1", "user2", "fit84629173"]
    await configure(
        scout,
        ENGAGEMENT_FIRST,
        "weights:engagement=1,relevance=0,authenticity=0,suspicion_penalty=0",
    )
    tuned = await find(scout, ENGAGEMENT_FIRST)
    assert ranking(tuned) == ["user1", "fit84629173", "user2"]
    assert tuned.cost.requests == 0  # X's answers are the day's cache: only ranking differs
    # The other workspace still ranks by the deployment's weights, cached or not.
    assert ranking(await find(scout, PLAIN)) == before
    # Each keeps its own ranked finds for the day (what digests read), never another's.
    found = [key for key, _ in store.cache if key.startswith("found|")]
    assert len(found) == 2
    assert sum("|tuned:" in key for key in found) == 1


async def test_a_workspaces_minimum_relevance_leaves_out_more() -> None:
    scout, _, _ = make()
    await configure(scout, ENGAGEMENT_FIRST, "min_relevance:0.9")
    strict = await find(scout, ENGAGEMENT_FIRST)
    assert "fit84629173" not in ranking(strict)  # its relevance is 0.6
    assert strict.left_out
    assert "below 0.90" in strict.left_out[0].reason
    assert "fit84629173" in ranking(await find(scout, PLAIN))


async def test_a_workspace_spends_at_most_its_share_and_others_go_on() -> None:
    scout, _, settings = make()
    await configure(scout, ENGAGEMENT_FIRST, "budget:0.01")  # not even one search
    with pytest.raises(BudgetExhausted) as refused:
        await find(scout, ENGAGEMENT_FIRST)
    assert "This workspace's monthly X budget" in str(refused.value)
    assert "/influencer-settings" in str(refused.value)
    spent_share = sum(v for (_, w), v in settings.spend.items() if w == "slack:T1")
    assert spent_share <= 0.01 + 1e-9
    # Another workspace, without a share, searches under the deployment's budget alone.
    plain = await find(scout, PLAIN)
    assert plain.results
    assert sum(v for (_, w), v in settings.spend.items() if w == "slack:T2") == pytest.approx(
        plain.cost.usd
    )


async def test_the_meter_keeps_a_share_and_the_deployments_ceiling() -> None:
    store, settings, clock = MemoryStorage(), MemoryWorkspaceSettings(), FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), 1.0, workspaces=settings)
    share = Spender("slack:T1", 0.10)
    with spending_for(share):
        await meter.ensure_affordable(20, 0)  # $0.10 worst case: exactly the share
        await meter.charge(requests=1, post_ids=[f"p{i}" for i in range(20)])
        assert await meter.budget_left() == 0.0
        assert not await meter.affordable(1, 0)
    assert await meter.workspace_spent_this_month("slack:T1") == pytest.approx(0.10)
    # The deployment's own work (refresh, digests) and other workspaces are not held.
    assert await meter.affordable(1, 0)
    with spending_for(Spender("slack:T2")):
        assert await meter.affordable(1, 0)
        # ... until the deployment's budget is spent: it stays the ceiling over all.
        await meter.charge(requests=1, user_ids=[f"u{i}" for i in range(89)])
        assert not await meter.affordable(3, 0)  # $0.015 more than the $0.01 left
        with pytest.raises(BudgetExhausted, match="X_MONTHLY_BUDGET_USD"):
            await meter.ensure_affordable(3, 0)
    assert await meter.spent_this_month() == pytest.approx(0.99)


async def test_on_the_sample_nothing_is_spent_or_held() -> None:
    store, settings, clock = MemoryStorage(), MemoryWorkspaceSettings(), FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), 1.0, simulate=True, workspaces=settings)
    with spending_for(Spender("slack:T1", 0.001)):
        assert await meter.affordable(1_000, 1_000)
        cost = await meter.charge(requests=1, post_ids=["p1"])
    assert cost.usd > 0  # what it would cost
    assert settings.spend == {}
