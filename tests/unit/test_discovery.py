"""Discovery on in-memory fakes: evidence first, lookups, verification, cost, cache, budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.storage.codecs import decode_cached
from core.costs import CostMeter, Prices
from core.discovery import Discovery, DiscoverySettings, SeedUnusable, follower_range
from core.errors import (
    BadInput,
    BudgetExhausted,
    UnknownHandle,
    XPaymentRequired,
    XRateLimited,
)
from core.models import (
    EmptyCause,
    FoundCandidates,
    Mention,
    NothingFound,
    Post,
    SearchRequest,
    Tier,
    XUser,
)
from core.ports import Cached
from core.tiers import DEFAULT_TIERS
from core.wording import nothing_found
from tests.fakes.memory import FixedClock, MemoryStorage
from tests.fakes.x_source import FakeX, rate_limited, unavailable

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
_ids = iter(range(10_000, 99_999))


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


def post(
    author: str,
    likes: int = 200,
    text: str = "Leg day #fitness",
    *,
    impressions: int | None = None,
    mentions: tuple[Mention, ...] = (),
    pid: str | None = None,
) -> Post:
    return Post(
        pid or str(next(_ids)),
        author,
        text,
        NOW - timedelta(hours=5),
        "en",
        likes,
        20,
        10,
        2,
        impressions=likes * 40 if impressions is None else impressions,
        mentions=mentions,
    )


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
        post("1", 400, pid="p1"),
        post("1", 500, pid="p2"),
        post("2", 150, pid="p3"),
        post("3", 1, impressions=2_000, pid="p4"),
        post("4", 90, pid="p5"),
        post("5", 3_000, pid="p6"),
        post("2", 100, "Morning workout done", pid="p7"),
    ]
    return posts, users


def timelines_for(users: list[XUser], on_niche: int = 16, total: int = 20) -> dict[str, list[Post]]:
    """Each account's latest posts: `on_niche` of `total` on fitness."""
    out: dict[str, list[Post]] = {}
    for u in users:
        out[u.id] = [
            post(u.id, 300, "Squats and #fitness" if i < on_niche else "Lovely sunset today")
            for i in range(total)
        ]
    return out


def make(
    posts: list[Post] | None = None,
    users: list[XUser] | None = None,
    *,
    budget: float | None = 100.0,
    cap: int = 100,
    timelines: dict[str, list[Post]] | None = None,
    **settings: Any,
) -> tuple[Discovery, FakeX, MemoryStorage, FixedClock]:
    if posts is None or users is None:
        posts, users = world()
    x = FakeX(
        users,
        posts,
        page_size_cap=cap,
        filter_min_likes=True,
        timelines=timelines_for(users) if timelines is None else timelines,
    )
    store = MemoryStorage()
    clock = FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), budget)
    discovery = Discovery(x, store, store, meter, clock, settings=DiscoverySettings(**settings))
    return discovery, x, store, clock


# --- what a search finds ------------------------------------------------------------------


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


async def test_posts_are_read_without_authors_and_only_plausible_authors_looked_up() -> None:
    posts, users = world()
    # A spam account: no likes, a handful of impressions. Its posts say it has no audience.
    users.append(user("9", 40, username="spam00912345"))
    posts += [post("9", 0, "#fitness #fitness buy now", impressions=3) for _ in range(3)]
    discovery, x, _, _ = make(posts, users)
    await discovery.search(SearchRequest("fitness"))
    looked_up = {i for kind, ids in x.calls if kind == "ids" for i in ids}
    assert "9" not in looked_up  # never paid for
    assert {"1", "2", "3"} <= looked_up


async def test_verified_candidates_show_their_timeline_share_and_engagement() -> None:
    discovery, x, _, _ = make()
    result = await discovery.search(SearchRequest("fitness"))
    top = next(c for c in result.results if c.user.id == "1")
    assert top.verified_on == 10  # the first 10 latest posts were clear enough
    assert top.verified_on_niche == 10
    texts = [r.text for r in top.reasons]
    assert "10 of 10 latest posts on fitness" in texts
    assert any(t.startswith("engagement ") and "over 10 posts" in t for t in texts)
    # engagement over the timeline posts read: 300 + 32 interactions each
    assert top.engagement_rate == pytest.approx((300 + 32) / 20_000)
    assert x.count("timeline") == 3  # the three micro accounts


