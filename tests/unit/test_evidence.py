"""Evidence from posts (audience estimates, mentions), seed terms, learned queries, codec."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.storage.codecs import decode_cached, encode_cached
from core.errors import BadInput
from core.evidence import AuthorEvidence, gather, plausible, worth_looking_up
from core.lookalike import engaged_accounts, seed_terms
from core.models import (
    Candidate,
    FoundCandidates,
    Mention,
    Post,
    Reason,
    ReasonKind,
    Tier,
    XUser,
)
from core.niches import query_from_terms

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def post(pid: str, author: str, text: str = "#fitness", **kw: object) -> Post:
    return Post(pid, author, text, NOW, "en", **kw)  # type: ignore[arg-type]


# --- gather and estimates ------------------------------------------------------------------


def test_gather_groups_posts_once_and_counts_distinct_mentioners() -> None:
    ana = (Mention("9", "ana"),)
    posts = [
        post("1", "a", mentions=ana),
        post("1", "a", mentions=ana),  # the same post twice (pages overlap)
        post("2", "a", mentions=ana),  # the same author mentioning again
        post("3", "b", mentions=ana),
        post("4", "9", mentions=(Mention("9", "ana"),)),  # a self-mention
    ]
    evidence = gather(posts)
    assert [p.id for p in evidence["a"].posts] == ["1", "2"]
    assert evidence["9"].mentioned_by == {"a", "b"}
    assert evidence["9"].handle == "ana"
    assert [p.id for p in evidence["9"].posts] == ["4"]


@pytest.mark.parametrize(
    ("impressions", "likes", "expected"),
    [
        ([1_500, 3_000, 4_500], [0, 0, 0], 20_000),  # median impressions / 0.15
        ([0, 0], [120, 120], 10_000),  # no impressions: interactions / 0.012
    ],
)
def test_audience_estimate(impressions: list[int], likes: list[int], expected: float) -> None:
    ev = AuthorEvidence(
        "a",
        [
            post(str(i), "a", likes=lk, impressions=im)
            for i, (im, lk) in enumerate(zip(impressions, likes, strict=True))
        ],
    )
    assert ev.estimated_followers == pytest.approx(expected)


@pytest.mark.parametrize(
    ("impressions", "low", "high", "expected"),
    [
        (3_000, 10_000, 50_000, True),  # ~20K
        (30, 10_000, 50_000, False),  # ~200: spam or a casual account
        (3_000_000, 10_000, 50_000, False),  # ~20M
        (15_000, 10_000, 50_000, True),  # ~100K: within the slack, a lookup decides
        (25_000, 10_000, 50_000, False),  # ~170K: far enough above to skip
        (30, 0, None, True),  # no range: everyone
    ],
)
def test_plausible(impressions: int, low: int, high: int | None, expected: bool) -> None:
    ev = AuthorEvidence("a", [post("1", "a", impressions=impressions)])
    assert plausible(ev, low, high) is expected


def test_worth_looking_up_orders_by_authority_then_posts() -> None:
    m = (Mention("z", "zed"),)
    posts = [
        post("1", "a", impressions=3_000),
        post("2", "a", impressions=3_000),
        post("3", "b", impressions=3_000, mentions=m),
        post("4", "c", impressions=3_000, mentions=m),
        post("5", "tiny", impressions=5),
    ]
    ids = worth_looking_up(gather(posts), 10_000, 50_000)
    assert ids[0] == "z"  # mentioned by two niche authors
    assert ids[1] == "a"  # two niche posts
    assert "tiny" not in ids
    assert "z" not in worth_looking_up(gather(posts), 10_000, 50_000, min_mentions=3)
    assert "a" not in worth_looking_up(gather(posts), 10_000, 50_000, exclude=["a"])


# --- seed terms ----------------------------------------------------------------------------


def test_seed_terms_prefer_recurring_hashtags_then_words() -> None:
    posts = [
        post("1", "s", "Kettlebell swings at dawn #Kettlebell #fitness https://t.co/x"),
        post("2", "s", "More kettlebell work, #kettlebell again"),
        post("3", "s", "kettlebell and coffee #fitness #kettlebell"),
        post("4", "s", "Sunset"),
    ]
    terms = seed_terms(posts, handle="s")
    assert terms[:2] == ("#kettlebell", "#fitness")
    assert "kettlebell" in terms
    assert "sunset" not in terms  # said once
    assert not any(t.startswith("http") or "t.co" in t for t in terms)


def test_seed_terms_use_entities_when_x_sent_them() -> None:
    posts = [post(str(i), "s", "no tags in text", hashtags=("legday",)) for i in range(2)]
    assert seed_terms(posts)[0] == "#legday"


def test_seed_with_nothing_recurring_learns_nothing() -> None:
    assert seed_terms([post("1", "s", "hello"), post("2", "s", "sunset")]) == ()


def test_engaged_accounts_most_mentioned_first_without_the_seed() -> None:
    posts = [
        post("1", "s", mentions=(Mention("b", "bee"), Mention("s", "self"))),
        post("2", "s", mentions=(Mention("a", "ay"), Mention("b", "bee"))),
    ]
    assert [m.id for m in engaged_accounts(posts, "s")] == ["b", "a"]


# --- learned queries stay safe -------------------------------------------------------------


def test_query_from_terms_keeps_only_words_phrases_and_hashtags() -> None:
    nq = query_from_terms(
        "kettlebell",
        "like:s",
        ["#kettlebell", "Kettlebell", "fitness) OR (from:x", "OR", "-is:reply", "home gym"],
    )
    assert nq.terms == ("#kettlebell", "kettlebell", "home gym")
    assert nq.query == '(#kettlebell OR kettlebell OR "home gym") lang:en -is:retweet -is:reply'


def test_query_from_terms_without_usable_terms_is_bad_input() -> None:
    with pytest.raises(BadInput):
        query_from_terms("x", "k", ["(", "OR", "123"])


@given(st.lists(st.text(max_size=40), min_size=1, max_size=12))
def test_learned_queries_never_carry_operators(terms: list[str]) -> None:
    try:
        nq = query_from_terms("x", "k", terms)
    except BadInput:
        return
    for term in nq.terms:
        assert not set(term) & set(':()"')
        assert not term.startswith(("-", "@", "$"))
        assert term == term.lower()  # so no `OR` can hide in a term
    assert len(nq.query) <= 512


# --- stored candidates ---------------------------------------------------------------------


def test_candidates_round_trip_through_json() -> None:
    user = XUser("1", "ana", "Ana", 20_000, 300, 4_000, created_at=NOW, description="coach")
    c = Candidate(
        user=user,
        tier=Tier.MICRO,
        engagement_rate=0.02,
        relevance=0.8,
        suspicion=0.1,
        score=71.5,
        reasons=(Reason(ReasonKind.STRENGTH, "x"), Reason(ReasonKind.SUSPICION, "y")),
        sampled_posts=20,
        niche_posts=3,
        verified_on=20,
        verified_on_niche=17,
        mentioned_by=2,
        small_sample=False,
        sample_posts=(post("9", "1", "Leg day", likes=400, mentions=(Mention("2", "b"),)),),
    )
    stored = json.loads(json.dumps(encode_cached(FoundCandidates((c,)))))
    assert decode_cached(FoundCandidates, stored).candidates == (c,)
