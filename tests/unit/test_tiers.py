"""Tier boundaries, tier lookup, hysteresis, and follower counts as text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import BadInput
from core.models import Tier
from core.tiers import (
    DEFAULT_TIERS,
    TierBoundaries,
    confirmed_tier,
    format_count,
    parse_count,
    tier_for,
    tier_range,
)


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, None),
        (999, None),
        (1_000, Tier.NANO),
        (9_999, Tier.NANO),
        (10_000, Tier.MICRO),
        (49_999, Tier.MICRO),
        (50_000, Tier.MID),
        (499_999, Tier.MID),
        (500_000, Tier.MACRO),
        (999_999, Tier.MACRO),
        (1_000_000, Tier.MEGA),
        (250_000_000, Tier.MEGA),
    ],
)
def test_tier_for_default_edges(followers: int, tier: Tier | None) -> None:
    assert tier_for(followers) == tier
    assert tier_for(followers, DEFAULT_TIERS) == tier


def test_tier_for_negative_is_no_tier() -> None:
    assert tier_for(-5) is None


CUSTOM = TierBoundaries(nano=500, micro=5_000, mid=20_000, macro=200_000, mega=2_000_000)


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (499, None),
        (500, Tier.NANO),
        (4_999, Tier.NANO),
        (5_000, Tier.MICRO),
        (19_999, Tier.MICRO),
        (20_000, Tier.MID),
        (199_999, Tier.MID),
        (200_000, Tier.MACRO),
        (1_999_999, Tier.MACRO),
        (2_000_000, Tier.MEGA),
    ],
)
def test_tier_for_custom_boundaries(followers: int, tier: Tier | None) -> None:
    assert tier_for(followers, CUSTOM) == tier


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        (Tier.NANO, (1_000, 10_000)),
        (Tier.MICRO, (10_000, 50_000)),
        (Tier.MID, (50_000, 500_000)),
        (Tier.MACRO, (500_000, 1_000_000)),
        (Tier.MEGA, (1_000_000, None)),
    ],
)
def test_tier_range(tier: Tier, expected: tuple[int, int | None]) -> None:
    assert tier_range(tier) == expected


def test_tier_range_custom() -> None:
    assert tier_range(Tier.MICRO, CUSTOM) == (5_000, 20_000)
    assert tier_range(Tier.MEGA, CUSTOM) == (2_000_000, None)


@pytest.mark.parametrize("tier", list(Tier))
def test_tier_range_agrees_with_tier_for(tier: Tier) -> None:
    low, high = tier_range(tier)
    assert tier_for(low) == tier
    if high is not None:
        assert tier_for(high - 1) == tier
        assert tier_for(high) != tier


# --- boundaries: validation and parsing ------------------------------------------------


def test_default_boundaries() -> None:
    assert DEFAULT_TIERS.as_tuple() == (1_000, 10_000, 50_000, 500_000, 1_000_000)
    assert TierBoundaries() == DEFAULT_TIERS


@pytest.mark.parametrize(
    "kwargs",
    [
        {"micro": 1_000},  # equal to nano
        {"micro": 500},  # below nano
        {"mid": 2_000_000},  # above mega
        {"nano": 0},
        {"nano": -1},
        {"micro": 10_000.5},
        {"micro": "10000"},
        {"nano": True},
    ],
)
def test_boundaries_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        TierBoundaries(**kwargs)  # type: ignore[arg-type]


def test_boundaries_are_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_TIERS.micro = 5  # type: ignore[misc]


def test_parse_full_spec() -> None:
    parsed = TierBoundaries.parse("nano=1000,micro=10000,mid=50000,macro=500000,mega=1000000")
    assert parsed == DEFAULT_TIERS


def test_parse_partial_overrides_defaults() -> None:
    parsed = TierBoundaries.parse("micro=5000, mid=20k")
    assert parsed == TierBoundaries(micro=5_000, mid=20_000)


def test_parse_accepts_counts_with_commas_and_case() -> None:
    parsed = TierBoundaries.parse(" NANO = 2,000 , Micro=12,500 ")
    assert parsed == TierBoundaries(nano=2_000, micro=12_500)


def test_parse_empty_is_defaults() -> None:
    assert TierBoundaries.parse("") == DEFAULT_TIERS
    assert TierBoundaries.parse("   ") == DEFAULT_TIERS


@pytest.mark.parametrize(
    "text",
    [
        "micro",
        "micro=",
        "=10000",
        "giga=5",
        "micro=abc",
        "micro=-10",
        "micro=10000,micro=20000",
        "micro=500",  # below the default nano
        "mid=5000000",  # above the default mega
        "micro=10000;mid=50000",
        ",",
    ],
)
def test_parse_rejects_junk(text: str) -> None:
    with pytest.raises(BadInput):
        TierBoundaries.parse(text)


def test_parse_error_message_is_friendly() -> None:
    with pytest.raises(BadInput, match="Unknown tier 'giga'"):
        TierBoundaries.parse("giga=5")
    with pytest.raises(BadInput, match="must go up"):
        TierBoundaries.parse("micro=60000")


# --- hysteresis ------------------------------------------------------------------------


def test_first_confirmation_is_plain_tier() -> None:
    assert confirmed_tier(None, 49_990, first=True) == Tier.MICRO
    assert confirmed_tier(Tier.MEGA, 49_990, first=True) == Tier.MICRO
    assert confirmed_tier(None, 500, first=True) is None


def test_hovering_around_a_boundary_never_changes_tier() -> None:
    tier = confirmed_tier(None, 49_990, first=True)
    seen = []
    for followers in (50_010, 49_995, 50_020, 49_990, 50_999):
        tier = confirmed_tier(tier, followers)
        seen.append(tier)
    assert seen == [Tier.MICRO] * 5


def test_hovering_after_crossing_up_stays_mid() -> None:
    tier = confirmed_tier(Tier.MICRO, 51_000)
    assert tier == Tier.MID
    for followers in (50_010, 49_995, 49_500, 49_000):
        tier = confirmed_tier(tier, followers)
        assert tier == Tier.MID


@pytest.mark.parametrize(
    ("previous", "followers", "expected"),
    [
        (Tier.MICRO, 50_010, Tier.MICRO),
        (Tier.MICRO, 50_999, Tier.MICRO),
        (Tier.MICRO, 51_000, Tier.MID),  # exactly 50,000 * 1.02 leaves the band
        (Tier.MID, 49_500, Tier.MID),
        (Tier.MID, 49_000, Tier.MID),  # 50,000 * 0.98 is still inside
        (Tier.MID, 48_999, Tier.MICRO),
        (Tier.MID, 48_900, Tier.MICRO),
        (Tier.MICRO, 9_800, Tier.MICRO),
        (Tier.MICRO, 9_799, Tier.NANO),
        (Tier.MEGA, 980_000, Tier.MEGA),
        (Tier.MEGA, 979_999, Tier.MACRO),
        (Tier.MEGA, 10**9, Tier.MEGA),
    ],
)
def test_real_crossings(previous: Tier, followers: int, expected: Tier) -> None:
    assert confirmed_tier(previous, followers) == expected


@pytest.mark.parametrize(
    ("previous", "followers", "expected"),
    [
        (Tier.MICRO, 600_000, Tier.MACRO),
        (Tier.MICRO, 2_000_000, Tier.MEGA),
        (Tier.MEGA, 40_000, Tier.MICRO),
        (Tier.MACRO, 500, None),
        (Tier.NANO, 60_000, Tier.MID),
    ],
)
def test_multi_tier_jumps(previous: Tier, followers: int, expected: Tier | None) -> None:
    assert confirmed_tier(previous, followers) == expected


def test_previously_below_nano() -> None:
    # Confirmed "no tier": band [0, 1,000 * 1.02).
    assert confirmed_tier(None, 1_010) is None
    assert confirmed_tier(None, 1_019) is None
    assert confirmed_tier(None, 1_020) == Tier.NANO
    assert confirmed_tier(None, 60_000) == Tier.MID
    # Whereas a first sighting takes the plain tier.
    assert confirmed_tier(None, 1_010, first=True) == Tier.NANO


def test_nano_dropping_below_nano() -> None:
    assert confirmed_tier(Tier.NANO, 990) == Tier.NANO
    assert confirmed_tier(Tier.NANO, 979) is None


def test_margin_zero_is_plain_tier() -> None:
    assert confirmed_tier(Tier.MICRO, 50_000, margin=0) == Tier.MID
    assert confirmed_tier(Tier.MID, 49_999, margin=0) == Tier.MICRO


def test_custom_margin_and_boundaries() -> None:
    assert confirmed_tier(Tier.MICRO, 20_900, CUSTOM, margin=0.05) == Tier.MICRO
    assert confirmed_tier(Tier.MICRO, 21_000, CUSTOM, margin=0.05) == Tier.MID


@pytest.mark.parametrize("margin", [-0.01, 1.0, 2.0])
def test_bad_margin(margin: float) -> None:
    with pytest.raises(BadInput):
        confirmed_tier(Tier.MICRO, 20_000, margin=margin)


# --- follower counts as text -----------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (950, "950"),
        (999, "999"),
        (1_000, "1K"),
        (1_234, "1.2K"),
        (9_999, "9.9K"),
        (12_345, "12.3K"),
        (40_000, "40K"),
        (49_999, "49.9K"),  # rounds down: never looks like the next tier
        (50_000, "50K"),
        (999_999, "999.9K"),
        (1_000_000, "1M"),
        (1_250_000, "1.25M"),
        (1_500_000, "1.5M"),
        (1_999_999, "1.99M"),
        (2_500_000_000, "2.5B"),
        (-12_345, "-12.3K"),
    ],
)
def test_format_count(n: int, text: str) -> None:
    assert format_count(n) == text


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("10k", 10_000),
        ("10K", 10_000),
        ("10,000", 10_000),
        ("1,250,000", 1_250_000),
        ("1.5m", 1_500_000),
        ("1.5M", 1_500_000),
        ("50000", 50_000),
        ("  50000 ", 50_000),
        ("0", 0),
        ("2.5k", 2_500),
        ("10 k", 10_000),
        ("10_000", 10_000),
        (".5k", 500),
        ("1b", 1_000_000_000),
        ("12.0", 12),
    ],
)
def test_parse_count(text: str, n: int) -> None:
    assert parse_count(text) == n


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "-5",
        "-10k",
        "10kk",
        "k",
        "1e5",
        "10,00",
        "1,0000",
        "1.2345k",
        "12.5",
        "10x",
        "١٠",  # Arabic-Indic digits are not what people type for counts here
        "9" * 40,
        "NaN",
        "inf",
    ],
)
def test_parse_count_rejects_junk(text: str) -> None:
    with pytest.raises(BadInput):
        parse_count(text)


def test_parse_count_messages_are_friendly() -> None:
    with pytest.raises(BadInput, match=r"10k, 50,000 or 1\.5m"):
        parse_count("lots")
    with pytest.raises(BadInput, match="negative"):
        parse_count("-3")


# --- properties --------------------------------------------------------------------------

_ORDER = [None, Tier.NANO, Tier.MICRO, Tier.MID, Tier.MACRO, Tier.MEGA]


@given(st.integers(min_value=-10, max_value=10**10), st.integers(min_value=0, max_value=10**9))
def test_tier_for_is_monotonic(a: int, delta: int) -> None:
    assert _ORDER.index(tier_for(a)) <= _ORDER.index(tier_for(a + delta))


@st.composite
def boundaries(draw: st.DrawFn) -> TierBoundaries:
    values = sorted(draw(st.sets(st.integers(1, 10**8), min_size=5, max_size=5)))
    return TierBoundaries(*values)


@given(boundaries(), st.integers(0, 2 * 10**8), st.integers(0, 10**8))
def test_tier_for_is_monotonic_custom(bounds: TierBoundaries, a: int, delta: int) -> None:
    assert _ORDER.index(tier_for(a, bounds)) <= _ORDER.index(tier_for(a + delta, bounds))


@given(boundaries(), st.integers(0, 2 * 10**8))
def test_tier_for_lies_in_its_range(bounds: TierBoundaries, followers: int) -> None:
    tier = tier_for(followers, bounds)
    if tier is None:
        assert followers < bounds.nano
    else:
        low, high = tier_range(tier, bounds)
        assert low <= followers
        assert high is None or followers < high


@given(st.sampled_from(_ORDER), st.integers(0, 3 * 10**6))
def test_confirmed_tier_is_stable(previous: Tier | None, followers: int) -> None:
    # Confirming again with the same count never changes the answer.
    once = confirmed_tier(previous, followers)
    assert confirmed_tier(once, followers) == once


@given(st.integers(0, 10**12))
def test_format_then_parse_never_exceeds(n: int) -> None:
    # The short form rounds down, so reading it back never overstates an audience.
    assert parse_count(format_count(n)) <= n