async def test_an_unclear_share_reads_further_and_pays_only_for_new_posts() -> None:
    posts, users = world()
    lines = timelines_for(users, on_niche=5, total=20)  # 5 of the first 10: unclear
    discovery, x, _, _ = make(posts, users, timelines=lines)
    result = await discovery.search(SearchRequest("fitness"))
    top = next(c for c in result.results if c.user.id == "1")
    assert (top.verified_on, top.verified_on_niche) == (20, 5)
    assert ("timeline", ("1", 10)) in x.calls
    assert ("timeline", ("1", 20)) in x.calls
    # 3 accounts x (10 + 20) posts returned, but the first 10 of each are billed once
    assert result.cost.timeline_posts == 90
    assert result.cost.usd_timelines == pytest.approx(3 * 20 * 0.005)


async def test_off_topic_account_with_one_lucky_post_is_left_out_and_counted() -> None:
    posts, users = world()
    users.append(user("8", 22_000, description="Chef. Recipes and food photography."))
    posts.append(post("8", 600, "Cooking after my workout", impressions=3_000, pid="p8"))
    lines = timelines_for(users)
    lines["8"] = [post("8", 500, "Pasta night, recipe below")] * 19 + [
        post("8", 600, "Cooking after my workout")
    ]
    discovery, _, _, _ = make(posts, users, timelines=lines)
    result = await discovery.search(SearchRequest("fitness"))
    assert "8" not in {c.user.id for c in result.results}
    assert result.left_out
    assert result.left_out[0].count == 1
    assert "relevance below 0.35" in result.left_out[0].reason


async def test_verify_top_bounds_timeline_reads() -> None:
    discovery, x, _, _ = make(verify_top=1)
    result = await discovery.search(SearchRequest("fitness"))
    assert x.count("timeline") == 1
    assert sum(1 for c in result.results if c.verified_on) == 1


async def test_accounts_x_cannot_show_are_dropped_after_verification() -> None:
    posts, users = world()
    lines = timelines_for(users)
    del lines["2"]  # X answers "not found" for its timeline
    discovery, _, _, _ = make(posts, users, timelines=lines)
    result = await discovery.search(SearchRequest("fitness"))
    assert "2" not in {c.user.id for c in result.results}


async def test_one_post_of_engagement_is_flagged_as_a_small_sample_and_weighs_less() -> None:
    users = [user("1", 20_000), user("2", 20_000)]
    posts = [post("1", 400), post("2", 400), post("2", 400), post("2", 400)]
    discovery, _, _, _ = make(posts, users, verify_top=0)
    result = await discovery.search(SearchRequest("fitness"))
    by_id = {c.user.id: c for c in result.results}
    assert by_id["1"].small_sample
    assert not by_id["2"].small_sample
    assert any("small sample" in r.text for r in by_id["1"].reasons)
    assert by_id["1"].score < by_id["2"].score


async def test_accounts_the_niche_mentions_are_candidates_with_authority() -> None:
    posts, users = world()
    creator = user("7", 18_000, username="quiet_coach")
    users.append(creator)
    tag = (Mention("7", "quiet_coach"),)
    posts += [post("4", 90, "Thanks @quiet_coach #fitness", mentions=tag)]
    posts += [post("5", 900, "Training with @quiet_coach #fitness", mentions=tag)]
    discovery, _, _, _ = make(posts, users)
    result = await discovery.search(SearchRequest("fitness"))
    found = next(c for c in result.results if c.user.id == "7")
    assert found.mentioned_by == 2
    assert "2 niche accounts mention @quiet_coach" in [r.text for r in found.reasons]


