"""Plain-text phrases every front end shows the same way: dollars, counts, a search's cost.

Each adapter renders results in its own markup (Block Kit, embeds, terminal text); these
are the words inside it, written once so the three never drift apart.
"""

from __future__ import annotations

from core.models import Cost


def usd(amount: float) -> str:
    """Dollars as people read them: `$1.89`, and `$0.005` for a single count request."""
    if 0 < abs(amount) < 0.01:
        return f"${max(amount, 0.0001):.4f}".rstrip("0")
    return f"${amount:,.2f}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 post`, `2 posts`, `1,204 timeline posts`."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def approx(count: int) -> str:
    """`~10,400`: three significant figures are all a 7-day count can promise."""
    if count < 1_000:
        return f"~{count:,}"
    return f"~{round(count, 3 - len(str(count))):,}"


def cost_parts(cost: Cost) -> list[str]:
    """What a search paid for, part by part: `9 requests`, `100 posts $0.50`, ...

    Dollars go with each part only when the search split them (a cost recorded before
    the split carries its total alone).
    """
    split = bool(cost.usd_posts or cost.usd_users or cost.usd_timelines or cost.usd_counts)

    def part(text: str, amount: float) -> str:
        return f"{text} {usd(amount)}" if split or not cost.usd else text

    parts = [plural(cost.requests, "request")]
    if cost.posts_read or cost.usd_posts:
        parts.append(part(plural(cost.posts_read, "post"), cost.usd_posts))
    if cost.users_read or cost.usd_users:
        parts.append(part(plural(cost.users_read, "user"), cost.usd_users))
    if cost.timeline_posts or cost.usd_timelines:
        parts.append(part(plural(cost.timeline_posts, "timeline post"), cost.usd_timelines))
    if cost.count_requests or cost.usd_counts:
        counts = "counts" if cost.count_requests == 1 else f"{cost.count_requests:,} counts"
        parts.append(part(counts, cost.usd_counts))
    return parts


def cost_label(sample: bool) -> str:
    """Sample answers say what the same search would cost on X; real ones what it cost."""
    return "What this would cost on X" if sample else "X cost"
