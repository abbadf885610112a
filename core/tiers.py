"""Follower tiers: boundaries, lookup, hysteresis for alerts, and follower counts as text.

Tiers are lower bounds: an account is in the highest tier whose bound it reaches, and in
no tier below `nano`. The defaults follow PRODUCT.md; deployments and workspaces may set
their own because sources disagree on where "micro" starts and ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise

from core.errors import BadInput
from core.models import Tier

__all__ = [
    "DEFAULT_TIERS",
    "TierBoundaries",
    "confirmed_tier",
    "format_count",
    "parse_count",
    "tier_for",
    "tier_range",
]

# Ascending, so index i+1 holds the tier that ends tier i.
_ORDER: tuple[Tier, ...] = (Tier.NANO, Tier.MICRO, Tier.MID, Tier.MACRO, Tier.MEGA)


@dataclass(frozen=True)
class TierBoundaries:
    """Lower follower bound of each tier (inclusive). Must be strictly ascending and > 0."""

    nano: int = 1_000
    micro: int = 10_000
    mid: int = 50_000
    macro: int = 500_000
    mega: int = 1_000_000

    def __post_init__(self) -> None:
        values = self.as_tuple()
        for tier, value in zip(_ORDER, values, strict=True):
            # bool is an int subclass; `micro=True` is a bug, not a boundary.
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise BadInput(f"Tier boundary {tier.value}={value!r} must be a positive integer.")
        for (lo_tier, lo), (hi_tier, hi) in pairwise(zip(_ORDER, values, strict=True)):
            if hi <= lo:
                raise BadInput(
                    f"Tier boundaries must go up: {hi_tier.value}={hi:,} is not above "
                    f"{lo_tier.value}={lo:,}."
                )

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        """The five lower bounds, nano first."""
        return (self.nano, self.micro, self.mid, self.macro, self.mega)

    def lower(self, tier: Tier) -> int:
        """Lower bound (inclusive) of `tier`."""
        return int(getattr(self, tier.value))

    @classmethod
    def parse(cls, text: str) -> TierBoundaries:
        """Parse `"nano=1000,micro=10k,mid=50000"`; unnamed tiers keep their defaults.

        Values accept what `parse_count` accepts (`10k`, `10,000`). An empty string gives
        the defaults, so an unset setting is not an error.
        """
        names = {f.name for f in fields(cls)}
        values: dict[str, int] = {}
        # Commas separate pairs, but `10,000` also has one: split on commas that start a
        # new `name=` pair only.
        for raw in re.split(r",(?=\s*[A-Za-z_]+\s*=)", text.strip()) if text.strip() else []:
            name, sep, value = raw.partition("=")
            name = name.strip().lower()
            if not sep or not name:
                raise BadInput(
                    "Tier boundaries look like 'micro=10000,mid=50000'; "
                    f"could not read {raw.strip()[:30]!r}."
                )
            if name not in names:
                raise BadInput(
                    f"Unknown tier {name[:20]!r} in tier boundaries; "
                    f"use {', '.join(t.value for t in _ORDER)}."
                )
            if name in values:
                raise BadInput(f"Tier {name!r} is set twice in tier boundaries.")
            try:
                values[name] = parse_count(value)
            except BadInput as err:
                raise BadInput(f"Tier boundary {name}: {err}") from None
        return cls(**values)


DEFAULT_TIERS = TierBoundaries()


def tier_for(followers: int, bounds: TierBoundaries = DEFAULT_TIERS) -> Tier | None:
    """The tier of an account with `followers` followers, or None below `nano`."""
    found: Tier | None = None
    for tier, low in zip(_ORDER, bounds.as_tuple(), strict=True):
        if followers < low:
            break
        found = tier
    return found


def tier_range(tier: Tier, bounds: TierBoundaries = DEFAULT_TIERS) -> tuple[int, int | None]:
    """(low inclusive, high exclusive) follower range of `tier`; high is None for mega."""
    i = _ORDER.index(tier)
    high = bounds.lower(_ORDER[i + 1]) if i + 1 < len(_ORDER) else None
    return bounds.lower(tier), high


def confirmed_tier(
    previous: Tier | None,
    followers: int,
    bounds: TierBoundaries = DEFAULT_TIERS,
    margin: float = 0.02,
    *,
    first: bool = False,
) -> Tier | None:
    """The tier to record for an account now, given the tier confirmed last time.

    Hysteresis keeps an account hovering around a boundary from flapping: the confirmed
    tier only changes once followers leave the widened band
    `[low(previous) * (1 - margin), high(previous) * (1 + margin))`; then the new tier
    is plain `tier_for(followers)`. So micro at 49,990 -> 50,010 stays micro, and only
    51,000 (50,000 * 1.02) confirms mid.

    `first=True` means there is no earlier confirmation (a newly tracked account): the
    answer is `tier_for(followers)` and `previous` is ignored. With `first=False`,
    `previous=None` means "confirmed below nano", i.e. the band `[0, nano)`.
    """
    if not 0 <= margin < 1:
        raise BadInput(f"Tier margin must be at least 0 and below 1, not {margin!r}.")
    if first:
        return tier_for(followers, bounds)
    low: int
    high: int | None
    if previous is None:
        low, high = 0, bounds.nano
    else:
        low, high = tier_range(previous, bounds)
    # Exact arithmetic: a float 50_000 * 1.02 must not decide a boundary by rounding noise.
    m = Fraction(str(margin))
    inside = followers >= low * (1 - m) and (high is None or followers < high * (1 + m))
    return previous if inside else tier_for(followers, bounds)


def _trim(digits: str) -> str:
    """Drop trailing zeros of a fractional part, and the point if nothing is left."""
    return digits.rstrip("0").rstrip(".")


def format_count(n: int) -> str:
    """Short human form for chat: 950, 12.3K, 50K, 1.25M, 2.5B.

    Rounds down, like X does, so 49,999 reads "49.9K" and never looks like the 50K
    that would put it in the next tier.
    """
    if n < 0:
        return "-" + format_count(-n)
    if n < 1_000:
        return str(n)
    if n < 1_000_000:
        tenths = n // 100
        return _trim(f"{tenths // 10}.{tenths % 10}") + "K"
    unit, suffix = (1_000_000, "M") if n < 1_000_000_000 else (1_000_000_000, "B")
    hundredths = n * 100 // unit
    return _trim(f"{hundredths // 100}.{hundredths % 100:02d}") + suffix


_COUNT = re.compile(
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"\s*(?P<suffix>[kmb]?)",
    re.ASCII | re.IGNORECASE,
)
_MULTIPLIER = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_COUNT_HELP = "Follower counts look like 10k, 50,000 or 1.5m."


def parse_count(text: str) -> int:
    """Parse a follower count as people type it: `10k`, `10K`, `10,000`, `1.5m`, `50000`.

    Underscores and surrounding spaces are ignored. Raises `BadInput` on anything else,
    on negative numbers and on fractions of a follower (`1.2345k`).
    """
    cleaned = text.strip().replace("_", "")
    if cleaned.startswith("-"):
        raise BadInput(f"A follower count cannot be negative. {_COUNT_HELP}")
    # Bound the input before Decimal sees it: no reason for a count to be longer.
    match = _COUNT.fullmatch(cleaned) if len(cleaned) <= 32 else None
    if match is None:
        raise BadInput(f"That is not a follower count. {_COUNT_HELP}")
    try:
        value = Decimal(match["num"].replace(",", "")) * _MULTIPLIER[match["suffix"].lower()]
    except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
        raise BadInput(f"That is not a follower count. {_COUNT_HELP}") from None
    if value != value.to_integral_value():
        raise BadInput(f"A follower count must be a whole number. {_COUNT_HELP}")
    return int(value)