async def test_min_likes_is_asked_only_when_the_niche_outgrows_the_pages() -> None:
    posts, users = world()
    small, x, _, _ = make(posts, users, page_size=10, max_pages=1)
    await small.search(SearchRequest("fitness"))
    assert all("min_likes" not in args[0] for kind, args in x.calls if kind == "search")

    crowd = [post("4", 0, "#fitness") for _ in range(30)]
    big, x, _, _ = make(posts + crowd, users, page_size=10, max_pages=2)
    result = await big.search(SearchRequest("fitness"))
    queries = [args[0] for kind, args in x.calls if kind == "search"]
    # micro: 0.4 x 1 % of 10K likes at least, under 3 x 1 % of 50K
    assert queries
    assert all(q.endswith(" min_likes:40 -min_likes:1500") for q in queries)
    assert result.niche_size == 37


async def test_a_400_for_min_likes_falls_back_and_is_remembered_for_the_day() -> None:
    posts, users = world()
    crowd = [post("4", 0, "#fitness") for _ in range(30)]
    discovery, x, _, _ = make(posts + crowd, users, page_size=10, max_pages=2)
    x.rejected_operators = {"min_likes"}
    result = await discovery.search(SearchRequest("fitness"))
    assert result.results
    first = [args[0] for kind, args in x.calls if kind == "search"]
    assert "min_likes:40" in first[0]
    assert "min_likes" not in first[1]
    x.calls.clear()
    await discovery.search(SearchRequest("fitness", tier=Tier.NANO))
    assert all("min_likes" not in args[0] for kind, args in x.calls if kind == "search")


# --- cost and the per-day cache ------------------------------------------------------------


async def test_cost_is_split_by_posts_users_timelines_and_counts() -> None:
    discovery, x, _, _ = make()
    result = await discovery.search(SearchRequest("fitness"))
    c = result.cost
    assert c.posts_read == 7
    looked_up = sum(len(ids) for kind, ids in x.calls if kind == "ids")
    assert c.users_read == looked_up
    assert c.timeline_posts == 3 * 10
    assert c.count_requests == 1
    assert c.usd_posts == pytest.approx(7 * 0.005)
    assert c.usd_users == pytest.approx(looked_up * 0.010)
    assert c.usd_timelines == pytest.approx(30 * 0.005)
    assert c.usd_counts == pytest.approx(0.005)
    assert c.usd == pytest.approx(c.usd_posts + c.usd_users + c.usd_timelines + c.usd_counts)
    assert c.requests == len(x.calls)


async def test_second_identical_search_same_day_reads_nothing_from_x() -> None:
    discovery, x, _, _ = make()
    first = await discovery.search(SearchRequest("fitness"))
    calls = len(x.calls)
    second = await discovery.search(SearchRequest("fitness"))
    assert len(x.calls) == calls
    assert second.cost.requests == 0
    assert second.cost.usd == 0
    assert second.from_cache
    assert [c.user.id for c in second.results] == [c.user.id for c in first.results]
    assert [c.score for c in second.results] == [c.score for c in first.results]


async def test_accounts_stored_recently_are_not_looked_up_again() -> None:
    posts, users = world()
    discovery, x, store, _clock = make(posts, users)
    await store.save_users(users[:2], NOW - timedelta(hours=2))
    await store.save_users(users[2:3], NOW - timedelta(hours=30))
    await discovery.search(SearchRequest("fitness"))
    looked_up = {i for kind, ids in x.calls if kind == "ids" for i in ids}
    assert "1" not in looked_up
    assert "2" not in looked_up
    assert "3" in looked_up  # older than X_USER_MAX_AGE_HOURS (24)


async def test_next_utc_day_reads_again() -> None:
    discovery, x, _store, clock = make()
    await discovery.search(SearchRequest("fitness"))
    clock.advance(days=1)
    again = await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2
    assert again.cost.usd_posts == pytest.approx(7 * 0.005)
    assert again.cost.users_read == 0  # stored within the last 24 hours


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


async def test_max_pages_bounds_the_reads() -> None:
    discovery, x, _, _ = make(page_size=10, cap=2, max_pages=2)
    await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2


# --- budget and faults -------------------------------------------------------------------


async def test_budget_never_exceeded_and_search_says_what_it_skipped() -> None:
    # Worst cases: a page of 10 posts $0.05, a lookup of 3 users $0.03, a timeline $0.10.
    discovery, x, store, _ = make(page_size=10, cap=10, max_pages=1, budget=0.20)
    result = await discovery.search(SearchRequest("fitness"))
    spent = await store.spent_usd(NOW.date().replace(day=1), NOW.date())
    assert spent <= 0.20
    assert result.stopped_early
    assert "budget" in result.stopped_early
    assert x.count("timeline") < 3


