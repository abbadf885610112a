"""Discovery on in-memory fakes: aggregation, filters, ranking, cost, cache and budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.costs import CostMeter, Prices
from core.discovery import Discovery, DiscoverySettings, follower_range
from core.errors import BudgetExhausted, XRateLimited
from core.models import Post, SearchRequest, Tier, XUser
from core.tiers import DEFAULT_TIERS
from tests.fakes.memory import FixedClock, MemoryStorage, ScriptedX, rate_limited, unavailable

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def user(uid: str, followers: int, **kw: object) -> XUser:
    defaults: dict[str, object] = {
        "username": f"user{uid}",
        "name": f"User {uid}",
        "following": 300,
        "post_count": 4_000,
        "description": "Coach. Fitness every day.",
        "created_at": NOW - timedelta(days=2_000),
    }
    defaults.update(kw)
    return XUser(id=uid, followers=followers, **defaults)  # type: ignore[arg-type]


def post(pid: str, author: str, likes: int = 200, text: str = "Leg day #fitness") -> Post:
    return Post(pid, author, text, NOW - timedelta(hours=5), "en", likes, 20, 10, 2)


def world() -> tuple[list[Post], list[XUser]]:
    users = [
        user("1", 20_000),  # genuine micro
        user("2", 30_000),  # micro
        # bought-looking micro: young, default avatar, digits handle, no engagement
        user(
            "3",
            25_000,
            username="fit84629173",
            default_avatar=True,
            created_at=NOW - timedelta(days=80),
            following=24_000,
            description="",
        ),
        user("4", 5_000),  # nano
        user("5", 200_000),  # mid
    ]
    posts = [
        post("p1", "1", 400),
        post("p2", "1", 500),
        post("p3", "2", 150),
        post("p4", "3", 1),
        post("p5", "4", 90),
        post("p6", "5", 3_000),
        post("p7", "2", 100, "Morning workout done"),
    ]
    return posts, users


def make(
    posts: list[Post] | None = None,
    users: list[XUser] | None = None,
    *,
    budget: float | None = 100.0,
    page_size: int = 100,
    max_pages: int = 3,
    cap: int = 100,
) -> tuple[Discovery, ScriptedX, MemoryStorage, FixedClock]:
    if posts is None or users is None:
        posts, users = world()
    x = ScriptedX(posts, users, page_size_cap=cap)
    store = MemoryStorage()
    clock = FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), budget)
    settings = DiscoverySettings(max_pages=max_pages, page_size=page_size)
    return Discovery(x, store, store, meter, clock, settings), x, store, clock


async def test_finds_micro_tier_only_and_ranks_bought_audience_last() -> None:
    discovery, _, _, _ = make()
    result = await discovery.search(SearchRequest("fitness"))
    names = [c.user.username for c in result.results]
    assert set(names) == {"user1", "user2", "fit84629173"}
    assert names[-1] == "fit84629173"
    flagged = result.results[-1]
    assert flagged.suspicion > 0.5
    assert any(r.kind == "suspicion" for r in flagged.reasons)
    assert all(c.tier is Tier.MICRO for c in result.results)


async def test_engagement_is_mean_over_sampled_posts() -> None:
    discovery, _, _, _ = make()
    result = await discovery.search(SearchRequest("fitness"))
    top = next(c for c in result.results if c.user.id == "1")
    expected = ((400 + 32) / 20_000 + (500 + 32) / 20_000) / 2
    assert top.engagement_rate == pytest.approx(expected)
    assert top.sampled_posts == 2


async def test_cost_counts_requests_posts_users_and_dollars() -> None:
    discovery, x, _, _ = make()
    result = await discovery.search(SearchRequest("fitness"))
    assert x.searches == 1
    assert result.cost.requests == 1
    assert result.cost.posts_read == 7
    assert result.cost.users_read == 5
    assert result.cost.usd == pytest.approx(7 * 0.005 + 5 * 0.010)
    assert result.source == "x-api"


async def test_second_identical_search_same_day_reads_nothing_from_x() -> None:
    discovery, x, _, _ = make()
    first = await discovery.search(SearchRequest("fitness"))
    second = await discovery.search(SearchRequest("fitness"))
    assert x.searches == 1
    assert second.cost.requests == 0
    assert second.cost.usd == 0
    assert second.from_cache
    assert [c.user.id for c in second.results] == [c.user.id for c in first.results]


async def test_next_utc_day_reads_again_but_resources_are_charged_per_day() -> None:
    discovery, x, store, clock = make()
    await discovery.search(SearchRequest("fitness"))
    clock.advance(days=1)
    again = await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2
    assert again.cost.usd == pytest.approx(7 * 0.005 + 5 * 0.010)
    assert sum(row["requests"] for row in store.usage.values()) == 2


async def test_different_filters_reuse_the_same_cached_pages() -> None:
    discovery, x, _, _ = make()
    await discovery.search(SearchRequest("fitness"))
    nano = await discovery.search(SearchRequest("fitness", tier=Tier.NANO))
    assert x.searches == 1
    assert [c.user.id for c in nano.results] == ["4"]


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (SearchRequest("x"), (10_000, 50_000)),
        (SearchRequest("x", min_followers=20_000), (20_000, 50_000)),
        (SearchRequest("x", max_followers=30_000), (10_000, 30_001)),
        (SearchRequest("x", tier=None, min_followers=5), (5, None)),
        (SearchRequest("x", tier=Tier.MEGA), (1_000_000, None)),
    ],
)
def test_follower_range(request_: SearchRequest, expected: tuple[int, int | None]) -> None:
    assert follower_range(request_, DEFAULT_TIERS) == expected


async def test_min_max_filters_apply() -> None:
    discovery, _, _, _ = make()
    result = await discovery.search(
        SearchRequest("fitness", tier=None, min_followers=21_000, max_followers=30_000)
    )
    assert {c.user.id for c in result.results} == {"2", "3"}


async def test_limit_truncates_after_ranking() -> None:
    discovery, _, _, _ = make()
    result = await discovery.search(SearchRequest("fitness", limit=1))
    assert len(result.results) == 1


async def test_paging_reads_until_no_next_token() -> None:
    discovery, x, _, _ = make(page_size=10, cap=3, max_pages=5)
    result = await discovery.search(SearchRequest("fitness"))
    assert x.searches == 3  # 7 posts, 3 per page
    assert result.pages_read == 3
    assert result.cost.requests == 3


async def test_max_pages_bounds_the_reads() -> None:
    discovery, x, _, _ = make(page_size=10, cap=2, max_pages=2)
    await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2


async def test_budget_never_exceeded_and_search_stops_early() -> None:
    # A page of 10 may cost 10*0.005 + 10*0.010 = 0.15. Pages here hold 3 posts: page 1
    # costs 0.035, page 2 0.045; a third could push 0.08 + 0.15 past 0.20, so none is read.
    discovery, x, store, _ = make(page_size=10, cap=3, max_pages=5, budget=0.20)
    result = await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2
    assert result.stopped_early
    assert "budget" in result.stopped_early
    assert await store.spent_usd(NOW.date().replace(day=1), NOW.date()) <= 0.20


async def test_budget_spent_before_first_page_is_an_error() -> None:
    discovery, x, _, _ = make(budget=0.0)
    with pytest.raises(BudgetExhausted, match="budget"):
        await discovery.search(SearchRequest("fitness"))
    assert x.searches == 0


async def test_rate_limit_after_some_pages_keeps_what_was_read() -> None:
    discovery, x, _, _ = make(page_size=10, cap=3, max_pages=5)
    x.faults = [None, rate_limited()]
    result = await discovery.search(SearchRequest("fitness"))
    assert result.pages_read == 1
    assert result.stopped_early
    assert "rate limit" in result.stopped_early


async def test_rate_limit_on_first_page_raises() -> None:
    discovery, x, _, _ = make()
    x.faults = [rate_limited()]
    with pytest.raises(XRateLimited):
        await discovery.search(SearchRequest("fitness"))


async def test_outage_on_first_page_raises_and_caches_nothing() -> None:
    discovery, x, store, _ = make()
    x.faults = [unavailable()]
    with pytest.raises(Exception, match="503"):
        await discovery.search(SearchRequest("fitness"))
    assert not store.cache
    await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2


async def test_saves_accounts_and_first_discoveries_once() -> None:
    discovery, _, store, _ = make()
    await discovery.search(SearchRequest("fitness"))
    assert set(store.accounts) == {"1", "2", "3", "4", "5"}
    assert {uid for (niche, uid) in store.discoveries if niche == "fitness"} == {
        "1",
        "2",
        "3",
        "4",
        "5",
    }
    snapshots = len(store.snapshots)
    await discovery.search(SearchRequest("fitness"))  # cached: no duplicate snapshots
    assert len(store.snapshots) == snapshots


async def test_protected_accounts_are_skipped() -> None:
    posts, users = world()
    users[0] = user("1", 20_000, protected=True)
    discovery, _, _, _ = make(posts, users)
    result = await discovery.search(SearchRequest("fitness"))
    assert "1" not in {c.user.id for c in result.results}


async def test_authors_missing_from_expansion_are_not_candidates() -> None:
    posts, users = world()
    discovery, _, _, _ = make(posts, [u for u in users if u.id != "2"])
    result = await discovery.search(SearchRequest("fitness"))
    assert "2" not in {c.user.id for c in result.results}


async def test_pages_are_cached_only_after_their_discoveries_are_recorded() -> None:
    # Another instance that finds a cached page must also find the accounts it discovered
    # (a digest built from the cache reads both), so the cache is written last.
    class OrderCheckingStorage(MemoryStorage):
        async def put_cached(self, key: str, day: date, payload: dict[str, Any]) -> None:
            assert self.discoveries, "page cached before its discoveries were recorded"
            await super().put_cached(key, day, payload)

    posts, users = world()
    x = ScriptedX(posts, users)
    store = OrderCheckingStorage()
    clock = FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), None)
    await Discovery(x, store, store, meter, clock).search(SearchRequest("fitness"))
    assert store.cache
