"""The phrases every front end shares: numbers, costs, refusals and empty-result hints."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.models import (
    AuditNeedsConfirmation,
    Cost,
    EmptyCause,
    NothingFound,
    SearchResult,
    Tier,
    XUser,
)
from core.tiers import DEFAULT_TIERS
from core.wording import (
    audit_estimate,
    cost_summary,
    engagement,
    follower_range,
    nothing_found,
    percent,
    score,
    searched_for,
    tier_conflict,
)


def test_one_precision_for_each_figure() -> None:
    assert engagement(0.0361) == "3.61%"
    assert engagement(0.036) == "3.60%"
    assert engagement(0.0002) == "0.02%"
    assert percent(0.115) == "11.5%"
    assert score(90.2) == "90/100"
    assert score(78.5) == "78/100"  # round half to even, as everywhere in Python


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (1_000, 10_000, "1K–10K followers"),
        (1_000_000, None, "1M+ followers"),
        (0, 50_001, "under 50K followers"),
        (0, None, "any number of followers"),
    ],
)
def test_follower_ranges(low: int, high: int | None, text: str) -> None:
    assert follower_range(low, high) == text


def test_costs_say_would_cost_on_the_sample() -> None:
    cost = Cost(2, 0, 2, 0.02, usd_users=0.02)
    assert cost_summary(cost) == "X cost: 2 requests · 2 users $0.02 = $0.02"
    assert cost_summary(cost, sample=True, from_cache=True, budget_left=3.5) == (
        "What this would cost on X: 2 requests · 2 users $0.02 = $0.02 "
        "(served from today's cache) · monthly budget left $3.50"
    )
    ask = AuditNeedsConfirmation("jane", 500, 5.0, 2.5)
    assert audit_estimate(ask) == "may cost up to $5.00 in X reads"
    ask = AuditNeedsConfirmation("jane", 500, 5.0, 2.5, source="sample")
    assert audit_estimate(ask) == "would cost up to $5.00 on X"


def test_a_tier_conflict_names_the_bounds_and_the_way_out() -> None:
    assert tier_conflict(Tier.NANO, "min", 20_000, DEFAULT_TIERS) == (
        "tier:nano is 1K–10K followers; min:20k is above it. Drop tier: or use tier:micro."
    )
    assert tier_conflict(Tier.MICRO, "max", 5_000, DEFAULT_TIERS) == (
        "tier:micro is 10K–50K followers; max:5k is below it. Drop tier: or use tier:nano."
    )
    assert tier_conflict(Tier.MEGA, "max", 500, DEFAULT_TIERS) == (
        "tier:mega is 1M+ followers; max:500 is below it. Drop tier: to search below every tier."
    )


def empty(nothing: NothingFound | None, niche: str = "home workout") -> SearchResult:
    return SearchResult(niche, "q", "sample", (), Cost(), nothing_found=nothing)


def test_the_empty_hint_names_the_real_cause() -> None:
    covered = NothingFound(EmptyCause.NOT_COVERED, 1_000, 10_000, covered=("fitness", "yoga"))
    assert nothing_found(empty(covered, "vegan baking")) == (
        "The sample has no posts on “vegan baking”: it covers fitness, yoga. "
        "Set X_BEARER_TOKEN to search live X."
    )
    outside = NothingFound(EmptyCause.OUT_OF_RANGE, 1_000, 10_000, outside=3, nearest=Tier.MICRO)
    assert nothing_found(empty(outside)) == (
        "Nobody with 1K–10K followers posted on “home workout” in the last 7 days; 3 accounts "
        "that did were outside that range (most of them micro): try tier:micro."
    )
    one = NothingFound(EmptyCause.OUT_OF_RANGE, 1_000, 10_000, outside=1, nearest=Tier.MID)
    assert "; 1 account that did was outside that range (it was mid): try tier:mid." in (
        nothing_found(empty(one))
    )
    off = NothingFound(EmptyCause.OFF_TOPIC, 10_000, 50_000, in_range=4, min_relevance=0.35)
    assert nothing_found(empty(off), code=lambda t: f"`{t}`") == (
        "4 accounts with 10K–50K followers posted on “home workout”, but none of them mostly "
        "posts on it (niche relevance below 0.35, `MIN_RELEVANCE`): try a broader niche."
    )
    none = NothingFound(EmptyCause.NO_POSTS, 10_000, 50_000)
    assert nothing_found(empty(none)) == (
        "No posts on “home workout” in the last 7 days from accounts with 10K–50K followers: "
        "try a broader niche, or try tier:any."
    )


def test_an_empty_lookalike_is_aimed_with_a_niche_in_the_front_ends_syntax() -> None:
    seed = XUser("1", "nadia_runs", "Nadia", 20_000, 100, 100)
    result = SearchResult(
        "", "q", "x-api", (), Cost(), seed=seed,
        nothing_found=NothingFound(EmptyCause.OFF_TOPIC, 10_000, 50_000, in_range=2),
    )  # fmt: skip
    text = nothing_found(result, niche_option="niche:<niche>")
    assert text.startswith("2 accounts with 10K–50K followers posted like @nadia_runs, but")
    assert text.endswith("aim it with a niche: /find-influencers niche:<niche> like:@nadia_runs.")


def test_a_cleaned_niche_is_shown_with_what_was_typed_escaped_by_the_front_end() -> None:
    assert searched_for(empty(None, "fitness")) is None
    hostile = replace_typed(empty(None, "fitness from nasa"), "fitness) OR (from:nasa <!here>")
    assert searched_for(hostile) == (
        "Searched for “fitness from nasa” (cleaned from what you typed: "
        "“fitness) OR (from:nasa <!here>”)"
    )
    escaped = searched_for(hostile, quote=lambda t: t.replace("<", "&lt;").replace(">", "&gt;"))
    assert escaped is not None
    assert "<!here>" not in escaped
    assert "&lt;!here&gt;" in escaped


def replace_typed(result: SearchResult, typed: str) -> SearchResult:
    return replace(result, typed_niche=typed)
