"""SampleXSource and the generator behind the bundled sample data."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.x.parse import parse_user
from adapters.x.sample import SampleXSource, decode_token, derive_entities, encode_token
from adapters.x.sample_gen import (
    FEATURED,
    OBSERVED_AT,
    SAMPLE_PATH,
    audience_fake_share,
    dumps,
    generate,
    generate_followers,
    labelled_followers,
    sample_dataset,
    shift_dataset,
)
from core.errors import XBadQuery
from core.models import Mention, XUser

FITNESS = "(fitness OR #fitness OR workout OR gym) lang:en -is:retweet -is:reply"
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def source() -> SampleXSource:
    return SampleXSource(clock=lambda: NOW)


def test_bundled_file_is_the_generator_output() -> None:
    """The committed JSON must match `python -m adapters.x.sample_gen` (rerun it if this fails)."""
    assert SAMPLE_PATH.read_text(encoding="utf-8") == dumps(sample_dataset())
    assert SAMPLE_PATH.stat().st_size < 600_000


def test_generator_is_deterministic_and_shaped_like_x() -> None:
    data = generate()
    assert data == generate()
    assert data != generate(seed=8)
    assert data["observed_at"] == "2026-01-15T12:00:00.000Z"
    users, posts = data["users"], data["posts"]
    assert len(users) == 160
    assert 600 <= len(posts) <= 800
    followers = [u["public_metrics"]["followers_count"] for u in users]
    assert sum(10_000 <= f < 50_000 for f in followers) >= 60
    assert all(f >= 2_000 for f in followers)
    assert len({u["username"].lower() for u in users}) == len(users)
    assert all(len(u["username"]) <= 15 for u in users)
    # both field-name revisions, half each
    new_names = sum("post_count" in u["public_metrics"] for u in users)
    assert new_names == len(users) // 2
    assert any("repost_count" in p["public_metrics"] for p in posts)
    assert any("retweet_count" in p["public_metrics"] for p in posts)
    # every post in the 7 days before the observation time
    for post in posts:
        created = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        assert OBSERVED_AT - timedelta(days=7) < created <= OBSERVED_AT
    assert {p["author_id"] for p in posts} <= {u["id"] for u in users}


def test_bought_audience_accounts_look_bought() -> None:
    data = generate()
    bought = set(data["labels"]["bought_audience"])
    assert 20 <= len(bought) <= 28
    for obj in data["users"]:
        if obj["id"] not in bought:
            continue
        user = parse_user(obj)
        assert user.created_at is not None
        assert (OBSERVED_AT - user.created_at).days < 210
        assert user.following >= 3_000
        digits = sum(c.isdigit() for c in user.username)
        assert user.default_avatar or digits >= 6


def test_generate_scales_for_benchmarks() -> None:
    data = generate(seed=1, n_users=600)
    assert len(data["users"]) == 600
    assert len({u["username"].lower() for u in data["users"]}) == 600
    assert len({p["id"] for p in data["posts"]}) == len(data["posts"])


def test_shift_dataset_moves_dates() -> None:
    data = generate(n_users=12)
    shifted = shift_dataset(data, NOW)
    delta = NOW - OBSERVED_AT
    first = datetime.fromisoformat(data["posts"][0]["created_at"].replace("Z", "+00:00"))
    moved = datetime.fromisoformat(shifted["posts"][0]["created_at"].replace("Z", "+00:00"))
    assert moved - first == delta
    assert data["posts"][0]["created_at"] != shifted["posts"][0]["created_at"]  # original untouched


async def test_search_finds_recent_fitness_posts(source: SampleXSource) -> None:
    page = await source.search_recent(FITNESS, max_results=10)
    assert source.name == "sample"
    assert len(page.posts) == 10
    assert page.next_token is not None
    authors = {u.id: u for u in page.users}
    for post in page.posts:
        assert post.author_id in authors
        assert post.lang == "en"
        assert any(w in post.text.lower() for w in ("fitness", "workout", "gym"))
        assert post.created_at is not None
        assert NOW - timedelta(days=7) <= post.created_at <= NOW
    dates = [p.created_at for p in page.posts if p.created_at is not None]
    assert len(dates) == len(page.posts)
    assert dates == sorted(dates, reverse=True)


async def test_search_pages_through_everything(source: SampleXSource) -> None:
    seen: list[str] = []
    token: str | None = None
    for _ in range(20):
        page = await source.search_recent(FITNESS, max_results=10, next_token=token)
        seen.extend(p.id for p in page.posts)
        token = page.next_token
        if token is None:
            break
    assert token is None
    assert len(seen) == len(set(seen)) > 10


async def test_search_without_results_and_bad_queries(source: SampleXSource) -> None:
    page = await source.search_recent("zzzunknownzzz")
    assert page.posts == ()
    assert page.users == ()
    with pytest.raises(XBadQuery, match="Unmatched parenthesis"):
        await source.search_recent("(fitness")
    with pytest.raises(XBadQuery, match="next_token"):
        await source.search_recent(FITNESS, next_token="nonsense")


async def test_lookups_report_missing(source: SampleXSource) -> None:
    data = await source.dataset()
    first, second = data["users"][0], data["users"][1]
    page = await source.users_by_usernames([f"@{first['username'].upper()}", "nobody_here"])
    assert [u.id for u in page.users] == [first["id"]]
    assert page.missing == ("nobody_here",)
    page = await source.users_by_ids([second["id"], "1"])
    assert [u.username for u in page.users] == [second["username"]]
    assert page.missing == ("1",)
    with pytest.raises(ValueError, match="at most 100"):
        await source.users_by_ids([str(i) for i in range(101)])


async def test_user_dates_are_shifted_too(source: SampleXSource) -> None:
    bought = await source.bought_audience_ids()
    page = await source.users_by_ids(sorted(bought)[:5])
    for user in page.users:
        assert user.created_at is not None
        assert (NOW - user.created_at).days < 210


async def test_followers_are_deterministic_and_paged(source: SampleXSource) -> None:
    data = await source.dataset()
    user_id = data["users"][3]["id"]
    first = await source.followers(user_id, max_results=100)
    again = await SampleXSource(clock=lambda: NOW).followers(user_id, max_results=100)
    assert [u.id for u in first.users] == [u.id for u in again.users]
    assert len(first.users) == 100
    assert first.next_token is not None
    second = await source.followers(user_id, max_results=100, pagination_token=first.next_token)
    assert not {u.id for u in first.users} & {u.id for u in second.users}
    unknown = await source.followers("1")
    assert unknown.users == ()


async def test_bought_accounts_have_fake_looking_followers(source: SampleXSource) -> None:
    bought = sorted(await source.bought_audience_ids())
    data = await source.dataset()
    genuine = next(u["id"] for u in data["users"] if u["id"] not in bought)
    fake_page = await source.followers(bought[0], max_results=300)
    real_page = await source.followers(genuine, max_results=300)

    def share(users: tuple[XUser, ...]) -> float:
        # what every built fake does: follows far more accounts than follow it
        return sum(u.following >= 10 * (u.followers + 1) for u in users) / len(users)

    assert share(fake_page.users) > 0.4 > 0.2 > share(real_page.users)
    eggs = sum(u.default_avatar for u in fake_page.users)
    assert 0 < eggs < share(fake_page.users) * len(fake_page.users)  # not every fake is an egg


async def test_loads_lazily_from_a_given_file(tmp_path: Path) -> None:
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(generate(n_users=12)), encoding="utf-8")
    src = SampleXSource(path, clock=lambda: NOW)
    assert src._data is None  # nothing read before first use
    page = await src.search_recent("(coffee OR espresso OR #coffee OR latte OR brew) -is:retweet")
    assert page.posts
    await src.aclose()


def test_tokens_are_bound_to_their_query() -> None:
    token = encode_token("a", 30)
    assert decode_token("a", token) == 30
    with pytest.raises(ValueError, match="not valid"):
        decode_token("b", token)


# --- the extended port: posts without authors, sort order, counts, timelines ---------


async def test_search_without_author_expansion_returns_no_users(source: SampleXSource) -> None:
    page = await source.search_recent(FITNESS, max_results=20, expand_authors=False)
    assert len(page.posts) == 20
    assert page.users == ()
    expanded = await source.search_recent(FITNESS, max_results=20)
    assert [p.id for p in expanded.posts] == [p.id for p in page.posts]
    assert expanded.users


async def test_relevancy_sort_ranks_by_engagement_and_freshness(source: SampleXSource) -> None:
    recent = await source.search_recent(FITNESS, max_results=100)
    relevant = await source.search_recent(FITNESS, max_results=100, sort_order="relevancy")
    again = await source.search_recent(FITNESS, max_results=100, sort_order="recency")
    assert [p.id for p in again.posts] == [p.id for p in recent.posts]
    assert [p.id for p in relevant.posts] != [p.id for p in recent.posts]
    assert {p.id for p in relevant.posts} == {p.id for p in recent.posts}  # all fit one page

    def score(post: Any) -> float:
        age = (NOW - post.created_at) / timedelta(hours=48)
        interactions = post.likes + post.replies + 2 * (post.reposts + post.quotes)
        return math.log1p(interactions) * math.pow(0.5, age)

    scores = [score(p) for p in relevant.posts]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(XBadQuery, match="sort_order"):
        await source.search_recent(FITNESS, sort_order="popular")


async def test_relevancy_pages_with_their_own_tokens(source: SampleXSource) -> None:
    first = await source.search_recent(FITNESS, max_results=10, sort_order="relevancy")
    assert first.next_token is not None
    second = await source.search_recent(
        FITNESS, max_results=10, sort_order="relevancy", next_token=first.next_token
    )
    assert not {p.id for p in first.posts} & {p.id for p in second.posts}
    with pytest.raises(XBadQuery, match="next_token"):
        await source.search_recent(FITNESS, max_results=10, next_token=first.next_token)


async def test_count_recent_counts_what_search_finds(source: SampleXSource) -> None:
    seen = 0
    token: str | None = None
    while True:
        page = await source.search_recent(FITNESS, next_token=token, expand_authors=False)
        seen += len(page.posts)
        token = page.next_token
        if token is None:
            break
    counts = await source.count_recent(FITNESS)
    assert counts.total == seen > 0
    assert sum(counts.daily) == counts.total
    assert 7 <= len(counts.daily) <= 8
    assert (await source.count_recent("zzznothingzzz")).total == 0
    with pytest.raises(XBadQuery, match="Unmatched parenthesis"):
        await source.count_recent("(fitness")


def _author_with_replies(data: dict[str, Any]) -> str:
    counts: dict[str, set[str]] = {}
    for post in data["posts"]:
        kinds = {r["type"] for r in post.get("referenced_tweets", ())} or {"original"}
        counts.setdefault(post["author_id"], set()).update(kinds)
    return next(a for a, kinds in sorted(counts.items()) if {"original", "replied_to"} <= kinds)


async def test_user_timeline_is_the_accounts_posts_newest_first(source: SampleXSource) -> None:
    data = await source.dataset()
    author = _author_with_replies(data)
    own = [p for p in data["posts"] if p["author_id"] == author]
    everything = await source.user_timeline(author, max_results=100, exclude=())
    assert everything.unavailable is None
    assert [p.id for p in everything.posts] == [
        p["id"] for p in sorted(own, key=lambda p: int(p["id"]), reverse=True)
    ]
    originals = await source.user_timeline(author, max_results=100)
    assert originals.posts
    assert len(originals.posts) < len(everything.posts)
    assert not any(p.is_reply or p.is_repost for p in originals.posts)
    with pytest.raises(ValueError, match="exclude"):
        await source.user_timeline(author, exclude=("quotes",))


async def test_user_timeline_pages() -> None:
    data = generate(n_users=4)
    author = data["users"][0]["id"]
    for i in range(12):
        data["posts"].append(
            {
                "id": str(2_000_000_000_000_000_000 + i),
                "author_id": author,
                "text": f"post {i}",
                "created_at": "2026-01-15T10:00:00.000Z",
                "lang": "en",
                "edit_history_tweet_ids": [str(2_000_000_000_000_000_000 + i)],
            }
        )
    src = SampleXSource(dataset=data, clock=lambda: NOW)
    first = await src.user_timeline(author, max_results=5)
    assert len(first.posts) == 5
    assert first.next_token is not None
    second = await src.user_timeline(author, max_results=5, pagination_token=first.next_token)
    assert len(second.posts) == 5
    assert not {p.id for p in first.posts} & {p.id for p in second.posts}
    small = await src.user_timeline(author, max_results=1)  # X's minimum page is 5
    assert len(small.posts) == 5
    with pytest.raises(XBadQuery):
        await src.user_timeline(author, pagination_token=encode_token("other", 5))


async def test_user_timeline_unavailable() -> None:
    data = generate(n_users=4)
    data["users"][1]["protected"] = True
    src = SampleXSource(dataset=data, clock=lambda: NOW)
    unknown = await src.user_timeline("1")
    assert (unknown.posts, unknown.unavailable) == ((), "not_found")
    protected = await src.user_timeline(data["users"][1]["id"])
    assert (protected.posts, protected.unavailable) == ((), "protected")


async def test_entities_are_derived_from_the_text_like_x() -> None:
    data = generate(n_users=6)
    known = data["users"][2]
    post = data["posts"][0]
    post["text"] = (
        f"Morning lift with @{known['username'].upper()} and @nobody_at_all #Fitness #2024 "
        "#legday https://example.com/plan."
    )
    post["referenced_tweets"] = [{"type": "quoted", "id": "1"}]
    src = SampleXSource(dataset=data, clock=lambda: NOW)
    timeline = await src.user_timeline(post["author_id"], max_results=100, exclude=())
    parsed = next(p for p in timeline.posts if p.id == post["id"])
    assert parsed.mentions == (Mention(known["id"], known["username"]),)
    assert parsed.hashtags == ("fitness", "legday")  # #2024 is no hashtag on X
    assert parsed.is_quote
    entities = derive_entities(post["text"], lambda _handle: None)
    assert "mentions" not in entities
    (url,) = entities["urls"]
    assert url["url"] == "https://example.com/plan"
    assert post["text"][url["start"] : url["end"]] == url["url"]
    assert derive_entities("nothing to see") == {}


def test_the_sample_is_the_generated_world_plus_the_featured_accounts() -> None:
    """The accounts the help and README name are in the bundled sample, and adding
    them changes nothing generated (tests seeding the fake X from `generate()` agree)."""
    data, plain = sample_dataset(), generate()
    assert data["users"][: len(plain["users"])] == plain["users"]
    assert {p["id"] for p in plain["posts"]} <= {p["id"] for p in data["posts"]}
    assert len(data["users"]) == len(plain["users"]) + len(FEATURED) < 200
    assert len({u["username"].lower() for u in data["users"]}) == len(data["users"])
    assert len({u["id"] for u in data["users"]}) == len(data["users"])
    assert len({p["id"] for p in data["posts"]}) == len(data["posts"])
    by_handle = {u["username"]: u for u in data["users"]}
    for spec in FEATURED:
        user = by_handle[spec.handle]
        assert user["public_metrics"]["followers_count"] == spec.followers
        assert user["id"] not in data["labels"]["bought_audience"]
        own = [p for p in data["posts"] if p["author_id"] == user["id"]]
        assert len(own) == len(spec.lines)
        for post in own:
            created = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert OBSERVED_AT - timedelta(days=7) < created <= OBSERVED_AT
    assert {"jane_lifts", "runwithraj"} <= set(by_handle)
    nano = [s for s in FEATURED if s.followers < 10_000 and "#homeworkout" in " ".join(s.lines)]
    assert len(nano) >= 5


async def test_the_sample_names_the_niches_it_covers(source: SampleXSource) -> None:
    covered = source.covered_niches
    assert covered is not None
    assert {"fitness", "running", "coffee", "vegan", "home workout"} <= set(covered)
    page = await source.search_recent('("home workout" OR #homeworkout) lang:en')
    assert page.posts  # a covered topic has posts


def test_labelled_followers_are_the_followers_with_their_truth() -> None:
    user = generate(n_users=4)["users"][0]
    labelled = labelled_followers(user, fake_share=0.5, limit=300)
    assert [obj for obj, _ in labelled] == generate_followers(user, fake_share=0.5, limit=300)
    fakes = [obj for obj, fake in labelled if fake]
    assert 0.35 < len(fakes) / len(labelled) < 0.65
    assert all(f["public_metrics"]["following_count"] >= 600 for f in fakes)
    assert sum(f["profile_image_url"].endswith("default_profile_normal.png") for f in fakes) > 0
    assert (
        audience_fake_share("1", bought=True) > 0.4 > 0.15 >= audience_fake_share("1", bought=False)
    )
