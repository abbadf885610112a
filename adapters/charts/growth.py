"""Follower-growth PNGs with matplotlib's Agg backend (`core.ports.ChartRenderer`).

Each chart builds its own `Figure` on a `FigureCanvasAgg`: no pyplot and no global
state, so charts may be drawn in several threads at once. matplotlib is imported on
the first chart, not with this module, so the command line and the bots start fast.
Memory is bounded whatever the history's length: the figure has a fixed size and at
most `MAX_POINTS` points are drawn (evenly thinned, keeping the first and the last).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from core.models import FollowerPoint
from core.tiers import TierBoundaries, format_count

if TYPE_CHECKING:
    from matplotlib.ticker import Locator

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.2, 100
MAX_POINTS = 2_000
LINE_COLOR = "#1d9bf0"
BOUND_COLOR = "#8a8f98"
# A boundary this far outside the drawn follower range is still drawn (context).
NEAR = 0.25


def thin(points: Sequence[FollowerPoint], limit: int = MAX_POINTS) -> list[FollowerPoint]:
    """At most `limit` points, evenly spaced in the sequence, first and last kept."""
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def near_bounds(bounds: TierBoundaries, low: int, high: int) -> list[tuple[str, int]]:
    """The tier boundaries within or near the follower range `low..high`."""
    span = max(high - low, high * 0.05, 1)
    floor, ceiling = low - span * NEAR, high + span * NEAR
    names = ("nano", "micro", "mid", "macro", "mega")
    return [
        (name, value)
        for name, value in zip(names, bounds.as_tuple(), strict=True)
        if floor <= value <= ceiling
    ]


class MatplotlibCharts:
    """Draws an account's follower snapshots as a PNG (8 x 3.2 in at 100 dpi), at most
    `max_points` of them."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.max_points = max_points

    def growth_png(
        self,
        title: str,
        points: Sequence[FollowerPoint],
        bounds: TierBoundaries,
        *,
        days: int,
        now: datetime,
    ) -> bytes:
        from matplotlib import dates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter

        drawn = thin(sorted(points, key=lambda p: p.at), self.max_points)
        # matplotlib.dates has no type hints: its calls are typed here, once.
        as_numbers = cast(Callable[[list[datetime]], Sequence[float]], dates.date2num)
        xs = list(as_numbers([p.at for p in drawn]))
        ys = [p.followers for p in drawn]
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        ax.plot(
            xs,
            ys,
            color=LINE_COLOR,
            linewidth=1.8,
            marker="o" if len(xs) <= 60 else None,
            markersize=3,
        )
        low, high = (min(ys), max(ys)) if ys else (0, 1)
        start = now - timedelta(days=days)
        for name, value in near_bounds(bounds, low, high):
            ax.axhline(value, color=BOUND_COLOR, linestyle="--", linewidth=0.9)
            ax.annotate(
                f"{name} {format_count(value)}",
                xy=(0.005, value),
                xycoords=("axes fraction", "data"),
                xytext=(0, 2),
                textcoords="offset points",
                fontsize=8,
                color=BOUND_COLOR,
            )
        left, right = as_numbers([start, now])
        ax.set_xlim(min(left, xs[0]) if xs else left, right)
        locator: Locator = dates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: format_count(int(y))))
        ax.set_title(title, fontsize=11, loc="left")
        ax.grid(True, axis="y", alpha=0.25)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
