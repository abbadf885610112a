"""The refresh's shortcut for accounts that did not move (`core.refresh._steady`) must
agree with `core.alerts.decide` exactly, boundary by boundary, margin by margin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.alerts import Tiering, decide
from core.models import AccountStatus, Tier, TierState, XUser
from core.refresh import _steady
from core.tiers import DEFAULT_TIERS, TierBoundaries

T0 = datetime(2026, 6, 1, tzinfo=UTC)
ODD = TierBoundaries(nano=1_001, micro=9_999, mid=50_001, macro=333_333, mega=1_000_003)


def _followers_around(bounds: TierBoundaries, margin: float) -> list[int]:
    """Every count within a few of each boundary, of each widened edge, and zero."""
    counts = {0, 1}
    for low in bounds.as_tuple():
        for edge in (low, low * (1 - margin), low * (1 + margin)):
            counts.update(max(0, int(edge) + d) for d in range(-3, 4))
    return sorted(counts)


@pytest.mark.parametrize("bounds", [DEFAULT_TIERS, ODD])
@pytest.mark.parametrize("margin", [0.0, 0.02, 0.1, 0.3333])
def test_steady_is_exactly_when_decide_records_nothing(
    bounds: TierBoundaries, margin: float
) -> None:
    tiering = Tiering("", bounds, margin)
    checked = 0
    for tier in (None, *Tier):
        old = TierState("1", "jane", tier, 0, AccountStatus.ACTIVE, 3, T0)
        for followers in _followers_around(bounds, margin):
            user = XUser(
                id="1", username="Jane", name="", followers=followers, following=0, post_count=0
            )
            found = decide("1", old, user, T0, bounds=bounds, margin=margin)
            assert _steady(old, user, tiering) == (found is None), (tier, followers)
            checked += 1
    assert checked > 100


def test_renamed_missing_stale_and_new_accounts_are_never_steady() -> None:
    user = XUser(id="1", username="jane", name="", followers=20_000, following=0, post_count=0)
    micro = TierState("1", "jane", Tier.MICRO, 20_000, AccountStatus.ACTIVE, 1, T0)
    tiering = Tiering("", DEFAULT_TIERS, 0.02)
    assert _steady(micro, user, tiering)
    assert not _steady(None, user, tiering)  # first sighting
    assert not _steady(micro, None, tiering)  # X did not return it
    renamed = XUser(id="1", username="jane2", name="", followers=20_000, following=0, post_count=0)
    assert not _steady(micro, renamed, tiering)
    gone = TierState("1", "jane", Tier.MICRO, 20_000, AccountStatus.MISSING, 2, T0)
    assert not _steady(gone, user, tiering)  # back: a notice
    # Settings changed after the state was decided: re-baselined, so not steady.
    changed = Tiering("slack|T", DEFAULT_TIERS, 0.02, since=T0 + timedelta(hours=1))
    assert not _steady(micro, user, changed)
