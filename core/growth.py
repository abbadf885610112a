"""Follower growth from stored snapshots: the figures beside every chart and profile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.models import FollowerPoint, Growth

WINDOWS = (7, 30, 90)


def _at_or_before(points: Sequence[FollowerPoint], when: datetime) -> FollowerPoint | None:
    """The latest snapshot taken at or before `when` (points are oldest first)."""
    found = None
    for point in points:
        if point.at > when:
            break
        found = point
    return found


def _change(now: int, then: FollowerPoint | None) -> float | None:
    if then is None or then.followers <= 0:
        return None
    return (now - then.followers) / then.followers


def growth(points: Sequence[FollowerPoint], now: datetime) -> Growth:
    """Relative change over 7, 30 and 90 days, each against the snapshot nearest before
    that many days ago (None when the history does not reach back that far)."""
    ordered = sorted(points, key=lambda p: p.at)
    if not ordered:
        return Growth(0, None, None, None)
    last = ordered[-1]
    changes = [
        _change(last.followers, _at_or_before(ordered[:-1], now - timedelta(days=days)))
        for days in WINDOWS
    ]
    return Growth(
        points=len(ordered),
        first_at=ordered[0].at,
        last_at=last.at,
        followers=last.followers,
        change_7d=changes[0],
        change_30d=changes[1],
        change_90d=changes[2],
    )


def growth_line(g: Growth) -> str:
    """`+3.2% in 7 days · +12.0% in 30 days · 90 days: not enough history yet`."""
    if g.points < 2:
        return "not enough history yet (one snapshot; refreshes add one a day)"
    parts = []
    for days, change in zip(WINDOWS, (g.change_7d, g.change_30d, g.change_90d), strict=True):
        if change is None:
            parts.append(f"{days} days: not enough history yet")
        else:
            parts.append(f"{change:+.1%} in {days} days")
    return " · ".join(parts)