async def test_budget_spent_before_first_page_is_an_error() -> None:
    discovery, x, _, _ = make(budget=0.0)
    with pytest.raises(BudgetExhausted, match="budget"):
        await discovery.search(SearchRequest("fitness"))
    assert x.searches == 0


async def test_rate_limit_after_some_pages_keeps_what_was_read() -> None:
    discovery, x, _, _ = make(page_size=10, cap=3, max_pages=5, min_lookups=100)
    x.script("search", None, rate_limited())
    result = await discovery.search(SearchRequest("fitness"))
    assert result.pages_read == 1
    assert result.stopped_early
    assert "rate limit" in result.stopped_early


async def test_rate_limit_on_first_page_raises() -> None:
    discovery, x, _, _ = make()
    x.script("search", rate_limited())
    with pytest.raises(XRateLimited):
        await discovery.search(SearchRequest("fitness"))


async def test_outage_on_first_page_raises_and_caches_no_page() -> None:
    discovery, x, store, _ = make()
    x.script("search", unavailable())
    with pytest.raises(Exception, match="503"):
        await discovery.search(SearchRequest("fitness"))
    assert not [k for k, _ in store.cache if k.startswith("posts|")]
    await discovery.search(SearchRequest("fitness"))
    assert x.searches == 2


async def test_402_on_the_first_page_raises_without_another_request() -> None:
    discovery, x, _, _ = make()
    x.script("search", XPaymentRequired("credits used up (402)"))
    with pytest.raises(XPaymentRequired):
        await discovery.search(SearchRequest("fitness"))
    assert x.count("ids") == 0
    assert x.count("timeline") == 0


async def test_402_mid_search_ends_it_at_once_with_what_was_found() -> None:
    discovery, x, _, _ = make(page_size=10, cap=3, max_pages=5, min_lookups=100)
    x.script("search", None, XPaymentRequired("X says the credits are used up (402)"))
    result = await discovery.search(SearchRequest("fitness"))
    assert result.stopped_early
    assert "402" in result.stopped_early
    assert x.searches == 2
    assert x.count("ids") == 0
    assert x.count("timeline") == 0


async def test_402_on_lookups_stops_before_timelines() -> None:
    discovery, x, _, _ = make()
    x.script("ids", XPaymentRequired("credits used up (402)"))
    result = await discovery.search(SearchRequest("fitness"))
    assert result.stopped_early
    assert "402" in result.stopped_early
    assert x.count("timeline") == 0
    assert result.results == ()


async def test_saves_accounts_and_first_discoveries() -> None:
    discovery, _, store, _ = make()
    await discovery.search(SearchRequest("fitness"))
    # @user5's posts put its audience far above micro: never looked up, never paid for.
    assert set(store.accounts) == {"1", "2", "3", "4"}
    found = {uid for (niche, uid) in store.discoveries if niche == "fitness"}
    assert found == {"1", "2", "3", "4"}


async def test_protected_accounts_are_skipped() -> None:
    posts, users = world()
    users[0] = user("1", 20_000, protected=True)
    discovery, _, _, _ = make(posts, users)
    result = await discovery.search(SearchRequest("fitness"))
    assert "1" not in {c.user.id for c in result.results}


async def test_results_are_stored_only_after_their_discoveries_are_recorded() -> None:
    # A digest on another instance that reads a day's results must also find the
    # accounts they discovered, so results are written after discoveries.
    class OrderCheckingStorage(MemoryStorage):
        async def put_cached(self, key: str, day: date, *, value: Cached) -> None:
            if key.startswith("found|"):
                assert self.discoveries, "results stored before their discoveries"
            await super().put_cached(key, day, value=value)

    posts, users = world()
    x = FakeX(users, posts, timelines=timelines_for(users), filter_min_likes=True)
    store = OrderCheckingStorage()
    clock = FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), None)
    await Discovery(x, store, store, meter, clock).search(SearchRequest("fitness"))
    assert any(k.startswith("found|") for k, _ in store.cache)


