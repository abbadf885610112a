"""SampleXSource and the generator behind the bundled sample data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.x.parse import parse_user
from adapters.x.sample import SampleXSource, decode_token, encode_token
from adapters.x.sample_gen import OBSERVED_AT, SAMPLE_PATH, dumps, generate, shift_dataset
from core.errors import XBadQuery
from core.models import XUser

FITNESS = "(fitness OR #fitness OR workout OR gym) lang:en -is:retweet -is:reply"
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def source() -> SampleXSource:
    return SampleXSource(clock=lambda: NOW)


def test_bundled_file_is_the_generator_output() -> None:
    """The committed JSON must match `python -m adapters.x.sample_gen` (rerun it if this fails)."""
    assert SAMPLE_PATH.read_text(encoding="utf-8") == dumps(generate())
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
    dates = [p.created_at for p in page.posts]
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
        return sum(u.default_avatar for u in users) / len(users)

    assert share(fake_page.users) > 0.5 > 0.25 > share(real_page.users)


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
