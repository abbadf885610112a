"""A workspace's `HomeView` as the Slack App Home tab (a `home` view in Block Kit).

Slack allows 100 blocks in a view; long lists are packed into sections and summarised
("…and 12 more channels") so the tab always publishes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from adapters.slack.render import (
    MAX_SECTION_CHARS,
    SAMPLE_NOTE,
    clip,
    context,
    escape,
    header_block,
    profile_link,
    section,
    tier_name,
)
from core.digests import describe_schedule
from core.home import HomeAlert, HomeChannel, HomeDigest, HomeSpend, HomeView
from core.models import OutboxStatus, on_sample
from core.tiers import format_count
from core.wording import plural, usd

MAX_VIEW_BLOCKS = 100
# Blocks each part may use at most, so the whole tab stays within 100.
MAX_CHANNEL_BLOCKS = 40
MAX_DIGEST_BLOCKS = 10
MAX_ALERT_BLOCKS = 5
# Handles listed per channel before "and N more".
HANDLES_PER_CHANNEL = 25


def slack_date(at: datetime, pattern: str = "{date_short_pretty} at {time}") -> str:
    """A time Slack shows in each reader's own time zone (UTC in the fallback)."""
    return f"<!date^{int(at.timestamp())}^{pattern}|{at:%Y-%m-%d %H:%M} UTC>"


def channel_link(channel: str) -> str:
    return f"<#{channel}>"


def spend_text(spend: HomeSpend) -> str:
    if spend.simulated:
        text = (
            "*X spend this month:* nothing, on the bundled sample; every search says what "
            "it would cost on X."
        )
    elif spend.budget_usd is None:
        text = f"*X spend this month:* {usd(spend.spent_usd)} (no monthly budget set)"
    else:
        left = max(0.0, spend.budget_usd - spend.spent_usd)
        text = (
            f"*X spend this month:* {usd(spend.spent_usd)} of the {usd(spend.budget_usd)} "
            f"budget ({usd(left)} left)"
        )
    if spend.workspace_budget_usd is not None:
        text += f"\nThis workspace's share: {usd(spend.workspace_budget_usd)} a month."
    return text


def channel_line(ch: HomeChannel) -> str:
    shown = [
        f"{profile_link(e.username)} {format_count(e.followers)} {tier_name(e.tier)}"
        if e.followers is not None
        else profile_link(e.username)
        for e in ch.entries[:HANDLES_PER_CHANNEL]
    ]
    more = len(ch.entries) - len(shown)
    tail = f", and {more} more" if more > 0 else ""
    count = plural(len(ch.entries), "account")
    return clip(f"{channel_link(ch.channel)} · {count}: " + ", ".join(shown) + tail, 2_900)


def digest_line(d: HomeDigest) -> str:
    s = d.subscription
    when = describe_schedule(s)
    nxt = "paused: the bot cannot post there" if d.next_run is None else slack_date(d.next_run)
    return f"• *{escape(s.niche)}* in {channel_link(s.scope.channel)}: {escape(when)}, next {nxt}"


def alert_line(a: HomeAlert) -> str:
    state = "" if a.status is OutboxStatus.DELIVERED else f" _({a.status.value})_"
    return f"• {slack_date(a.at)} {channel_link(a.channel)}: {escape(a.summary)}{state}"


def packed(lines: list[str], max_blocks: int, what: str) -> list[Block]:
    """Lines in as few sections as fit, at most `max_blocks` blocks, the rest counted."""
    blocks: list[Block] = []
    current: list[str] = []
    shown = 0
    for line in lines:
        if current and len("\n".join([*current, line])) > MAX_SECTION_CHARS:
            if len(blocks) >= max_blocks - 2:
                break
            blocks.append(section("\n".join(current)))
            current = []
        current.append(line)
        shown += 1
    if current:
        blocks.append(section("\n".join(current)))
    if shown < len(lines):
        blocks.append(context(f"…and {plural(len(lines) - shown, 'more ' + what)}."))
    return blocks


def home_blocks(view: HomeView) -> list[Block]:
    blocks: list[Block] = [header_block("Influencer Scout")]
    if on_sample(view):
        blocks.append(context(SAMPLE_NOTE))
    blocks.append(context(f"Updated {slack_date(view.at)}"))
    blocks.append(section(spend_text(view.spend)))
    blocks.append(DividerBlock())

    title = f"Watchlists · {plural(view.tracked, 'account')} in "
    blocks.append(header_block(title + plural(len(view.channels), "channel")))
    if view.channels:
        # One section per channel reads best; past the limit they are packed together.
        lines = [channel_line(c) for c in view.channels]
        if len(lines) <= MAX_CHANNEL_BLOCKS:
            blocks += [section(line) for line in lines]
        else:
            blocks += packed(lines, MAX_CHANNEL_BLOCKS, "channel")
    else:
        blocks.append(section("Nothing tracked yet: type `/watchlist add @handle` in a channel."))

    blocks.append(header_block(f"Weekly digests · {len(view.digests)}"))
    if view.digests:
        blocks += packed([digest_line(d) for d in view.digests], MAX_DIGEST_BLOCKS, "digest")
    else:
        blocks.append(section("No digests yet: try `/digest subscribe fitness` in a channel."))

    blocks.append(header_block("Recent tier alerts"))
    if view.alerts:
        blocks += packed([alert_line(a) for a in view.alerts], MAX_ALERT_BLOCKS, "alert")
    else:
        blocks.append(section("No tier alerts yet."))
    blocks.append(DividerBlock())
    blocks.append(
        context(
            "`/watchlist chart @handle` draws an account's growth · "
            "`/find-influencers fitness export:csv` shares a CSV · "
            "`/influencer-settings` shows this workspace's settings"
        )
    )
    assert len(blocks) <= MAX_VIEW_BLOCKS, len(blocks)  # the part limits add up to < 100
    return blocks


def home_view(view: HomeView) -> dict[str, Any]:
    """The `view` argument of `views.publish`."""
    return View(type="home", blocks=home_blocks(view)).to_dict()