async def test_ranked_since_merges_the_days() -> None:
    posts, users = world()
    discovery, x, _, clock = make(posts, users)
    await discovery.search(SearchRequest("fitness"))
    clock.advance(days=1)
    x.posts = [p for p in posts if p.author_id != "1"]  # @user1 posted nothing new
    merged, _ = await discovery.ranked_since(SearchRequest("fitness"), NOW.date())
    assert {"1", "2"} <= {c.user.id for c in merged}


# --- lookalikes --------------------------------------------------------------------------


def seed_world() -> tuple[list[Post], list[XUser], dict[str, list[Post]]]:
    posts, users = world()
    seed = user("42", 25_000, username="seedcoach")
    pal = user("43", 15_000, username="pal_coach")
    users += [seed, pal]
    lines = timelines_for(users)
    lines["42"] = [
        post(
            "42",
            300,
            "Kettlebell flow #kettlebell #fitness with @pal_coach",
            mentions=(Mention("43", "pal_coach"),),
        ),
        post("42", 300, "Kettlebell swings today #kettlebell #fitness"),
        post("42", 300, "Coffee first"),
    ]
    return posts, users, lines


async def test_lookalike_learns_terms_excludes_the_seed_and_includes_who_it_engages() -> None:
    posts, users, lines = seed_world()
    discovery, x, _, _ = make(posts, users, timelines=lines)
    result = await discovery.search(SearchRequest("", like="seedcoach"))
    assert result.seed is not None
    assert result.seed.username == "seedcoach"
    assert "#kettlebell" in result.seed_terms
    assert "#fitness" in result.seed_terms
    ids = {c.user.id for c in result.results}
    assert "42" not in ids
    assert "43" in ids  # the seed engages with it
    queries = [args[0] for kind, args in x.calls if kind == "search"]
    assert queries
    assert "#kettlebell" in queries[0]


async def test_lookalike_of_unknown_handle_says_so() -> None:
    discovery, _, _, _ = make()
    with pytest.raises(UnknownHandle, match="@nobody_here"):
        await discovery.search(SearchRequest("", like="nobody_here"))


async def test_lookalike_of_protected_or_silent_seed_says_why() -> None:
    posts, users, lines = seed_world()
    users = [replace(u, protected=True) if u.id == "42" else u for u in users]
    discovery, _, _, _ = make(posts, users, timelines=lines)
    with pytest.raises(SeedUnusable, match="protected"):
        await discovery.search(SearchRequest("", like="seedcoach"))

    posts, users, lines = seed_world()
    lines["42"] = []
    discovery, _, _, _ = make(posts, users, timelines=lines)
    with pytest.raises(SeedUnusable, match="no recent posts"):
        await discovery.search(SearchRequest("", like="seedcoach"))


async def test_a_short_list_looks_up_the_next_most_promising_authors() -> None:
    # One lookup a round: the first author found is not enough for `limit`, so the next
    # rounds look up more; they stop once the list is full.
    discovery, x, _, _ = make(min_lookups=1, lookups_per_result=0.1)
    result = await discovery.search(SearchRequest("fitness", limit=2))
    rounds = [ids for kind, ids in x.calls if kind == "ids"]
    assert len(rounds) >= 2
    assert all(len(ids) == 1 for ids in rounds)
    assert len(result.results) == 2
    full, x, _, _ = make()
    await full.search(SearchRequest("fitness", limit=2))
    assert x.count("ids") == 1  # 30 at once found enough: no second round


async def test_a_smaller_search_keeps_what_a_larger_one_stored_for_the_day() -> None:
    discovery, _, store, _ = make(min_lookups=1, lookups_per_result=1.0)
    await discovery.search(SearchRequest("fitness", limit=3))
    await discovery.search(SearchRequest("fitness", limit=1))  # one lookup round only
    (stored,) = [v for (k, _), v in store.cache.items() if k.startswith("found|")]
    kept = decode_cached(FoundCandidates, stored).candidates
    assert {"1", "2", "3"} <= {c.user.id for c in kept}
    assert [c.score for c in kept] == sorted((c.score for c in kept), reverse=True)


