"""The generated X world looks like X: volumes, mixes, audiences, timelines, wire fields.

Bands are wide enough for any seed's noise and narrow enough that a generator tuned
toward a toy (or toward one discovery method) fails them.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.x.parse import parse_datetime, parse_post, parse_user
from adapters.x.query_match import parse_query
from adapters.x.sample import matching_posts
from core.niches import build_query, matches_niche
from tests.fakes.x_fixtures import x_world_small
from tests.fakes.x_world import NICHES_DEFAULT, XWorld, generate_world, niche_share

WEEK = timedelta(days=7)
_TWITTER_EPOCH_MS = 1288834974657


@functools.cache
def _full() -> tuple[XWorld, float]:
    started = time.perf_counter()
    world = generate_world()
    return world, time.perf_counter() - started


@pytest.fixture
def world() -> XWorld:
    return x_world_small()


def _users(world: XWorld) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in world.dataset["users"]}


def _matched(world: XWorld, niche: str) -> list[Any]:
    return matching_posts(
        world.dataset["posts"],
        _users(world),
        parse_query(build_query(niche).query),
        world.observed_at,
    )


def _originals(world: XWorld, user_id: str) -> list[dict[str, Any]]:
    """Timeline posts as discovery verifies them: no replies, no reposts."""
    return [
        p
        for p in world.timeline(user_id)
        if not {r["type"] for r in p.get("referenced_tweets", ())} & {"replied_to", "retweeted"}
    ]


def _er(user: Mapping[str, Any], posts: Sequence[Mapping[str, Any]]) -> float:
    followers: int = user["public_metrics"]["followers_count"]
    return statistics.mean(parse_post(p).interactions / followers for p in posts)


def _age_days(world: XWorld, user: Mapping[str, Any]) -> float:
    created = parse_datetime(user["created_at"])
    assert created is not None
    return (world.observed_at - created).total_seconds() / 86_400


# --- volume and mix ------------------------------------------------------------------


def test_full_scale_volume_and_mix_per_niche() -> None:
    world, seconds = _full()
    assert seconds < 8  # about 2 s on a laptop; the bound only catches a blow-up
    assert 100_000 > len(world.dataset["posts"]) > 33_000
    for niche in NICHES_DEFAULT:
        found = _matched(world, niche)
        assert 8_500 <= len(found) <= 11_500, niche
        share = Counter(world.kind(p["author_id"]) for p in found)
        mix = {kind: count / len(found) for kind, count in share.items()}
        assert 0.40 <= mix["casual"] <= 0.52
        assert 0.28 <= mix["spam"] <= 0.38
        assert 0.04 <= mix["nano"] <= 0.08
        assert 0.02 <= mix["brand"] <= 0.045
        assert 0.005 <= mix["news"] <= 0.02
        assert 0.02 <= mix["big"] <= 0.045
        assert 0.02 <= mix["creator"] <= 0.05
        assert 0.004 <= mix["bought"] <= 0.015
        assert 30 <= len(world.authentic_micro(niche)) <= 40
        assert 8 <= len(world.ids_of("bought", niche)) <= 12
        assert len(world.ids_of("other_topic", niche)) == 30


def test_the_index_holds_replies_and_other_languages_the_query_leaves_out(
    world: XWorld,
) -> None:
    posts = world.dataset["posts"]
    kinds = Counter(
        p["referenced_tweets"][0]["type"] if "referenced_tweets" in p else "original" for p in posts
    )
    assert 0.15 <= kinds["replied_to"] / len(posts) <= 0.35
    assert 0.003 <= kinds["quoted"] / len(posts) <= 0.06
    assert "retweeted" not in kinds  # keyword search no longer returns reposts
    langs = Counter(p["lang"] for p in posts)
    assert 0.02 <= 1 - langs["en"] / len(posts) <= 0.1
    assert {"es", "de", "pt"} <= set(langs)
    # -is:reply and lang:en matter: without them the query finds far more
    loose = parse_query(" ".join(build_query("fitness").query.split()[:-3]).rstrip())
    users = _users(world)
    assert len(matching_posts(posts, users, loose, world.observed_at)) > 1.2 * len(
        _matched(world, "fitness")
    )


def test_scale_shrinks_volume_but_keeps_creators_to_find(world: XWorld) -> None:
    for niche in NICHES_DEFAULT:
        assert 700 <= len(_matched(world, niche)) <= 1_400
        assert len(world.authentic_micro(niche)) >= 10
        assert world.recall_ceiling(niche) <= world.authentic_micro(niche)
        assert len(world.recall_ceiling(niche)) >= 8


def test_posts_fall_in_the_window_newest_first(world: XWorld) -> None:
    posts = world.dataset["posts"]
    ids = [int(p["id"]) for p in posts]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == len(ids)
    for post in posts:
        created = parse_datetime(post["created_at"])
        assert created is not None
        assert world.observed_at - WEEK + timedelta(minutes=59) <= created < world.observed_at
        # a snowflake: the id carries its own timestamp
        ms = (int(post["id"]) >> 22) + _TWITTER_EPOCH_MS
        assert abs(ms / 1000 - created.timestamp()) < 1


# --- audiences -----------------------------------------------------------------------


def test_casual_followers_are_log_normal_around_a_few_hundred(world: XWorld) -> None:
    users = _users(world)
    followers = [users[u]["public_metrics"]["followers_count"] for u in world.ids_of("casual")]
    assert 180 <= statistics.median(followers) <= 500
    assert 0.9 <= statistics.stdev(math.log(f) for f in followers) <= 1.5
    likes = [
        p["public_metrics"]["like_count"]
        for p in world.dataset["posts"]
        if world.kind(p["author_id"]) == "casual" and "referenced_tweets" not in p
    ]
    assert 1 <= statistics.median(likes) <= 8


def test_authentic_micro_creators(world: XWorld) -> None:
    users = _users(world)
    creators = [u for n in NICHES_DEFAULT for u in world.authentic_micro(n)]
    rates, bios = [], 0
    for uid in creators:
        user = users[uid]
        assert 10_000 <= user["public_metrics"]["followers_count"] < 50_000
        assert _age_days(world, user) > 365
        assert world.kind(uid) == "creator"
        niche = world.niche_of(uid)
        assert niche is not None
        indexed = [p for p in world.dataset["posts"] if p["author_id"] == uid]
        assert 4 <= len(indexed) <= 25  # 5-15 niche posts a week, plus replies
        rates.append(_er(user, _originals(world, uid)[:30]))
        bios += matches_niche(user["description"], build_query(niche))
    assert all(0.004 <= r <= 0.032 for r in rates)
    assert 0.008 <= statistics.median(rates) <= 0.02
    assert 0.6 * len(creators) <= bios < len(creators)  # usually, not always
    paid = sum(p.get("paid_partnership", False) for u in creators for p in world.timeline(u))
    assert paid > 0


def test_bought_audiences_engage_far_below_the_norm(world: XWorld) -> None:
    users = _users(world)
    bought = sorted(world.bought_audience)
    assert len(bought) == 9  # 3 a niche at scale 0.1
    for uid in bought:
        user = users[uid]
        assert 10_000 <= user["public_metrics"]["followers_count"] < 50_000
        assert _er(user, _originals(world, uid)[:30]) < 0.001
        assert user["public_metrics"]["following_count"] >= 2_000
        assert _age_days(world, user) < 365
        in_window = [p for p in world.dataset["posts"] if p["author_id"] == uid]
        assert len(in_window) >= 5
    tells = [parse_user(users[u]) for u in bought]
    assert any(u.default_avatar for u in tells)
    assert any(sum(c.isdigit() for c in u.username) >= 5 for u in tells)


def test_impressions_follow_reach(world: XWorld) -> None:
    users = _users(world)

    def reach(kind: str) -> float:
        values: list[float] = [
            p["public_metrics"]["impression_count"]
            / max(1, users[p["author_id"]]["public_metrics"]["followers_count"])
            for p in world.dataset["posts"]
            if world.kind(p["author_id"]) == kind
            and "referenced_tweets" not in p
            and parse_datetime(p["created_at"]) < world.observed_at - timedelta(days=1)  # type: ignore[operator]
        ]
        return statistics.median(values)

    assert 0.05 <= reach("creator") <= 0.4
    assert 0.05 <= reach("casual") <= 0.4
    assert reach("bought") < 0.1 * reach("creator")
    spam = [
        p["public_metrics"]["impression_count"]
        for p in world.dataset["posts"]
        if world.kind(p["author_id"]) == "spam"
    ]
    assert statistics.median(spam) < 30
    # engagement never exceeds what the impressions allow
    for post in world.dataset["posts"][:2_000]:
        assert parse_post(post).interactions <= post["public_metrics"]["impression_count"]


def test_spam_looks_like_spam(world: XWorld) -> None:
    users = _users(world)
    spam = [users[u] for u in world.ids_of("spam")]
    assert all(_age_days(world, u) <= 121 for u in spam)
    assert all(u["public_metrics"]["followers_count"] <= 300 for u in spam)
    assert all(u["public_metrics"]["following_count"] >= 1_500 for u in spam)
    assert all(u["public_metrics"]["listed_count"] == 0 for u in spam)
    assert sum("default_profile_images" in u["profile_image_url"] for u in spam) > len(spam) / 4
    assert sum(sum(c.isdigit() for c in u["username"]) >= 4 for u in spam) > len(spam) / 2
    posts = [
        p
        for p in world.dataset["posts"]
        if world.kind(p["author_id"]) == "spam" and "referenced_tweets" not in p
    ]
    per_account = Counter(p["author_id"] for p in posts)
    assert statistics.median(per_account.values()) >= 12  # dozens a day, for days
    assert statistics.median(len(p["entities"].get("hashtags", ())) for p in posts) >= 4
    assert all(p["entities"].get("urls") for p in posts)
    assert statistics.mean(p["public_metrics"]["like_count"] for p in posts) < 0.5


def test_listed_count_separates_creators_from_spam(world: XWorld) -> None:
    users = _users(world)

    def median_listed(kind: str) -> float:
        listed: list[int] = [users[u]["public_metrics"]["listed_count"] for u in world.ids_of(kind)]
        return statistics.median(listed)

    assert median_listed("creator") >= 40
    assert median_listed("big") > median_listed("creator")
    assert median_listed("spam") == 0
    assert median_listed("casual") <= 2


def test_brands_and_news(world: XWorld) -> None:
    users = _users(world)
    brands = [users[u] for u in world.ids_of("brand")]
    assert all(3_000 <= u["public_metrics"]["followers_count"] <= 200_000 for u in brands)
    assert any(10_000 <= u["public_metrics"]["followers_count"] < 50_000 for u in brands)
    assert all("Official" in u["description"] or "DM us" in u["description"] for u in brands)
    ads = [p for p in world.dataset["posts"] if world.kind(p["author_id"]) == "brand"]
    assert sum("code" in p["text"] or "https://t.co/" in p["text"] for p in ads) > len(ads) / 2
    assert any(p.get("_nullcast") for p in ads)
    for u in brands:
        assert _er(u, _originals(world, u["id"])[:30]) < 0.004
    news = list(world.ids_of("news"))
    assert all("news" in users[u]["description"] for u in news)
    assert all(world.niche_of(u) is None for u in news)


# --- timelines -----------------------------------------------------------------------


def test_creator_timelines_are_mostly_on_the_niche(world: XWorld) -> None:
    shares = []
    for niche in NICHES_DEFAULT:
        for uid in world.authentic_micro(niche):
            originals = _originals(world, uid)
            assert len(originals) >= 100
            shares.append(niche_share(originals[:100], niche))
    assert all(0.5 <= s <= 0.95 for s in shares)
    assert 0.65 <= statistics.median(shares) <= 0.85


def test_other_topic_accounts_use_the_keyword_once(world: XWorld) -> None:
    for niche in NICHES_DEFAULT:
        nq = build_query(niche)
        for uid in world.ids_of("other_topic", niche):
            indexed = [p for p in world.dataset["posts"] if p["author_id"] == uid]
            assert len(indexed) == 1
            assert matches_niche(indexed[0]["text"], nq)
            assert world.niche_of(uid) not in (niche, None)
            assert niche_share(world.timeline(uid)[:100], niche) <= 0.05


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [("casual", 0.05, 0.4), ("brand", 0.6, 1.0), ("news", 0.0, 0.25), ("big", 0.3, 0.8)],
)
def test_timeline_niche_share_by_kind(world: XWorld, kind: str, low: float, high: float) -> None:
    shares = [
        niche_share(world.timeline(uid), niche)
        for niche in NICHES_DEFAULT
        for uid in sorted(world.ids_of(kind, niche))[:40]
    ]
    assert low <= statistics.median(shares) <= high


def test_timelines_contain_exactly_the_indexed_posts(world: XWorld) -> None:
    index = {p["id"]: p for p in world.dataset["posts"]}
    queries = [build_query(n) for n in NICHES_DEFAULT]
    window_start = world.observed_at - WEEK
    users = _users(world)
    sample = [
        u
        for kind in ("creator", "casual", "spam", "brand", "other_topic")
        for u in sorted(world.ids_of(kind))[:15]
    ]
    for uid in sample:
        timeline = world.timeline(uid)
        assert timeline is world.timeline(uid)  # memoised
        ids = [int(p["id"]) for p in timeline]
        assert ids == sorted(ids, reverse=True)
        assert timeline[0]["id"] == users[uid]["most_recent_tweet_id"]
        indexed = [p for p in world.dataset["posts"] if p["author_id"] == uid]
        by_id = {p["id"]: p for p in timeline}
        for post in indexed:
            assert by_id[post["id"]] is post  # same object, same metrics
        own = world.search_niche(uid)
        for post in timeline:
            assert post["author_id"] == uid
            if post["id"] in index:
                continue
            created = parse_datetime(post["created_at"])
            assert created is not None
            # never on another niche; in the window, not on its own either (else indexed)
            others = [q for q in queries if q.key != own or created >= window_start]
            assert not any(matches_niche(post["text"], q) for q in others), post["text"]
        assert len(timeline) >= len(indexed)
        if world.kind(uid) != "spam":  # days-old spam may have posted nothing else
            assert len(timeline) > len(indexed)
    assert world.timeline("1") == []


def test_timeline_kinds_of_posts(world: XWorld) -> None:
    uid = sorted(world.ids_of("casual", "gaming"))[0]
    kinds = Counter(
        r["type"] for u in sorted(world.ids_of("casual"))[:60] for p in world.timeline(u)
        for r in p.get("referenced_tweets", ())
    )  # fmt: skip
    assert kinds["retweeted"] > 0
    assert kinds["replied_to"] > 0
    assert world.timeline(uid)


# --- wire fields ---------------------------------------------------------------------


def test_posts_carry_x_v2_fields(world: XWorld) -> None:
    users = _users(world)
    handles = {u["username"]: u["id"] for u in world.dataset["users"]}
    posts = world.dataset["posts"]
    revisions: Counter[bool] = Counter()
    for post in posts[:3_000]:
        assert {"id", "text", "author_id", "created_at", "lang", "edit_history_tweet_ids"} <= set(
            post
        )
        assert post["edit_history_tweet_ids"] == [post["id"]]
        assert "conversation_id" in post
        metrics = post["public_metrics"]
        assert {
            "like_count",
            "reply_count",
            "quote_count",
            "impression_count",
            "bookmark_count",
        } <= set(metrics)
        revisions["repost_count" in metrics] += 1
        assert ("repost_count" in metrics) != ("retweet_count" in metrics)
        entities = post.get("entities", {})
        for mention in entities.get("mentions", ()):
            assert handles[mention["username"]] == mention["id"]
            assert post["text"][mention["start"] : mention["end"]] == f"@{mention['username']}"
        for tag in entities.get("hashtags", ()):
            assert post["text"][tag["start"] : tag["end"]] == f"#{tag['tag']}"
        for url in entities.get("urls", ()):
            assert post["text"][url["start"] : url["end"]] == url["url"]
            assert url["url"].startswith("https://t.co/")
            assert url["expanded_url"].startswith("https://")
        refs = post.get("referenced_tweets", ())
        if refs and refs[0]["type"] == "replied_to":
            target = users[post["in_reply_to_user_id"]]
            assert post["text"].startswith(f"@{target['username']} ")
            assert entities["mentions"][0]["id"] == target["id"]
            assert post["conversation_id"] == refs[0]["id"]
    assert revisions[True] > 500
    assert revisions[False] > 500
    assert sum(bool(p.get("paid_partnership")) for p in posts) > 5
    assert sum(bool(p.get("entities", {}).get("mentions")) for p in posts) > len(posts) / 5


def test_users_carry_x_v2_fields(world: XWorld) -> None:
    users = world.dataset["users"]
    assert len({u["id"] for u in users}) == len(users)
    assert len({u["username"].lower() for u in users}) == len(users)
    for user in users:
        assert {"id", "username", "name", "created_at", "description", "location", "url",
                "profile_image_url", "verified", "protected", "most_recent_tweet_id",
                "public_metrics"} <= set(user)  # fmt: skip
        assert len(user["username"]) <= 15
        assert user["id"].isdigit()
        assert len(user["id"]) <= 19
        metrics = user["public_metrics"]
        assert ("post_count" in metrics) != ("tweet_count" in metrics)
        assert {"followers_count", "following_count", "listed_count", "like_count"} <= set(metrics)
        assert metrics.get("post_count", metrics.get("tweet_count")) >= 20
        parse_user(user)
    protected = [u for u in users if u["protected"]]
    assert protected
    assert {world.kind(u["id"]) for u in protected} == {"casual"}


def test_labels_are_ground_truth(world: XWorld) -> None:
    labels = world.dataset["labels"]
    assert set(labels["bought_audience"]) == world.bought_audience
    assert world.bought_audience == world.ids_of("bought")
    for niche in NICHES_DEFAULT:
        assert set(labels["authentic_micro"][niche]) == world.authentic_micro(niche)
        assert world.authentic_micro(niche) == world.ids_of("creator", niche)
    assert all(world.kind(uid) == kind for uid, kind in labels["kind"].items())
    assert set(labels["kind"]) == {u["id"] for u in world.dataset["users"]}


def test_casual_posts_mention_the_creators_they_follow(world: XWorld) -> None:
    mentions: Counter[str] = Counter()
    casual_posts = 0
    mentioning = 0
    for post in world.dataset["posts"]:
        if world.kind(post["author_id"]) != "casual" or "referenced_tweets" in post:
            continue
        casual_posts += 1
        found = post.get("entities", {}).get("mentions", ())
        mentioning += bool(found)
        mentions.update(world.kind(m["id"]) for m in found)
    assert 0.12 <= mentioning / casual_posts <= 0.3
    per_account = {
        kind: mentions[kind] / len(world.ids_of(kind))
        for kind in ("creator", "big", "bought", "spam")
    }
    assert per_account["creator"] > 3 * per_account["bought"]
    assert per_account["big"] > per_account["creator"]
    assert per_account["spam"] == 0


# --- determinism and parameters ----------------------------------------------------


def test_same_seed_same_world_other_seed_other_world() -> None:
    at = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    one = generate_world(seed=5, scale=0.05, observed_at=at)
    two = generate_world(seed=5, scale=0.05, observed_at=at)
    other = generate_world(seed=6, scale=0.05, observed_at=at)
    assert one.dataset == two.dataset
    assert one.observed_at == at
    assert one.dataset["observed_at"] == "2026-05-04T12:00:00.000Z"
    uid = sorted(one.authentic_micro("coffee"))[0]
    assert one.timeline(uid) == two.timeline(uid)
    # a timeline does not depend on which timelines were asked for before it
    fresh = generate_world(seed=5, scale=0.05, observed_at=at)
    assert fresh.timeline(uid) == one.timeline(uid)
    assert other.dataset["posts"] != one.dataset["posts"]


def test_any_niche_list() -> None:
    world = generate_world(niches=("yoga", "personal finance"), scale=0.05, seed=1)
    for niche in ("yoga", "personal finance"):
        found = _matched(world, niche)
        assert 300 <= len(found) <= 900
        assert len(world.recall_ceiling(niche)) >= 8
    with pytest.raises(ValueError, match="scale"):
        generate_world(scale=0)
