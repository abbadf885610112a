"""TweepyXSource for evidence-first discovery, through real tweepy and the fake X server.

Posts without paid author expansion, sort order, recent counts, timelines, what X
bills or refuses (402, rejected operators), and the entities that come free per post.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.x.client import TweepyXSource
from core.errors import XApiError, XBadQuery, XOperatorRejected, XPaymentRequired
from core.models import Mention
from tests.fakes.x_fixtures import X_TEST_TOKEN, RecordingSleep
from tests.fakes.x_server import FakeXServer

SEARCH = "/2/tweets/search/recent"
COUNTS = "/2/tweets/counts/recent"
FITNESS = "(fitness OR #fitness OR workout OR gym) lang:en -is:retweet -is:reply"


def _timeline_path(user_id: str) -> str:
    return f"/2/users/{user_id}/tweets"


def _prolific(server: FakeXServer, at_least: int = 7) -> dict[str, Any]:
    """A public account with at least `at_least` original posts in the dataset."""
    counts: dict[str, int] = {}
    for post in server.posts:
        if not post.get("referenced_tweets"):
            counts[str(post["author_id"])] = counts.get(str(post["author_id"]), 0) + 1
    for user_id, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        user = server.users_by_id.get(user_id)
        if user is not None and not user.get("protected") and count >= at_least:
            return user
    raise AssertionError(f"no public account with {at_least} original posts in the dataset")


# --- search without author expansion -------------------------------------------------


async def test_search_without_expansion_asks_x_for_posts_only(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    page = await x_source.search_recent(FITNESS, max_results=20, expand_authors=False)
    assert page.posts
    assert page.users == ()
    assert all(p.author_id for p in page.posts)
    sent = fake_x.requests[0]
    assert sent.path == SEARCH
    assert "expansions" not in sent.query
    assert "user.fields" not in sent.query
    fields = sent.query["tweet.fields"].split(",")
    for name in ("public_metrics", "author_id", "entities", "referenced_tweets"):
        assert name in fields
    assert "sort_order" not in sent.query


async def test_search_without_expansion_is_billed_for_posts_only(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    page = await x_source.search_recent(FITNESS, max_results=20, expand_authors=False)
    bill = fake_x.billing()
    assert bill.posts == len(page.posts) > 0
    assert bill.users == 0
    await x_source.search_recent(FITNESS, max_results=20)
    assert fake_x.billing().users > 0  # the same search with authors costs user reads


async def test_search_with_expansion_still_returns_authors(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    page = await x_source.search_recent(FITNESS, max_results=20)
    assert page.users
    assert fake_x.requests[0].query["expansions"] == "author_id"
    assert "user.fields" in fake_x.requests[0].query


@pytest.mark.parametrize("order", ["recency", "relevancy"])
async def test_sort_order_reaches_x(
    fake_x: FakeXServer, x_source: TweepyXSource, order: str
) -> None:
    page = await x_source.search_recent(FITNESS, sort_order=order, expand_authors=False)
    assert page.posts
    assert fake_x.requests[0].query["sort_order"] == order


async def test_unknown_sort_order_is_refused_before_any_request(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    with pytest.raises(ValueError, match="sort_order"):
        await x_source.search_recent(FITNESS, sort_order="popular")
    assert fake_x.requests == []


# --- entities and metrics from the wire ---------------------------------------------


async def test_mentions_hashtags_impressions_and_sponsorship_from_the_wire(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    first = await x_source.search_recent(FITNESS, max_results=10, expand_authors=False)
    target = next(p for p in fake_x.posts if p["id"] == first.posts[0].id)
    target["public_metrics"]["impression_count"] = 48_213
    target["entities"] = {
        "mentions": [
            {"start": 0, "end": 9, "username": "coach_ana", "id": "7001"},
            {"start": 10, "end": 17, "username": "GymBro", "id": "7002"},
        ],
        "hashtags": [
            {"start": 18, "end": 26, "tag": "Fitness"},
            {"start": 27, "end": 34, "tag": "legday"},
        ],
    }
    target["referenced_tweets"] = [{"type": "quoted", "id": "1"}]
    target["paid_partnership"] = True
    fake_x.clear_cache()

    page = await x_source.search_recent(FITNESS, max_results=10, expand_authors=False)
    post = next(p for p in page.posts if p.id == target["id"])
    assert post.impressions == 48_213
    assert post.mentions == (Mention("7001", "coach_ana"), Mention("7002", "GymBro"))
    assert post.hashtags == ("fitness", "legday")
    assert post.is_quote is True
    assert post.is_reply is False
    assert post.paid_partnership is True
    others = [p for p in page.posts if p.id != target["id"]]
    assert all(not p.paid_partnership for p in others)


async def test_entities_of_a_realistic_world_survive_the_wire(
    realistic_x: FakeXServer, x_sleep: RecordingSleep
) -> None:
    source = TweepyXSource(X_TEST_TOKEN, base_url=realistic_x.base_url, sleep=x_sleep)
    try:
        page = await source.search_recent(FITNESS, max_results=100, expand_authors=False)
    finally:
        await source.aclose()
    raw = {str(p["id"]): p for p in realistic_x.posts}
    assert page.posts
    for post in page.posts:
        wire = raw[post.id]
        entities = wire.get("entities") or {}
        wanted = dict.fromkeys(str(m["id"]) for m in entities.get("mentions", []))
        assert [m.id for m in post.mentions] == list(wanted)
        assert post.hashtags == tuple(
            dict.fromkeys(h["tag"].lower() for h in entities.get("hashtags", []))
        )
        assert post.impressions == wire["public_metrics"].get("impression_count", 0)
        assert post.paid_partnership is bool(wire.get("paid_partnership", False))
    assert any(p.mentions for p in page.posts)
    assert any(p.hashtags for p in page.posts)
    assert any(p.impressions > 0 for p in page.posts)


# --- recent counts -------------------------------------------------------------------


async def test_counts_per_day(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    counts = await x_source.count_recent(FITNESS)
    assert counts.total > 0
    assert counts.total == sum(counts.daily)
    assert 7 <= len(counts.daily) <= 8  # seven days, the current one partial
    sent = fake_x.requests[0]
    assert sent.path == COUNTS
    assert sent.query["query"] == FITNESS
    assert sent.query["granularity"] == "day"
    assert counts.rate_limit is not None
    assert x_source.rate_limits["counts"] == counts.rate_limit
    assert "search" not in x_source.rate_limits


async def test_counts_agree_with_what_search_finds(x_source: TweepyXSource) -> None:
    found = 0
    token: str | None = None
    while True:
        page = await x_source.search_recent(
            FITNESS, max_results=100, next_token=token, expand_authors=False
        )
        found += len(page.posts)
        token = page.next_token
        if token is None:
            break
    counts = await x_source.count_recent(FITNESS)
    assert counts.total == found


async def test_counts_of_nothing(x_source: TweepyXSource) -> None:
    counts = await x_source.count_recent("zzznothingzzz lang:en")
    assert counts.total == 0


async def test_malformed_count_query_is_a_bad_query(x_source: TweepyXSource) -> None:
    with pytest.raises(XBadQuery) as err:
        await x_source.count_recent("(fitness OR yoga lang:en")
    assert type(err.value) is XBadQuery
    assert "400" in str(err.value)


# --- timelines -----------------------------------------------------------------------


async def test_timeline_pages_newest_first(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    user = _prolific(fake_x)
    first = await x_source.user_timeline(user["id"], max_results=5)
    assert first.unavailable is None
    assert len(first.posts) == 5
    assert all(p.author_id == user["id"] for p in first.posts)
    assert all(not (p.is_reply or p.is_repost) for p in first.posts)
    stamps = [p.created_at for p in first.posts]
    assert all(s is not None for s in stamps)
    assert stamps == sorted(stamps, reverse=True)  # type: ignore[type-var]
    assert first.next_token is not None
    second = await x_source.user_timeline(
        user["id"], max_results=5, pagination_token=first.next_token
    )
    assert second.posts
    assert not {p.id for p in first.posts} & {p.id for p in second.posts}

    one, two = fake_x.requests
    assert one.path == _timeline_path(user["id"])
    assert one.query["max_results"] == "5"
    assert one.query["exclude"] == "retweets,replies"
    assert "public_metrics" in one.query["tweet.fields"]
    assert "entities" in one.query["tweet.fields"]
    assert "pagination_token" not in one.query
    assert "expansions" not in one.query
    assert two.query["pagination_token"] == first.next_token
    assert first.rate_limit is not None
    assert second.rate_limit is not None
    limit = first.rate_limit.limit
    assert (first.rate_limit.remaining, second.rate_limit.remaining) == (limit - 1, limit - 2)
    assert x_source.rate_limits["tweets"] == second.rate_limit


async def test_timeline_page_size_is_clamped_to_5_100(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    user = _prolific(fake_x)
    small = await x_source.user_timeline(user["id"], max_results=1)
    large = await x_source.user_timeline(user["id"], max_results=500)
    assert small.unavailable is None
    assert len(small.posts) == 5
    assert 5 < len(large.posts) <= 100
    assert [r.query["max_results"] for r in fake_x.requests] == ["5", "100"]


async def test_timeline_exclude_reaches_x(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    user = _prolific(fake_x)
    everything = await x_source.user_timeline(user["id"], max_results=100, exclude=())
    originals = await x_source.user_timeline(user["id"], max_results=100)
    only_retweets_out = await x_source.user_timeline(
        user["id"], max_results=100, exclude=["retweets"]
    )
    assert everything.unavailable is None
    assert originals.posts
    assert "exclude" not in fake_x.requests[0].query
    assert fake_x.requests[1].query["exclude"] == "retweets,replies"
    assert fake_x.requests[2].query["exclude"] == "retweets"
    assert all(not (p.is_reply or p.is_repost) for p in originals.posts)
    assert all(not p.is_repost for p in only_retweets_out.posts)
    assert len(everything.posts) >= len(only_retweets_out.posts) >= len(originals.posts)


async def test_protected_timeline_is_unavailable_not_an_error(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    user = _prolific(fake_x)
    user["protected"] = True
    page = await x_source.user_timeline(user["id"])
    assert page.posts == ()
    assert page.unavailable == "protected"
    assert len(fake_x.requests) == 1


async def test_suspended_timeline_is_unavailable(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    user = _prolific(fake_x)
    fake_x.suspended.add(user["username"])
    page = await x_source.user_timeline(user["id"])
    assert page.posts == ()
    assert page.unavailable == "suspended"


async def test_unknown_account_timeline_is_not_found(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    page = await x_source.user_timeline("123")
    assert page.posts == ()
    assert page.unavailable == "not_found"
    assert fake_x.requests[0].path == _timeline_path("123")


async def test_malformed_id_is_not_found_without_a_request(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    page = await x_source.user_timeline("not-an-id")
    assert page.unavailable == "not_found"
    assert fake_x.requests == []


async def test_404_on_timeline_is_not_found(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    user = _prolific(fake_x)
    fake_x.fail_next(_timeline_path(user["id"]), 404, body={"title": "Not Found Error"})
    page = await x_source.user_timeline(user["id"])
    assert page.posts == ()
    assert page.unavailable == "not_found"
    assert len(fake_x.requests) == 1


# --- 402: credits exhausted or spending cap reached ---------------------------------


@pytest.mark.parametrize("kind", ["search", "counts", "timeline", "lookup"])
async def test_402_stops_at_once_with_a_plain_message(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep, kind: str
) -> None:
    user_id = _prolific(fake_x)["id"]
    calls: dict[str, tuple[str, Callable[[], Awaitable[object]]]] = {
        "search": (SEARCH, lambda: x_source.search_recent(FITNESS)),
        "counts": (COUNTS, lambda: x_source.count_recent(FITNESS)),
        "timeline": (_timeline_path(user_id), lambda: x_source.user_timeline(user_id)),
        "lookup": ("/2/users", lambda: x_source.users_by_ids([user_id])),
    }
    path, call = calls[kind]
    # more failures queued than retries allowed: a retry would be visible
    fake_x.fail_next(path, 402, times=5)
    with pytest.raises(XPaymentRequired) as err:
        await call()
    assert len(fake_x.requests) == 1
    assert x_sleep.calls == []
    message = str(err.value)
    assert "402" in message
    assert "credits" in message
    assert "spending cap" in message
    assert "developer console" in message
    assert X_TEST_TOKEN not in message
    assert isinstance(err.value, XApiError)


async def test_402_message_never_echoes_xs_body(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    body = {
        "title": "CreditsDepleted",
        "detail": f"Account 99887766 (token {X_TEST_TOKEN}) has no credits left.",
        "type": "https://api.twitter.com/2/problems/credits",
    }
    fake_x.fail_next(SEARCH, 402, body=body)
    with pytest.raises(XPaymentRequired) as err:
        await x_source.search_recent(FITNESS)
    message = str(err.value)
    assert X_TEST_TOKEN not in message
    assert "99887766" not in message
    assert "CreditsDepleted" not in message


async def test_402_with_xs_default_body(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    fake_x.fail_next(SEARCH, 402)
    with pytest.raises(XPaymentRequired):
        await x_source.search_recent(FITNESS, expand_authors=False)
    assert len(fake_x.requests) == 1


# --- operators X refuses -------------------------------------------------------------


@pytest.mark.parametrize("operator", ["min_likes", "min_replies", "min_reposts"])
async def test_rejected_operator_names_itself(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep, operator: str
) -> None:
    fake_x.reject_operators({operator})
    query = f"(fitness OR workout) {operator}:50 lang:en"
    with pytest.raises(XOperatorRejected) as err:
        await x_source.search_recent(query, expand_authors=False)
    assert err.value.operator == operator
    assert isinstance(err.value, XBadQuery)
    assert "400" in str(err.value)
    assert len(fake_x.requests) == 1  # a 400 is not retried
    assert x_sleep.calls == []
    # discovery's fallback: the same search without the operator works
    page = await x_source.search_recent("(fitness OR workout) lang:en", expand_authors=False)
    assert page.posts


async def test_rejected_operator_on_counts(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    fake_x.reject_operators({"min_likes"})
    with pytest.raises(XOperatorRejected) as err:
        await x_source.count_recent("fitness min_likes:10 lang:en")
    assert err.value.operator == "min_likes"


async def test_operator_x_accepts_is_not_rejected(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    fake_x.reject_operators({"min_likes"})
    await x_source.search_recent("(fitness OR workout) min_replies:1 lang:en", expand_authors=False)
    assert fake_x.requests[0].query["query"].endswith("min_replies:1 lang:en")


@pytest.mark.parametrize(
    ("message", "operator"),
    [
        (
            "There were errors processing your request: Reference to invalid operator "
            "'min_faves'. Operator is not available in current product or you are not "
            "authorized to use this operator. (at position 9)",
            "min_faves",
        ),
        ("Reference to invalid operator 'MIN_RETWEETS'.", "min_retweets"),
        ("Unmatched parenthesis (at position 1)", None),
        ("min_likesX is not an operator", None),
    ],
)
async def test_which_400s_name_an_operator(
    fake_x: FakeXServer, x_source: TweepyXSource, message: str, operator: str | None
) -> None:
    body = {
        "errors": [{"parameters": {"query": ["q"]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    fake_x.fail_next(SEARCH, 400, body=body)
    with pytest.raises(XBadQuery) as err:
        await x_source.search_recent(FITNESS)
    if operator is None:
        assert type(err.value) is XBadQuery
    else:
        assert isinstance(err.value, XOperatorRejected)
        assert err.value.operator == operator


async def test_a_400_on_lookups_is_not_a_query_problem(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    fake_x.fail_next(
        "/2/users",
        400,
        body={"errors": [{"message": "min_likes is not a parameter"}], "title": "Invalid Request"},
    )
    with pytest.raises(XApiError) as err:
        await x_source.users_by_ids(["1"])
    assert not isinstance(err.value, XBadQuery)


# --- rate-limit bookkeeping ----------------------------------------------------------


async def test_each_new_endpoint_has_its_own_rate_limit(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    user = _prolific(fake_x)
    await x_source.search_recent(FITNESS, expand_authors=False)
    await x_source.count_recent(FITNESS)
    await x_source.user_timeline(user["id"])
    limits = x_source.rate_limits
    assert {"search", "counts", "tweets"} <= set(limits)
    assert all(limit.remaining == limit.limit - 1 for limit in limits.values())
