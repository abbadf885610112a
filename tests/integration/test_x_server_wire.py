"""The fake X API v2 at the wire level: plain HTTP requests, X's answers, X's bill.

Talks to `FakeXServer` with aiohttp only (no tweepy), so these tests pin what the
server says on the wire; `test_x_client*.py` test the real client against it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from adapters.x.query_match import parse_query
from adapters.x.sample import matching_posts, relevancy_score
from core.niches import build_query
from tests.fakes.x_fixtures import X_TEST_TOKEN, x_dataset, x_world_small
from tests.fakes.x_server import POST_USD, USER_USD, Bill, FakeXServer
from tests.fakes.x_world import XWorld

SEARCH = "/2/tweets/search/recent"
COUNTS = "/2/tweets/counts/recent"
FITNESS = build_query("fitness").query
FIELDS = {"tweet.fields": "public_metrics,author_id,created_at,entities,referenced_tweets,lang"}


class Wire:
    """A bare HTTP client for the fake X: GET a path, get (status, JSON, headers)."""

    def __init__(self, server: FakeXServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session

    async def get(self, path: str, **params: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        query = {k: str(v) for k, v in params.items() if v is not None}
        async with self.session.get(
            self.server.base_url + path,
            params=query,
            headers={"Authorization": f"Bearer {X_TEST_TOKEN}"},
        ) as resp:
            return resp.status, await resp.json(), dict(resp.headers)


@pytest.fixture
def world() -> XWorld:
    return x_world_small()


@pytest.fixture
async def wire(realistic_x: FakeXServer) -> AsyncIterator[Wire]:
    async with aiohttp.ClientSession() as session:
        yield Wire(realistic_x, session)


@pytest.fixture
async def sample_wire() -> AsyncIterator[Wire]:
    """The classic sample dataset (no world)."""
    async with (
        FakeXServer(x_dataset(), bearer=X_TEST_TOKEN) as server,
        aiohttp.ClientSession() as session,
    ):
        yield Wire(server, session)


def _matched(world: XWorld, query: str) -> list[Any]:
    users = {u["id"]: u for u in world.dataset["users"]}
    return matching_posts(world.dataset["posts"], users, parse_query(query), datetime.now(UTC))


def _public_author(world: XWorld, kind: str) -> dict[str, Any]:
    for uid in sorted(world.ids_of(kind, "fitness")):
        user: dict[str, Any] = next(u for u in world.dataset["users"] if u["id"] == uid)
        if not user.get("protected"):
            return user
    raise AssertionError(kind)


# --- search ----------------------------------------------------------------------


async def test_search_without_expansion_has_no_includes_and_bills_posts_only(wire: Wire) -> None:
    status, body, headers = await wire.get(SEARCH, query=FITNESS, max_results=100, **FIELDS)
    assert status == 200
    assert len(body["data"]) == 100
    assert "includes" not in body
    assert body["meta"]["result_count"] == 100
    assert body["meta"]["next_token"]
    assert all("author_id" in p and "public_metrics" in p for p in body["data"])
    assert not any(k.startswith("_") for p in body["data"] for k in p)
    assert headers["x-rate-limit-limit"] == "450"
    bill = wire.server.billing()
    assert bill == Bill(
        requests=1, posts=100, users=0, count_requests=0, usd=round(100 * POST_USD, 6)
    )


async def test_author_expansion_returns_and_bills_each_author_once(wire: Wire) -> None:
    status, body, _ = await wire.get(
        SEARCH, query=FITNESS, max_results=100, expansions="author_id", **FIELDS
    )
    assert status == 200
    authors = {p["author_id"] for p in body["data"]}
    users = body["includes"]["users"]
    assert {u["id"] for u in users} == authors
    assert len(users) == len(authors) < 100  # spam accounts post many times a page
    bill = wire.server.billing()
    assert (bill.posts, bill.users) == (100, len(authors))
    assert bill.usd == pytest.approx(100 * POST_USD + len(authors) * USER_USD)


async def test_same_post_twice_in_a_day_is_billed_once(wire: Wire) -> None:
    for _ in range(2):
        status, _, _ = await wire.get(SEARCH, query=FITNESS, max_results=50, **FIELDS)
        assert status == 200
    bill = wire.server.billing()
    assert bill.requests == 2
    assert bill.posts == 50
    today = datetime.now(UTC).date()
    assert wire.server.billing(today) == bill
    assert wire.server.billing(today - timedelta(days=1)) == Bill(0, 0, 0, 0, 0.0)
    wire.server.reset_billing()
    assert wire.server.billing() == Bill(0, 0, 0, 0, 0.0)


async def test_a_new_utc_day_bills_the_same_posts_again() -> None:
    world = x_world_small()
    now = [world.observed_at.timestamp()]
    async with (
        FakeXServer(world=world, bearer=X_TEST_TOKEN, clock=lambda: now[0]) as server,
        aiohttp.ClientSession() as session,
    ):
        wire = Wire(server, session)
        await wire.get(SEARCH, query=FITNESS, max_results=20)
        first_day = server._now().date()
        now[0] += 86_400
        await wire.get(SEARCH, query=FITNESS, max_results=20)
        assert server.billing(first_day).posts == 20
        assert server.billing().posts == 40
        assert server.billing().usd == pytest.approx(40 * POST_USD)


async def test_mentioned_users_expansion_is_billed(wire: Wire) -> None:
    status, body, _ = await wire.get(
        SEARCH, query=FITNESS, max_results=100, expansions="entities.mentions.username", **FIELDS
    )
    assert status == 200
    mentioned = {m["id"] for p in body["data"] for m in p.get("entities", {}).get("mentions", ())}
    assert mentioned  # casual posts mention creators
    assert {u["id"] for u in body["includes"]["users"]} == mentioned
    assert wire.server.billing().users == len(mentioned)


async def test_referenced_tweets_expansion(wire: Wire) -> None:
    query = f"{FITNESS.replace(' -is:reply', '')} is:quote"
    status, body, _ = await wire.get(
        SEARCH, query=query, max_results=100, expansions="referenced_tweets.id", **FIELDS
    )
    assert status == 200
    quoted = {r["id"] for p in body["data"] for r in p["referenced_tweets"]}
    included = {t["id"] for t in body.get("includes", {}).get("tweets", ())}
    missing = {e["value"] for e in body.get("errors", ())}
    assert included | missing == quoted
    assert included  # most quotes quote a post in the index
    assert wire.server.billing().posts == len(body["data"]) + len(
        included - {p["id"] for p in body["data"]}
    )


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"sort_order": "popular"}, "sort_order"),
        ({"expansions": "author_id,pinned_tweet_id"}, "expansions"),
        ({"tweet.fields": "public_metrics,likes"}, "tweet.fields"),
        ({"user.fields": "followers"}, "user.fields"),
        ({"max_results": 5}, "max_results"),
        ({"max_results": 101}, "max_results"),
        ({"next_token": "nonsense"}, "next_token"),
        ({"start_time": "2001-01-01T00:00:00Z"}, "start_time"),
        ({"since_id": "abc"}, "since_id"),
    ],
)
async def test_bad_search_parameters_are_400(
    wire: Wire, params: dict[str, Any], parameter: str
) -> None:
    status, body, _ = await wire.get(SEARCH, query=FITNESS, **params)
    assert status == 400
    assert body["title"] == "Invalid Request"
    assert parameter in body["errors"][0]["parameters"]
    assert wire.server.billing().requests == 0


async def test_relevancy_differs_from_recency(wire: Wire) -> None:
    _, recent, _ = await wire.get(SEARCH, query=FITNESS, max_results=100, **FIELDS)
    _, relevant, _ = await wire.get(
        SEARCH, query=FITNESS, max_results=100, sort_order="relevancy", **FIELDS
    )
    _, explicit, _ = await wire.get(
        SEARCH, query=FITNESS, max_results=100, sort_order="recency", **FIELDS
    )
    assert [p["id"] for p in explicit["data"]] == [p["id"] for p in recent["data"]]
    ids = [int(p["id"]) for p in recent["data"]]
    assert ids == sorted(ids, reverse=True)
    assert {p["id"] for p in relevant["data"]} != {p["id"] for p in recent["data"]}
    now = datetime.now(UTC)
    scores = [relevancy_score(p, now) for p in relevant["data"]]
    assert scores == sorted(scores, reverse=True)
    likes = [p["public_metrics"]["like_count"] for p in relevant["data"][:20]]
    assert min(likes) > 0


async def test_paging_covers_every_match_once_and_is_fast(wire: Wire, world: XWorld) -> None:
    expected = _matched(world, FITNESS)
    seen: list[str] = []
    token = None
    started = time.perf_counter()
    pages = 0
    while True:
        status, body, _ = await wire.get(
            SEARCH, query=FITNESS, max_results=100, next_token=token, sort_order="relevancy"
        )
        assert status == 200
        seen += [p["id"] for p in body.get("data", ())]
        pages += 1
        token = body["meta"].get("next_token")
        if token is None:
            break
    per_page = (time.perf_counter() - started) / pages
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == {p["id"] for p in expected}
    assert per_page < 0.1  # cached: paging a big index is cheap


async def test_since_and_start_time_narrow_the_search(wire: Wire) -> None:
    _, everything, _ = await wire.get(SEARCH, query=FITNESS, max_results=100)
    newest = everything["data"][10]["id"]
    _, newer, _ = await wire.get(SEARCH, query=FITNESS, max_results=100, since_id=newest)
    assert [p["id"] for p in newer["data"]] == [p["id"] for p in everything["data"][:10]]
    start = (datetime.now(UTC) - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, recent, _ = await wire.get(
        SEARCH, query=FITNESS, max_results=100, start_time=start, **FIELDS
    )
    assert all(p["created_at"] >= start.replace("Z", ".000Z") for p in recent.get("data", ()))


# --- operators -------------------------------------------------------------------


async def test_min_likes_filters(wire: Wire, world: XWorld) -> None:
    query = f"{FITNESS} min_likes:20"
    _, body, _ = await wire.get(SEARCH, query=query, max_results=100, **FIELDS)
    assert body["data"]
    assert all(p["public_metrics"]["like_count"] >= 20 for p in body["data"])
    assert len(_matched(world, query)) < len(_matched(world, FITNESS)) / 3
    _, none, _ = await wire.get(SEARCH, query="fitness min_likes:99999999", **FIELDS)
    assert "data" not in none
    assert none["meta"]["result_count"] == 0


async def test_min_reposts_and_min_replies_read_both_field_names(wire: Wire) -> None:
    for op, names in (
        ("min_reposts", ("repost_count", "retweet_count")),
        ("min_replies", ("reply_count",)),
    ):
        _, body, _ = await wire.get(SEARCH, query=f"{FITNESS} {op}:3", max_results=100, **FIELDS)
        assert body["data"]
        for post in body["data"]:
            metrics = post["public_metrics"]
            assert next(metrics[n] for n in names if n in metrics) >= 3


async def test_nullcast_is_brand_ads(wire: Wire, world: XWorld) -> None:
    ads = f"{FITNESS} is:nullcast"
    _, body, _ = await wire.get(SEARCH, query=ads, max_results=100, **FIELDS)
    assert body["data"]
    assert {world.kind(p["author_id"]) for p in body["data"]} == {"brand"}
    organic = _matched(world, f"{FITNESS} -is:nullcast")
    assert len(organic) + len(body["data"]) == len(_matched(world, FITNESS))


async def test_rejected_operator_is_a_400_naming_it(wire: Wire) -> None:
    wire.server.reject_operators({"min_likes", "is:nullcast"})
    status, body, _ = await wire.get(SEARCH, query=f"{FITNESS} min_likes:10")
    assert status == 400
    message = body["errors"][0]["message"]
    assert "Reference to invalid operator 'min_likes'." in message
    assert "Operator is not available in current product" in message
    assert body["errors"][0]["parameters"]["query"] == [f"{FITNESS} min_likes:10"]
    status, body, _ = await wire.get(SEARCH, query=f"{FITNESS} -is:nullcast")
    assert status == 400
    assert "'is'" in body["errors"][0]["message"]
    status, _, _ = await wire.get(SEARCH, query=f"{FITNESS} min_replies:1")  # not refused
    assert status == 200
    status, _, _ = await wire.get(COUNTS, query=f"{FITNESS} min_likes:10")
    assert status == 400
    wire.server.reject_operators(None)
    status, _, _ = await wire.get(SEARCH, query=f"{FITNESS} min_likes:10")
    assert status == 200


async def test_malformed_query_is_400(wire: Wire) -> None:
    status, body, _ = await wire.get(SEARCH, query="(fitness OR gym")
    assert status == 400
    assert "Unmatched parenthesis" in body["errors"][0]["message"]
    status, _, _ = await wire.get(COUNTS, query="is:reply")
    assert status == 400


# --- counts ----------------------------------------------------------------------


async def test_counts_total_equals_matched_posts_and_is_billed(wire: Wire, world: XWorld) -> None:
    status, body, headers = await wire.get(COUNTS, query=FITNESS, granularity="day")
    assert status == 200
    assert headers["x-rate-limit-limit"] == "300"
    total = body["meta"]["total_tweet_count"]
    assert total == len(_matched(world, FITNESS))
    assert sum(b["tweet_count"] for b in body["data"]) == total
    assert 7 <= len(body["data"]) <= 8
    starts = [b["start"] for b in body["data"]]
    assert starts == sorted(starts)
    assert all(b["end"] == n["start"] for b, n in zip(body["data"], body["data"][1:], strict=False))
    bill = wire.server.billing()
    assert (bill.count_requests, bill.posts, bill.usd) == (1, 0, 0.005)


async def test_counts_granularity(wire: Wire) -> None:
    _, hourly, _ = await wire.get(COUNTS, query=FITNESS)  # default: hour
    assert 168 <= len(hourly["data"]) <= 169
    _, minutes, _ = await wire.get(COUNTS, query=FITNESS, granularity="minute")
    assert len(minutes["data"]) >= 7 * 24 * 60
    assert minutes["meta"]["total_tweet_count"] == hourly["meta"]["total_tweet_count"]
    status, body, _ = await wire.get(COUNTS, query=FITNESS, granularity="week")
    assert status == 400
    assert "granularity" in body["errors"][0]["parameters"]
    assert wire.server.billing().count_requests == 2


# --- timelines -------------------------------------------------------------------


def _timeline(user_id: str) -> str:
    return f"/2/users/{user_id}/tweets"


async def test_timeline_pages_newest_first_and_bills_posts(wire: Wire, world: XWorld) -> None:
    creator = _public_author(world, "creator")
    path = _timeline(creator["id"])
    status, first, headers = await wire.get(
        path, max_results=100, exclude="retweets,replies", **FIELDS
    )
    assert status == 200
    assert headers["x-rate-limit-limit"] == "10000"
    posts = first["data"]
    assert len(posts) == 100
    assert first["meta"]["result_count"] == 100
    assert first["meta"]["newest_id"] == posts[0]["id"]
    assert world.timeline(creator["id"])[0]["id"] == creator["most_recent_tweet_id"]
    assert first["meta"]["oldest_id"] == posts[-1]["id"]
    ids = [int(p["id"]) for p in posts]
    assert ids == sorted(ids, reverse=True)
    assert all(p["author_id"] == creator["id"] for p in posts)
    assert not any(
        p.get("referenced_tweets", [{}])[0].get("type") in {"replied_to", "retweeted"}
        for p in posts
    )
    _, second, _ = await wire.get(
        path,
        max_results=100,
        exclude="retweets,replies",
        pagination_token=first["meta"]["next_token"],
    )
    assert second.get("data")
    assert not {p["id"] for p in posts} & {p["id"] for p in second["data"]}
    assert second["meta"]["previous_token"]
    assert wire.server.billing().posts == 100 + len(second["data"])


async def test_timeline_exclude(wire: Wire, world: XWorld) -> None:
    creator = _public_author(world, "casual")
    path = _timeline(creator["id"])
    _, everything, _ = await wire.get(path, max_results=100, **FIELDS)
    _, no_rts, _ = await wire.get(path, max_results=100, exclude="retweets", **FIELDS)
    _, originals, _ = await wire.get(path, max_results=100, exclude="replies,retweets", **FIELDS)

    def kinds(body: dict[str, Any]) -> set[str]:
        return {r["type"] for p in body.get("data", ()) for r in p.get("referenced_tweets", ())}

    assert {"retweeted", "replied_to"} <= kinds(everything)
    assert "retweeted" not in kinds(no_rts)
    assert "replied_to" in kinds(no_rts)
    assert not kinds(originals) & {"retweeted", "replied_to"}
    assert len(everything["data"]) > len(no_rts["data"]) > len(originals["data"])
    status, body, _ = await wire.get(path, exclude="quotes")
    assert status == 400
    assert "exclude" in body["errors"][0]["parameters"]


@pytest.mark.parametrize("size", [4, 101])
async def test_timeline_page_size_is_5_to_100(wire: Wire, world: XWorld, size: int) -> None:
    status, body, _ = await wire.get(
        _timeline(_public_author(world, "creator")["id"]), max_results=size
    )
    assert status == 400
    assert "max_results" in body["errors"][0]["parameters"]


async def test_timeline_of_unknown_protected_and_suspended_accounts(
    wire: Wire, world: XWorld
) -> None:
    status, body, _ = await wire.get(_timeline("123"))
    assert status == 200
    assert "data" not in body
    (error,) = body["errors"]
    assert error["title"] == "Not Found Error"
    assert error["detail"] == "Could not find user with id: [123]."
    assert error["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    assert (error["resource_type"], error["parameter"], error["value"]) == ("user", "id", "123")

    protected = next(u for u in world.dataset["users"] if u.get("protected"))
    status, body, _ = await wire.get(_timeline(protected["id"]))
    assert status == 200
    (error,) = body["errors"]
    assert error["title"] == "Authorization Error"
    assert (
        error["detail"]
        == f"Sorry, you are not authorized to see the user with id: [{protected['id']}]."
    )
    assert error["type"] == "https://api.twitter.com/2/problems/not-authorized-for-resource"

    spam = _public_author(world, "spam")
    wire.server.suspended.add(spam["id"])
    status, body, _ = await wire.get(_timeline(spam["id"]))
    assert status == 200
    assert "User has been suspended" in body["errors"][0]["detail"]
    assert wire.server.billing().posts == 0

    status, _, _ = await wire.get(_timeline("not-an-id"))
    assert status == 400


async def test_timeline_without_a_world_is_the_accounts_dataset_posts(sample_wire: Wire) -> None:
    server = sample_wire.server
    author = server.posts[0]["author_id"]
    own = [p["id"] for p in server.posts if p["author_id"] == author]
    status, body, _ = await sample_wire.get(_timeline(author), max_results=100, **FIELDS)
    assert status == 200
    assert [p["id"] for p in body["data"]] == sorted(own, key=int, reverse=True)
    # the bundled sample stores no entities: the server derives them from the text
    tagged = [p for p in server.posts if "#" in p["text"]]
    _, page, _ = await sample_wire.get(_timeline(tagged[0]["author_id"]), max_results=100, **FIELDS)
    post = next(p for p in page["data"] if p["id"] == tagged[0]["id"])
    assert post["entities"]["hashtags"]


# --- lookups, followers, 402 -----------------------------------------------------


async def test_lookups_and_followers_bill_users(wire: Wire, world: XWorld) -> None:
    ids = [u["id"] for u in world.dataset["users"][:30]]
    status, body, _ = await wire.get("/2/users", ids=",".join(ids))
    assert status == 200
    assert len(body["data"]) == 30
    await wire.get("/2/users", ids=",".join(ids[:10]))  # same users, same day
    assert wire.server.billing().users == 30
    creator = _public_author(world, "creator")
    _, followers, _ = await wire.get(f"/2/users/{creator['id']}/followers", max_results=50)
    assert len(followers["data"]) == 50
    bill = wire.server.billing()
    assert bill.users == 80
    assert bill.requests == 3
    assert bill.usd == pytest.approx(80 * USER_USD)


async def test_402_has_xs_body_and_is_not_billed(wire: Wire) -> None:
    wire.server.fail_next(SEARCH, 402)
    status, body, _ = await wire.get(SEARCH, query=FITNESS)
    assert status == 402
    assert body["title"] == "CreditsDepleted"
    assert "credits" in body["detail"]
    assert "spending cap" in body["detail"]
    assert body["status"] == 402
    assert wire.server.billing().requests == 0
    status, _, _ = await wire.get(SEARCH, query=FITNESS)
    assert status == 200
