"""Real matplotlib charts: a PNG of the history, a fixed size, bounded for long histories."""

from __future__ import annotations

import struct
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from adapters.charts import MatplotlibCharts
from adapters.charts.growth import DPI, HEIGHT_IN, MAX_POINTS, WIDTH_IN, near_bounds, thin
from core.models import FollowerPoint
from core.tiers import DEFAULT_TIERS

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (always the first)."""
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _daily(days: int, start: int, step: int) -> list[FollowerPoint]:
    return [
        FollowerPoint(NOW - timedelta(days=days - i), start + i * step) for i in range(days + 1)
    ]


def test_a_history_is_a_png_of_the_fixed_size() -> None:
    png = MatplotlibCharts().growth_png(
        "@jane_lifts followers, last 90 days",
        _daily(90, 9_000, 60),
        DEFAULT_TIERS,
        days=90,
        now=NOW,
    )
    assert png.startswith(PNG_SIGNATURE)
    assert _size(png) == (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))


def test_different_histories_draw_different_images() -> None:
    charts = MatplotlibCharts()
    rising = charts.growth_png("@a", _daily(30, 9_000, 60), DEFAULT_TIERS, days=30, now=NOW)
    falling = charts.growth_png("@a", _daily(30, 12_000, -60), DEFAULT_TIERS, days=30, now=NOW)
    again = charts.growth_png("@a", _daily(30, 9_000, 60), DEFAULT_TIERS, days=30, now=NOW)
    assert rising != falling
    assert rising == again  # the same history draws the same picture


def test_a_hundred_thousand_points_stay_fast_and_bounded() -> None:
    charts = MatplotlibCharts()
    charts.growth_png("@warm", _daily(5, 1_000, 1), DEFAULT_TIERS, days=5, now=NOW)  # imports
    points = [
        FollowerPoint(NOW - timedelta(minutes=100_000 - i), 20_000 + (i % 500))
        for i in range(100_000)
    ]
    tracemalloc.start()
    started = time.perf_counter()
    png = charts.growth_png("@busy", points, DEFAULT_TIERS, days=70, now=NOW)
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert png.startswith(PNG_SIGNATURE)
    assert _size(png) == (800, 320)
    assert took < 5.0
    # Thinned to MAX_POINTS this peaks near 2 MB; drawn whole, above 10 MB.
    assert peak < 6 * 1024 * 1024
    assert len(png) < 500_000


def test_thinning_keeps_the_first_and_last_points() -> None:
    points = _daily(9_999, 1, 1)
    kept = thin(points)
    assert len(kept) == MAX_POINTS
    assert (kept[0], kept[-1]) == (points[0], points[-1])
    assert thin(points[:10]) == points[:10]


def test_only_boundaries_within_or_near_the_range_are_drawn() -> None:
    assert near_bounds(DEFAULT_TIERS, 9_000, 14_000) == [("micro", 10_000)]
    assert near_bounds(DEFAULT_TIERS, 40_000, 49_000) == [("mid", 50_000)]
    assert near_bounds(DEFAULT_TIERS, 20_000, 30_000) == []