# --- refusals and empty answers that name the real cause (issue 11) -----------------------


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            SearchRequest("fitness", tier=Tier.NANO, min_followers=20_000),
            "tier:nano is 1K–10K followers; min:20k is above it. Drop tier: or use tier:micro.",
        ),
        (
            SearchRequest("fitness", tier=Tier.NANO, min_followers=10_000),
            "tier:nano is 1K–10K followers; min:10k is above it. Drop tier: or use tier:micro.",
        ),
        (
            SearchRequest("fitness", max_followers=5_000),
            "tier:micro is 10K–50K followers; max:5k is below it. Drop tier: or use tier:nano.",
        ),
        (
            SearchRequest("", like="user1", tier=Tier.MID, max_followers=900),
            "tier:mid is 50K–500K followers; max:900 is below it. "
            "Drop tier: to search below every tier.",
        ),
    ],
)
async def test_a_range_that_contradicts_the_tier_is_refused_before_any_x_call(
    request_: SearchRequest, message: str
) -> None:
    discovery, x, _, _ = make()
    with pytest.raises(BadInput) as refused:
        await discovery.search(request_)
    assert str(refused.value) == message
    assert x.calls == []


def test_a_range_inside_the_tier_or_without_one_is_no_contradiction() -> None:
    nano = SearchRequest("x", tier=Tier.NANO, min_followers=9_999, max_followers=1_000)
    assert follower_range(nano, DEFAULT_TIERS) == (9_999, 1_001)  # min > max: commands.py
    assert follower_range(SearchRequest("x", tier=None, min_followers=20_000), DEFAULT_TIERS)


async def test_a_niche_changed_by_cleaning_says_what_was_typed() -> None:
    discovery, _, _, _ = make()
    same = await discovery.search(SearchRequest("  Fitness "))
    assert same.typed_niche is None
    cleaned = await discovery.search(SearchRequest("#fitness!"))
    assert (cleaned.niche, cleaned.typed_niche) == ("fitness", "#fitness!")


async def test_a_niche_the_sample_lacks_is_named_with_what_it_covers() -> None:
    discovery, x, _, _ = make([], [])  # no posts on it
    x.covered_niches = ("fitness", "yoga")
    result = await discovery.search(SearchRequest("vegan baking"))
    assert result.results == ()
    assert result.nothing_found == NothingFound(
        EmptyCause.NOT_COVERED, 10_000, 50_000, covered=("fitness", "yoga")
    )
    x.covered_niches = None  # live X: nobody posted on it
    live = await discovery.search(SearchRequest("vegan baking", tier=Tier.MID))
    assert live.nothing_found == NothingFound(EmptyCause.NO_POSTS, 50_000, 500_000)


async def test_nobody_in_range_counts_who_posted_outside_it_and_their_tier() -> None:
    # Impressions at 15 % of followers: the free estimate matches the lookup.
    users = [user(str(i), f) for i, f in enumerate([20_000, 25_000, 30_000, 120_000], 1)]
    posts = [post(u.id, 300, impressions=u.followers * 15 // 100) for u in users]
    discovery, _, _, _ = make(posts, users)
    result = await discovery.search(SearchRequest("fitness", tier=Tier.NANO))
    assert result.results == ()
    assert result.nothing_found == NothingFound(
        EmptyCause.OUT_OF_RANGE, 1_000, 10_000, outside=4, nearest=Tier.MICRO
    )
    assert nothing_found(result).endswith(
        "; 4 accounts that did were outside that range (most of them micro): try tier:micro."
    )


async def test_nobody_on_topic_says_how_many_were_in_range_but_off_it() -> None:
    chef = user("8", 22_000, description="Chef. Recipes and food photography.")
    posts = [post("8", 600, "Cooking after my workout", impressions=3_000, pid="p8")]
    lines = {"8": [post("8", 500, "Pasta night, recipe below")] * 20}
    discovery, _, _, _ = make(posts, [chef], timelines=lines)
    result = await discovery.search(SearchRequest("fitness"))
    assert result.results == ()
    assert result.nothing_found == NothingFound(
        EmptyCause.OFF_TOPIC, 10_000, 50_000, in_range=1, min_relevance=0.35
    )
