"""Scoring: engagement, relevance, suspicion signals, the combined score and ranking."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import BadInput
from core.models import Candidate, Post, Reason, ReasonKind, Tier, XUser
from core.niches import build_query
from core.scoring import (
    SUSPICION_WEIGHTS,
    EngagementNorms,
    ScoringWeights,
    engagement_rate,
    engagement_score,
    rank,
    relevance,
    score_candidate,
    suspicion_signals,
)
from core.tiers import DEFAULT_TIERS
from core.wording import engagement

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NORMS = EngagementNorms()
FITNESS = build_query("fitness")


def make_user(**changes: object) -> XUser:
    """A genuine-looking micro account; tests change one thing at a time."""
    user = XUser(
        id="1",
        username="jane_lifts",
        name="Jane",
        followers=20_000,
        following=800,
        post_count=5_000,
        description="Fitness coach. Strength training for busy people.",
        created_at=NOW - timedelta(days=5 * 365),
    )
    return replace(user, **changes)  # type: ignore[arg-type]


def make_posts(
    interactions: list[int],
    text: str = "Today's workout: squats",
    *,
    author: str = "1",
    age: timedelta = timedelta(days=1),
) -> list[Post]:
    return [
        Post(id=f"p{i}", author_id=author, text=text, created_at=NOW - age, likes=n)
        for i, n in enumerate(interactions)
    ]


def kinds(reasons: tuple[Reason, ...]) -> list[ReasonKind]:
    return [r.kind for r in reasons]


def texts(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.text for r in reasons]


# --- engagement --------------------------------------------------------------------------


def test_engagement_rate_is_mean_interactions_over_followers() -> None:
    posts = [
        Post(id="a", author_id="1", text="", likes=50, reposts=20, replies=20, quotes=10),
        Post(id="b", author_id="1", text="", likes=300),
    ]
    assert engagement_rate(posts, 10_000) == pytest.approx(0.02)


@pytest.mark.parametrize(("posts", "followers"), [([], 10_000), (make_posts([10]), 0)])
def test_engagement_rate_unknown_is_zero(posts: list[Post], followers: int) -> None:
    assert engagement_rate(posts, followers) == 0.0


# --- relevance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_niche", "sampled", "bio", "expected"),
    [
        (0, 0, False, 0.0),
        (0, 0, True, 0.4),
        (3, 3, False, 0.6),
        (3, 3, True, 1.0),
        (1, 1, False, 0.2),  # one post is not a niche yet
        (3, 6, False, 0.3),  # half of what they post
        (6, 6, True, 1.0),
        (0, 10, True, 0.4),
        (5, 3, False, 0.6),  # more matches than samples: clamped
    ],
)
def test_relevance(on_niche: int, sampled: int, bio: bool, expected: float) -> None:
    assert relevance(on_niche, sampled, bio) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("on_niche", "bio", "mentioned_by", "expected"),
    [
        (5, False, 0, 0.36),  # search shows only matches: the share is assumed, not 5 of 5
        (1, False, 0, 0.12),  # one lucky post stays far below the minimum relevance
        (1, True, 0, 0.52),
        (0, False, 3, 0.2),  # talked about by the niche, nothing posted: authority only
        (3, True, 1, 0.83),
        (3, True, 9, 0.96),  # authority is capped at 0.2
    ],
)
def test_relevance_when_only_search_matches_are_known(
    on_niche: int, bio: bool, mentioned_by: int, expected: float
) -> None:
    got = relevance(on_niche, on_niche, bio, share_known=False, mentioned_by=mentioned_by)
    assert got == pytest.approx(expected)


@given(st.integers(-5, 500), st.integers(-5, 500), st.booleans())
def test_relevance_is_bounded(on_niche: int, sampled: int, bio: bool) -> None:
    assert 0.0 <= relevance(on_niche, sampled, bio) <= 1.0


# --- suspicion signals -------------------------------------------------------------------


def sus(user: XUser, rate: float | None = 0.02, tier: Tier | None = Tier.MICRO) -> list[str]:
    return texts(suspicion_signals(user, rate, tier, NOW, NORMS)[1])


def test_genuine_account_has_no_signals() -> None:
    score, reasons = suspicion_signals(make_user(), 0.02, Tier.MICRO, NOW, NORMS)
    assert score == 0.0
    assert reasons == ()


def test_young_account_with_big_audience() -> None:
    user = make_user(created_at=NOW - timedelta(days=100), followers=40_000)
    assert "3 months old with 40K followers" in sus(user, tier=Tier.MICRO)


@pytest.mark.parametrize(
    ("days", "followers", "fires"),
    [
        (364, 10_001, True),
        (365, 10_001, False),
        (364, 10_000, False),
        (10, 45_000, True),
        (3_000, 45_000, False),
    ],
)
def test_young_edges(days: int, followers: int, fires: bool) -> None:
    user = make_user(created_at=NOW - timedelta(days=days), followers=followers, post_count=10)
    assert any(" old with " in t for t in sus(user)) is fires


def test_young_wording_for_days() -> None:
    user = make_user(created_at=NOW - timedelta(days=12), followers=15_000, post_count=10)
    assert "12 days old with 15K followers" in sus(user)
    user = make_user(created_at=NOW - timedelta(days=1), followers=15_000, post_count=10)
    assert "1 day old with 15K followers" in sus(user)
    user = make_user(created_at=NOW - timedelta(days=45), followers=15_000, post_count=10)
    assert "1 month old with 15K followers" in sus(user)


def test_young_accepts_naive_created_at() -> None:
    naive = (NOW - timedelta(days=100)).replace(tzinfo=None)
    assert "3 months old with 40K followers" in sus(make_user(created_at=naive, followers=40_000))


def test_unknown_age_is_not_judged() -> None:
    user = make_user(created_at=None, followers=40_000, post_count=10**7)
    assert sus(user) == []


def test_follow_ratio() -> None:
    user = make_user(followers=13_000, following=12_000)
    assert "follows 12K, followed by 13K" in sus(user)


@pytest.mark.parametrize(
    ("followers", "following", "fires"),
    [
        (10_000, 8_001, True),
        (10_000, 8_000, False),  # exactly 80 %
        (1_000, 801, True),
        (999, 5_000, False),  # too small to judge
        (20_000, 800, False),
    ],
)
def test_follow_ratio_edges(followers: int, following: int, fires: bool) -> None:
    user = make_user(followers=followers, following=following)
    assert any(t.startswith("follows ") for t in sus(user, tier=None)) is fires


def test_posts_per_day() -> None:
    user = make_user(created_at=NOW - timedelta(days=1_000), post_count=120_000)
    assert "posts 120 times a day" in sus(user)


@pytest.mark.parametrize(
    ("days", "posts", "fires"),
    [
        (1_000, 50_000, False),  # exactly 50 a day
        (1_000, 50_001, True),
        (0, 51, True),  # a brand-new account counts as one day old
        (0, 50, False),
    ],
)
def test_posts_per_day_edges(days: int, posts: int, fires: bool) -> None:
    user = make_user(created_at=NOW - timedelta(days=days), post_count=posts, followers=5_000)
    assert any(t.startswith("posts ") for t in sus(user, tier=Tier.NANO)) is fires


def test_default_avatar() -> None:
    assert "default profile picture" in sus(make_user(default_avatar=True))
    assert "default profile picture" not in sus(make_user(default_avatar=False))


def test_low_engagement_wording() -> None:
    assert "engagement 0.02%, far below the micro norm of 1.00%" in sus(make_user(), 0.0002)
    assert "engagement 0.01%, far below the mid norm of 0.60%" in sus(
        make_user(followers=60_000), 0.0001, Tier.MID
    )


@pytest.mark.parametrize(
    ("rate", "tier", "fires"),
    [
        (0.00095, Tier.MICRO, True),  # under 10 % of 1 %
        (0.00105, Tier.MICRO, False),
        (0.0019, Tier.NANO, True),
        (0.0021, Tier.NANO, False),
        (0.0019, None, True),  # below nano: judged against the nano norm
        (0.00029, Tier.MEGA, True),
        (0.00031, Tier.MEGA, False),
        (0.0, Tier.MICRO, True),
        (None, Tier.MICRO, False),  # no posts sampled: nothing to judge
    ],
)
def test_low_engagement_edges(rate: float | None, tier: Tier | None, fires: bool) -> None:
    assert any(t.startswith("engagement ") for t in sus(make_user(), rate, tier)) is fires


@pytest.mark.parametrize(
    ("handle", "text"),
    [
        ("ab12", "handle is mostly digits"),  # 50 %
        ("user84736251", "handle is mostly digits"),
        ("jane1990x", "handle is mostly digits"),  # 44 %
        ("janedoe_1990", "handle has 4 digits"),  # 4 digits, 33 %
        ("abc12", None),  # exactly 40 %
        ("janedoe_199", None),  # 3 digits, 27 %
        ("jane_lifts", None),
    ],
)
def test_digit_handle(handle: str, text: str | None) -> None:
    found = [t for t in sus(make_user(username=handle)) if t.startswith("handle ")]
    assert found == ([text] if text else [])


@pytest.mark.parametrize(("bio", "fires"), [("", True), ("   \n", True), ("x", False)])
def test_empty_bio(bio: str, fires: bool) -> None:
    assert ("empty bio" in sus(make_user(description=bio))) is fires


def test_signals_combine_multiplicatively() -> None:
    user = make_user(default_avatar=True, description="")
    score, reasons = suspicion_signals(user, 0.02, Tier.MICRO, NOW, NORMS)
    expected = 1 - (1 - SUSPICION_WEIGHTS["default_avatar"]) * (1 - SUSPICION_WEIGHTS["empty_bio"])
    assert score == pytest.approx(expected)
    assert kinds(reasons) == [ReasonKind.SUSPICION, ReasonKind.SUSPICION]


def test_all_signals_stay_below_one() -> None:
    user = make_user(
        username="u12345678",
        created_at=NOW - timedelta(days=30),
        followers=40_000,
        following=39_000,
        post_count=100_000,
        default_avatar=True,
        description="",
    )
    score, reasons = suspicion_signals(user, 0.0, Tier.MICRO, NOW, NORMS)
    assert len(reasons) == 7
    assert score == pytest.approx(1 - math.prod(1 - w for w in SUSPICION_WEIGHTS.values()))
    assert 0.8 < score < 1.0


# --- weights and norms -------------------------------------------------------------------


def test_default_weights() -> None:
    w = ScoringWeights()
    assert (w.engagement, w.relevance, w.authenticity, w.suspicion_penalty) == (
        0.45,
        0.35,
        0.20,
        0.6,
    )


def test_weights_parse() -> None:
    assert ScoringWeights.parse("engagement=0.5,relevance=0.3") == ScoringWeights(
        engagement=0.5, relevance=0.3
    )
    assert ScoringWeights.parse(
        " Engagement = 1 , relevance=0, authenticity=0, suspicion-penalty=0.25"
    ) == ScoringWeights(1.0, 0.0, 0.0, 0.25)
    assert ScoringWeights.parse("") == ScoringWeights()


@pytest.mark.parametrize(
    "text",
    [
        "engagement",
        "=0.5",
        "popularity=0.5",
        "engagement=abc",
        "engagement=",
        "engagement=-0.1",
        "engagement=nan",
        "engagement=inf",
        "suspicion_penalty=1.5",
        "engagement=0,relevance=0,authenticity=0",
        "engagement=0.5,engagement=0.4",
        "engagement=0.5;relevance=0.3",
    ],
)
def test_weights_parse_errors(text: str) -> None:
    with pytest.raises(BadInput):
        ScoringWeights.parse(text)


def test_weights_validated_on_construction() -> None:
    with pytest.raises(BadInput):
        ScoringWeights(engagement=-1)
    with pytest.raises(BadInput):
        ScoringWeights(suspicion_penalty=math.nan)


def test_norms() -> None:
    assert NORMS.for_tier(Tier.NANO) == 0.02
    assert NORMS.for_tier(Tier.MICRO) == 0.01
    assert NORMS.for_tier(Tier.MID) == 0.006
    assert NORMS.for_tier(Tier.MACRO) == 0.004
    assert NORMS.for_tier(Tier.MEGA) == 0.003
    assert NORMS.for_tier(None) == 0.02
    assert EngagementNorms.parse("micro=0.02").micro == 0.02
    for bad in ("micro=0", "micro=-0.01", "micro=2", "giga=0.1", "micro=x"):
        with pytest.raises(BadInput):
            EngagementNorms.parse(bad)


# --- score_candidate ---------------------------------------------------------------------


def score(user: XUser, posts: list[Post], **kw: object) -> Candidate:
    return score_candidate(user, posts, FITNESS, bounds=DEFAULT_TIERS, now=NOW, **kw)  # type: ignore[arg-type]


def test_genuine_candidate_reasons_and_numbers() -> None:
    posts = make_posts([400, 500, 480, 460])  # 2.3 % of 20K
    c = score(make_user(), posts, verified=True)
    assert c.tier is Tier.MICRO
    assert c.engagement_rate == pytest.approx(0.023)
    assert c.relevance == pytest.approx(1.0)
    assert c.suspicion == 0.0
    assert c.sampled_posts == 4
    assert (c.verified_on, c.verified_on_niche, c.small_sample) == (4, 4, False)
    assert texts(c.reasons) == [
        "engagement 2.30% over 4 posts (micro norm 1.00%)",
        "4 of 4 latest posts on fitness",
        "bio mentions fitness",
    ]
    assert kinds(c.reasons) == [ReasonKind.STRENGTH] * 3
    # E = 0.023 / (0.023 + 0.01), R = 1, S = 0.
    assert c.score == pytest.approx(100 * (0.45 * 0.023 / 0.033 + 0.35 + 0.20), abs=0.01)
    assert len(c.sample_posts) == 3
    assert c.sample_posts[0].likes == 500  # the best niche posts, best first


def test_unverified_candidate_says_what_search_saw() -> None:
    c = score(make_user(), make_posts([400, 500, 480, 460]))
    assert c.verified_on == 0
    assert c.relevance == pytest.approx(relevance(4, 4, True, share_known=False))
    assert "4 posts on fitness in the last 7 days" in texts(c.reasons)


def test_disclosed_brand_deals_are_a_reason() -> None:
    posts = [replace(p, paid_partnership=i == 0) for i, p in enumerate(make_posts([400] * 4))]
    c = score(make_user(), posts, verified=True)
    assert "1 of 4 posts marked paid partnership" in texts(c.reasons)
    assert not any("paid partnership" in t for t in texts(score(make_user(), posts[1:]).reasons))


def test_mentions_are_a_reason() -> None:
    c = score(make_user(username="jane_lifts"), make_posts([400]), mentioned_by=3)
    assert "3 niche accounts mention @jane_lifts" in texts(c.reasons)
    assert c.mentioned_by == 3


@pytest.mark.parametrize(("n", "factor"), [(1, 0.5), (2, 0.75), (3, 1.0), (20, 1.0)])
def test_small_samples_weigh_less(n: int, factor: float) -> None:
    user = make_user()
    c = score(user, make_posts([400] * n), verified=True)
    engaged = ScoringWeights(engagement=1, relevance=0, authenticity=0)
    alone = score(user, make_posts([400] * n), verified=True, weights=engaged)
    assert alone.score == pytest.approx(100 * factor * 0.02 / 0.03, abs=0.01)
    assert c.small_sample is (n < 3)


def test_score_formula() -> None:
    posts = make_posts([100, 100, 100], "nothing on topic") + make_posts([100], "gym day")
    user = make_user(description="", default_avatar=False)
    c = score(user, posts)
    e = (100 / 20_000) / (100 / 20_000 + 0.01)
    r = relevance(1, 4, False, share_known=False)
    s = SUSPICION_WEIGHTS["empty_bio"]
    expected = 100 * (0.45 * e + 0.35 * r + 0.20 * (1 - s)) * (1 - 0.6 * s)
    assert c.score == pytest.approx(expected, abs=0.01)
    assert c.suspicion == pytest.approx(s)


def test_old_posts_are_counted_as_sampled() -> None:
    posts = make_posts([300, 300], age=timedelta(days=20)) + make_posts(
        [300], "nothing", age=timedelta(days=20)
    )
    c = score(make_user(), posts)
    assert "2 of 3 sampled posts on fitness" in texts(c.reasons)


def test_one_post_wording() -> None:
    c = score(make_user(description="Dad of two"), make_posts([300]))
    assert "1 post on fitness in the last 7 days" in texts(c.reasons)
    assert not any(t.startswith("bio mentions") for t in texts(c.reasons))


def test_no_posts_means_no_engagement_judgement() -> None:
    c = score(make_user(), [])
    assert c.engagement_rate == 0.0
    assert c.sampled_posts == 0
    assert not any(t.startswith("engagement") for t in texts(c.reasons))
    assert texts(c.reasons) == ["bio mentions fitness"]


def test_low_engagement_is_said_once_as_suspicion() -> None:
    c = score(make_user(), make_posts([2, 4, 6]))  # 0.02 %
    engagement = [r for r in c.reasons if r.text.startswith("engagement")]
    assert engagement == [
        Reason(ReasonKind.SUSPICION, "engagement 0.02%, far below the micro norm of 1.00%")
    ]


def test_strengths_come_before_suspicion() -> None:
    user = make_user(default_avatar=True, username="jane1990x")
    c = score(user, make_posts([400, 400]))
    k = kinds(c.reasons)
    assert k == sorted(k, key=lambda kind: kind is ReasonKind.SUSPICION)
    assert ReasonKind.STRENGTH in k
    assert ReasonKind.SUSPICION in k


def test_below_nano_account_gets_no_tier() -> None:
    c = score(make_user(followers=500, following=100), make_posts([20]))
    assert c.tier is None
    assert "engagement 4.00% over 1 post (small sample; nano norm 2.00%)" in texts(c.reasons)


def test_bought_looking_account_ranks_below_genuine_one() -> None:
    genuine = make_user()
    bought = make_user(
        id="2",
        username="fit83920174",
        created_at=NOW - timedelta(days=90),
        default_avatar=True,
        description="Fitness fitness fitness",
    )
    g = score(genuine, make_posts([300, 280, 350]))
    b = score(bought, make_posts([5, 3, 4], author="2"))
    assert g.user.followers == b.user.followers
    assert b.suspicion > 0.7
    assert b.score < g.score / 2
    assert rank([b, g]) == [g, b]
    reasons = texts(b.reasons)
    assert "3 months old with 20K followers" in reasons
    assert "default profile picture" in reasons
    assert "handle is mostly digits" in reasons
    assert any("far below the micro norm" in t for t in reasons)


def test_weights_change_the_ranking() -> None:
    engaged = make_user(id="a", username="engaged", description="Dad of two")
    on_topic = make_user(id="b", username="ontopic")
    a = make_posts([1_000, 1_000, 1_000], "random thoughts", author="a")
    b = make_posts([100, 100, 100], author="b")
    default = rank([score(engaged, a), score(on_topic, b)])
    assert default[0].user.username == "ontopic"
    engagement_only = ScoringWeights(engagement=1, relevance=0, authenticity=0)
    ranked = rank([score(engaged, a, weights=engagement_only), score(on_topic, b)])
    assert ranked[0].user.username == "engaged"


def test_percentages_share_precision() -> None:
    c = score(make_user(followers=60_000), make_posts([480]))  # 0.8 % vs mid 0.6 %
    assert "engagement 0.80% over 1 post (small sample; mid norm 0.60%)" in texts(c.reasons)
    # Above 1 % too: the reason reads the rate as the headline does (core.wording).
    c = score(make_user(), make_posts([722]))  # 3.61 % of 20K
    assert "engagement 3.61% over 1 post (small sample; micro norm 1.00%)" in texts(c.reasons)
    assert engagement(c.engagement_rate) == "3.61%"


def test_custom_norms_are_used() -> None:
    c = score(make_user(), make_posts([400]), norms=EngagementNorms(micro=0.05))
    assert "engagement 2.00% over 1 post (small sample; micro norm 5.00%)" in texts(c.reasons)


@given(
    st.integers(0, 2_000_000),
    st.lists(st.integers(0, 100_000), max_size=10),
    st.booleans(),
    st.integers(0, 5_000),
)
def test_score_is_bounded(followers: int, likes: list[int], avatar: bool, age_days: int) -> None:
    user = make_user(
        followers=followers, default_avatar=avatar, created_at=NOW - timedelta(days=age_days)
    )
    c = score(user, make_posts(likes))
    assert 0.0 <= c.score <= 100.0
    assert 0.0 <= c.relevance <= 1.0
    assert 0.0 <= c.suspicion < 1.0


# --- rank --------------------------------------------------------------------------------


def cand(username: str, score_: float, rate: float) -> Candidate:
    return Candidate(
        user=make_user(username=username, id=username),
        tier=Tier.MICRO,
        engagement_rate=rate,
        relevance=0.5,
        suspicion=0.0,
        score=score_,
        reasons=(),
    )


def test_rank_order_and_ties() -> None:
    items = [
        cand("zed", 50.0, 0.01),
        cand("amy", 80.0, 0.01),
        cand("bob", 50.0, 0.03),
        cand("Cat", 50.0, 0.01),
        cand("al", 50.0, 0.01),
    ]
    ranked = [c.user.username for c in rank(items)]
    assert ranked == ["amy", "bob", "al", "Cat", "zed"]
    assert [c.user.username for c in rank(reversed(items))] == ranked


def test_rank_empty() -> None:
    assert rank([]) == []


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(0.0, 0.0), (0.01, 0.5), (0.02, 2 / 3), (0.04, 0.8), (1.0, 1 / 1.01)],
)
def test_engagement_score_is_half_at_the_norm_and_never_caps(rate: float, expected: float) -> None:
    assert engagement_score(rate, 0.01) == pytest.approx(expected)


def test_stronger_engagement_always_ranks_higher() -> None:
    # The old min(1, rate / 2 norm) gave both 100: nothing told them apart.
    good = score(make_user(), make_posts([500, 500, 500]))  # 2.5 %
    better = score(make_user(), make_posts([1_000, 1_000, 1_000]))  # 5 %
    assert better.score > good.score
