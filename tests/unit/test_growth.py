"""Follower growth from stored snapshots: the 7/30/90-day windows and their line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.growth import growth, growth_line
from core.models import FollowerPoint

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _at(days_ago: float, followers: int) -> FollowerPoint:
    return FollowerPoint(NOW - timedelta(days=days_ago), followers)


def test_each_window_compares_with_the_snapshot_nearest_before_it() -> None:
    points = [_at(100, 10_000), _at(31, 11_000), _at(8, 12_000), _at(7.5, 12_100), _at(0, 12_390)]
    g = growth(points, NOW)
    assert g.points == 5
    assert g.followers == 12_390
    assert g.first_at == NOW - timedelta(days=100)
    assert g.last_at == NOW
    assert g.change_7d is not None
    assert round(g.change_7d, 4) == round(12_390 / 12_100 - 1, 4)
    assert g.change_30d is not None
    assert round(g.change_30d, 4) == round(12_390 / 11_000 - 1, 4)
    assert g.change_90d is not None
    assert round(g.change_90d, 4) == 0.239


def test_history_shorter_than_a_window_leaves_it_empty() -> None:
    g = growth([_at(10, 1_000), _at(0, 1_100)], NOW)
    assert g.change_7d is not None
    assert round(g.change_7d, 3) == 0.1
    assert g.change_30d is None
    assert g.change_90d is None
    assert growth_line(g) == (
        "+10.0% in 7 days · 30 days: not enough history yet · 90 days: not enough history yet"
    )


def test_one_snapshot_is_not_enough_history() -> None:
    g = growth([_at(0, 5_000)], NOW)
    assert (g.points, g.followers) == (1, 5_000)
    assert (g.change_7d, g.change_30d, g.change_90d) == (None, None, None)
    assert growth_line(g).startswith("not enough history yet")


def test_no_snapshots_at_all() -> None:
    g = growth([], NOW)
    assert (g.points, g.followers, g.first_at) == (0, None, None)


def test_a_gap_compares_with_the_last_snapshot_before_it_and_order_does_not_matter() -> None:
    # Nothing stored between 60 and 2 days ago: the 7- and 30-day windows both reach
    # back to the snapshot 60 days ago.
    points = [_at(0, 9_000), _at(60, 10_000), _at(2, 9_500)]
    g = growth(points, NOW)
    assert g.change_7d is not None
    assert round(g.change_7d, 3) == -0.1
    assert g.change_30d == g.change_7d
    assert g.change_90d is None
    assert growth_line(g).startswith("-10.0% in 7 days · -10.0% in 30 days")


def test_a_zero_follower_snapshot_gives_no_ratio() -> None:
    g = growth([_at(8, 0), _at(0, 50)], NOW)
    assert g.change_7d is None
