"""TweepyXSource end to end: real tweepy -> real HTTP -> the fake X API v2 server."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest

from adapters.x.client import TweepyXSource
from core.errors import (
    XApiError,
    XAuthError,
    XBadQuery,
    XOperatorRejected,
    XPaymentRequired,
    XRateLimited,
    XUnavailable,
)
from tests.fakes.x_fixtures import X_TEST_TOKEN, RecordingSleep, x_dataset
from tests.fakes.x_server import FakeXServer

SEARCH = "/2/tweets/search/recent"
FITNESS = "(fitness OR #fitness OR workout OR gym) lang:en -is:retweet -is:reply"


def _source(server: FakeXServer, sleep: RecordingSleep, **kw: object) -> TweepyXSource:
    options: dict[str, object] = {"timeout": 5.0, "backoff_base": 0.01, "sleep": sleep}
    options.update(kw)
    return TweepyXSource(X_TEST_TOKEN, base_url=server.base_url, **options)  # type: ignore[arg-type]


@pytest.fixture
async def prefixed_x() -> AsyncIterator[FakeXServer]:
    async with FakeXServer(x_dataset(), bearer=X_TEST_TOKEN, prefix="/mock/x-api") as server:
        yield server


async def test_search_pages_with_expanded_authors(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    assert x_source.name == "x-api"
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await x_source.search_recent(FITNESS, max_results=10, next_token=token)
        pages += 1
        authors = {u.id for u in page.users}
        assert page.posts
        assert all(p.author_id in authors for p in page.posts)
        assert all(p.created_at is not None and p.lang == "en" for p in page.posts)
        seen.extend(p.id for p in page.posts)
        token = page.next_token
        if token is None:
            break
    assert pages >= 2
    assert len(seen) == len(set(seen))
    first = fake_x.requests[0]
    assert first.path == SEARCH
    assert first.query["query"] == FITNESS
    assert first.query["expansions"] == "author_id"
    assert first.query["max_results"] == "10"
    assert "public_metrics" in first.query["user.fields"]
    assert "public_metrics" in first.query["tweet.fields"]
    assert "next_token" not in first.query
    assert fake_x.requests[1].query["next_token"]


async def test_max_results_is_clamped_to_what_x_accepts(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    await x_source.search_recent(FITNESS, max_results=3)
    await x_source.search_recent(FITNESS, max_results=500)
    assert [r.query["max_results"] for r in fake_x.requests] == ["10", "100"]


async def test_search_without_results(x_source: TweepyXSource) -> None:
    page = await x_source.search_recent("zzznothingzzz lang:en")
    assert page.posts == ()
    assert page.users == ()
    assert page.next_token is None


@pytest.mark.parametrize("names", ["post_count", "tweet_count"])
async def test_both_field_name_revisions(
    fake_x: FakeXServer, x_source: TweepyXSource, names: str
) -> None:
    fake_x.use_field_names(names)
    page = await x_source.search_recent(FITNESS, max_results=100)
    raw_users = {u["id"]: u for u in fake_x.data["users"]}
    for user in page.users:
        metrics = raw_users[user.id]["public_metrics"]
        assert user.post_count == metrics.get("post_count", metrics.get("tweet_count"))
        assert user.post_count > 0
    raw_posts = {p["id"]: p for p in fake_x.posts}
    for post in page.posts:
        metrics = raw_posts[post.id]["public_metrics"]
        assert post.reposts == metrics.get("repost_count", metrics.get("retweet_count"))
    assert sum(p.reposts for p in page.posts) > 0


async def test_base_url_with_path_prefix(prefixed_x: FakeXServer, x_sleep: RecordingSleep) -> None:
    assert prefixed_x.base_url.endswith("/mock/x-api")
    source = _source(prefixed_x, x_sleep)
    try:
        page = await source.search_recent(FITNESS)
        users = await source.users_by_ids([page.users[0].id])
    finally:
        await source.aclose()
    assert users.users[0].id == page.users[0].id
    assert [r.full_path for r in prefixed_x.requests] == [
        "/mock/x-api/2/tweets/search/recent",
        "/mock/x-api/2/users",
    ]
    port = prefixed_x.base_url.split(":")[2].split("/")[0]
    assert prefixed_x.requests[0].headers["host"] == f"127.0.0.1:{port}"


async def test_lookup_by_usernames_reports_missing_and_suspended(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    users = fake_x.data["users"]
    fake_x.suspended.add(users[1]["username"])
    page = await x_source.users_by_usernames(
        [f"@{users[0]['username']}", users[1]["username"], "ghost_account", "not a handle!"]
    )
    assert [u.username for u in page.users] == [users[0]["username"]]
    assert page.missing == (users[1]["username"], "ghost_account", "not a handle!")
    assert len(fake_x.requests) == 1
    # the malformed handle was not sent: X would reject the whole request for it
    assert fake_x.requests[0].query["usernames"] == (
        f"{users[0]['username']},{users[1]['username']},ghost_account"
    )
    assert page.rate_limit is not None
    assert page.rate_limit.remaining == page.rate_limit.limit - 1


async def test_lookup_by_ids(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    ids = [u["id"] for u in fake_x.data["users"][:99]] + ["123"]
    page = await x_source.users_by_ids(ids)
    assert len(page.users) == 99
    assert page.missing == ("123",)
    assert fake_x.requests[0].path == "/2/users"
    assert fake_x.requests[0].query["ids"].count(",") == 99


async def test_more_than_100_ids_is_rejected_before_any_request(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    with pytest.raises(ValueError, match="at most 100"):
        await x_source.users_by_ids([str(10_000 + i) for i in range(101)])
    with pytest.raises(ValueError, match="at most 100"):
        await x_source.users_by_usernames([f"user{i}" for i in range(101)])
    assert fake_x.requests == []


async def test_404_on_lookup_means_all_missing(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    fake_x.fail_next("/2/users", 404, body={"title": "Not Found Error", "status": 404})
    page = await x_source.users_by_ids(["1", "2"])
    assert page.users == ()
    assert page.missing == ("1", "2")


async def test_malformed_query_is_a_bad_query(x_source: TweepyXSource) -> None:
    with pytest.raises(XBadQuery, match="Unmatched parenthesis") as err:
        await x_source.search_recent("(fitness OR yoga lang:en")
    assert "400" in str(err.value)
    assert not isinstance(err.value, XOperatorRejected)


async def test_wrong_token_is_an_auth_error_without_the_token(
    fake_x: FakeXServer, x_sleep: RecordingSleep
) -> None:
    secret = "wrong-SECRET-token-123"
    source = TweepyXSource(secret, base_url=fake_x.base_url, sleep=x_sleep)
    try:
        with pytest.raises(XAuthError, match="check X_BEARER_TOKEN") as err:
            await source.search_recent(FITNESS)
    finally:
        await source.aclose()
    assert secret not in str(err.value)
    assert secret not in repr(source)
    assert len(fake_x.requests) == 1  # no retry on 401


async def test_403_carries_xs_detail(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    fake_x.fail_next(SEARCH, 403)
    with pytest.raises(XAuthError, match=r"403.*attached to a Project"):
        await x_source.search_recent(FITNESS)


async def test_other_client_errors_are_api_errors(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    fake_x.fail_next(
        "/2/users",
        409,
        body={"title": "Conflict", "detail": "The request conflicts with another one."},
    )
    with pytest.raises(XApiError, match=r"409.*conflicts") as err:
        await x_source.users_by_ids(["1"])
    assert type(err.value) is XApiError
    assert len(fake_x.requests) == 1


async def test_402_is_payment_required_not_a_generic_error(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep
) -> None:
    fake_x.fail_next(
        "/2/users",
        402,
        body={"title": "Payment Required", "detail": "Your account has no credits."},
        times=4,
    )
    with pytest.raises(XPaymentRequired, match="402") as err:
        await x_source.users_by_ids(["1"])
    assert "no credits" not in str(err.value)  # our words, not X's body
    assert len(fake_x.requests) == 1
    assert x_sleep.calls == []


async def test_429_with_reset_soon_waits_then_succeeds(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep
) -> None:
    reset = int(time.time()) + 5
    fake_x.fail_next(
        SEARCH,
        429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )
    page = await x_source.search_recent(FITNESS)
    assert page.posts
    assert len(fake_x.requests) == 2
    assert len(x_sleep.calls) == 1
    assert 4.0 <= x_sleep.calls[0] <= 7.0


async def test_429_with_reset_far_raises_and_stops_sending(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep
) -> None:
    reset = int(time.time()) + 600
    fake_x.fail_next(
        SEARCH,
        429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )
    with pytest.raises(XRateLimited, match="recent search") as err:
        await x_source.search_recent(FITNESS)
    assert err.value.reset_at is not None
    assert int(err.value.reset_at.timestamp()) == reset
    assert len(fake_x.requests) == 1
    with pytest.raises(XRateLimited):
        await x_source.search_recent(FITNESS)
    assert len(fake_x.requests) == 1  # not even sent
    assert x_sleep.calls == []
    # other endpoints have their own limits
    await x_source.users_by_ids([fake_x.data["users"][0]["id"]])
    assert len(fake_x.requests) == 2


async def test_spent_limit_on_a_success_waits_before_the_next_call(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep
) -> None:
    fake_x.set_rate_limit("search", limit=2, remaining=1, reset_in=3)
    first = await x_source.search_recent(FITNESS)
    assert first.rate_limit is not None
    assert first.rate_limit.remaining == 0
    assert x_sleep.calls == []
    fake_x.set_rate_limit("search", remaining=2)  # the window reset while we slept
    await x_source.search_recent(FITNESS)
    assert len(x_sleep.calls) == 1
    assert 1.5 <= x_sleep.calls[0] <= 5.0
    assert len(fake_x.requests) == 2


async def test_real_rate_limit_exhaustion_in_the_server(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    fake_x.set_rate_limit("users", limit=1, reset_in=900)
    await x_source.users_by_ids(["1"])
    with pytest.raises(XRateLimited, match="user lookup"):
        await x_source.users_by_ids(["2"])
    assert len(fake_x.requests) == 1


async def test_503_twice_then_success(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep
) -> None:
    fake_x.fail_next(SEARCH, 503, times=2)
    page = await x_source.search_recent(FITNESS)
    assert page.posts
    assert len(fake_x.requests) == 3
    assert len(x_sleep.calls) == 2
    assert x_sleep.calls[1] >= x_sleep.calls[0]  # exponential backoff


async def test_503_forever_gives_up(
    fake_x: FakeXServer, x_source: TweepyXSource, x_sleep: RecordingSleep
) -> None:
    fake_x.fail_next(SEARCH, 503, times=100)
    with pytest.raises(XUnavailable, match=r"X is not answering \(503\)"):
        await x_source.search_recent(FITNESS)
    assert len(fake_x.requests) == 3 + 1
    assert len(x_sleep.calls) == 3


async def test_non_json_gateway_error_is_retried(
    fake_x: FakeXServer, x_source: TweepyXSource
) -> None:
    fake_x.fail_next(SEARCH, 502, body="<html><body>Bad Gateway</body></html>")
    page = await x_source.search_recent(FITNESS)
    assert page.posts
    assert len(fake_x.requests) == 2


async def test_timeouts_are_retried_then_unavailable(
    fake_x: FakeXServer, x_sleep: RecordingSleep
) -> None:
    fake_x.set_latency(0.5)
    source = _source(fake_x, x_sleep, timeout=0.1, max_retries=1)
    try:
        with pytest.raises(XUnavailable, match="timed out"):
            await source.search_recent(FITNESS)
    finally:
        await source.aclose()
    assert len(x_sleep.calls) == 1


async def test_rate_limit_headers_reach_the_page(x_source: TweepyXSource) -> None:
    first = await x_source.search_recent(FITNESS)
    second = await x_source.search_recent(FITNESS)
    assert first.rate_limit is not None
    assert second.rate_limit is not None
    assert first.rate_limit.limit == 450
    assert (first.rate_limit.remaining, second.rate_limit.remaining) == (449, 448)
    assert first.rate_limit.reset_at.timestamp() > time.time()
    assert x_source.rate_limits["search"] == second.rate_limit


async def test_followers_paging(fake_x: FakeXServer, x_source: TweepyXSource) -> None:
    user = next(u for u in fake_x.data["users"] if u["public_metrics"]["followers_count"] > 2_500)
    first = await x_source.followers(user["id"], max_results=1000)
    assert len(first.users) == 1000
    assert first.next_token is not None
    second = await x_source.followers(
        user["id"], max_results=1000, pagination_token=first.next_token
    )
    assert len(second.users) == 1000
    assert second.next_token is None  # the fake serves at most 2,000 followers
    assert not {u.id for u in first.users} & {u.id for u in second.users}
    assert fake_x.requests[1].query["pagination_token"] == first.next_token
    assert fake_x.requests[0].path == f"/2/users/{user['id']}/followers"
    assert first.rate_limit is not None
    assert second.rate_limit is not None
    limit = first.rate_limit.limit
    assert (first.rate_limit.remaining, second.rate_limit.remaining) == (limit - 1, limit - 2)


async def test_followers_of_unknown_account(x_source: TweepyXSource) -> None:
    page = await x_source.followers("1")
    assert page.users == ()
    assert page.next_token is None


async def test_debug_logs_never_contain_the_token(
    fake_x: FakeXServer, x_source: TweepyXSource, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_x.fail_next(SEARCH, 503)
    await x_source.search_recent(FITNESS)
    await x_source.users_by_usernames(["someone"])
    other = TweepyXSource("another-SECRET-token", base_url=fake_x.base_url)
    try:
        with pytest.raises(XAuthError):
            await other.users_by_ids(["1"])
    finally:
        await other.aclose()
    # tweepy did log its request headers, with the token redacted
    assert "Authorization" in caplog.text
    assert "Bearer ***" in caplog.text
    assert X_TEST_TOKEN not in caplog.text
    assert "another-SECRET-token" not in caplog.text
    assert all(X_TEST_TOKEN not in r.getMessage() for r in caplog.records)
    tweepy_filters = logging.getLogger("tweepy.asynchronous.client").filters
    assert len([f for f in tweepy_filters if type(f).__name__ == "_RedactBearer"]) == 1


async def test_aclose_is_idempotent_and_source_reopens(x_source: TweepyXSource) -> None:
    await x_source.search_recent(FITNESS)
    await x_source.aclose()
    await x_source.aclose()
    page = await x_source.search_recent(FITNESS)
    assert page.posts


def test_constructor_validates() -> None:
    with pytest.raises(XAuthError, match="X_BEARER_TOKEN"):
        TweepyXSource("  ")
    with pytest.raises(ValueError, match="base URL"):
        TweepyXSource("t", base_url="ftp://example.com")
