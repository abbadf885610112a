"""Answers that are honest and clear in every front end (terminal, Slack, Discord).

Every answer on the sample says so in the same place and its costs read "would cost"
(one reply of each type the core returns, on the sample and on live X; `Scout.handle`
gives every reply its X source); a cleaned niche says what was typed; an empty search
names its cause; figures read alike everywhere.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any

import pytest

from adapters.console import render as console
from adapters.console.schedule_render import render_refresh
from adapters.discord import render as discord
from adapters.slack import render as slack
from core.commands import parse_command
from core.costs import CostMeter, Prices
from core.discovery import Discovery
from core.models import (
    SAMPLE_SOURCE,
    AuditNeedsConfirmation,
    AuditResult,
    Candidate,
    Cost,
    Digest,
    DigestSubscription,
    DigestSubscriptionsView,
    EmptyCause,
    HelpView,
    NothingFound,
    Reason,
    ReasonCount,
    ReasonKind,
    Scope,
    SearchResult,
    Tier,
    WatchChange,
    WatchEntry,
    WatchlistView,
    XUser,
    on_sample,
)
from core.refresh import RefreshReport
from core.scout import Scout
from core.watchlist import Watchlists
from tests.fakes.memory import FixedClock, MemoryStorage
from tests.fakes.x_source import FakeX
from tests.unit.test_discovery import world

SCOPE = Scope("slack", "T1", "C1")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COST = Cost(2, 0, 2, 0.02, usd_users=0.02)


def replies(source: str) -> list[Any]:
    """One of every reply type (and a refresh report), from `source`."""
    sub = DigestSubscription(1, SCOPE, "fitness", 0, time(9), "UTC")
    return [
        SearchResult("fitness", "(fitness) lang:en", source, (), COST),
        WatchChange(added=("jane",), cost=COST, source=source),
        WatchlistView(SCOPE, (WatchEntry("1", "jane", "Jane", 12_000),), source=source),
        WatchlistView(SCOPE, (), source=source),
        DigestSubscriptionsView(SCOPE, (sub,), "Subscribed.", source=source),
        Digest(SCOPE, "fitness", (), source, COST),
        HelpView(source=source),
        AuditResult(
            "1", "jane", "Jane", 12_000, 200, 200, 20, 0.1, 0.07, 0.15, 0.2,
            (ReasonCount("new", "new account", 12),), COST, source, AT,
        ),
        AuditNeedsConfirmation("jane", 500, 5.0, 2.5, source=source),
    ]  # fmt: skip


def refresh(source: str) -> RefreshReport:
    return RefreshReport(AT, AT, 1, 1, 1, (), (), (), COST, 0.1, source=source)


def costs(text: str) -> list[str]:
    return [line for line in text.splitlines() if " cost" in line.lower()]


@pytest.mark.parametrize("reply", replies(SAMPLE_SOURCE), ids=lambda r: type(r).__name__)
def test_the_terminal_opens_every_sample_answer_with_the_banner(reply: Any) -> None:
    text = console.render(reply)
    assert text.splitlines()[0] == console.SAMPLE_BANNER
    assert text.count("SAMPLE DATA") == 1
    live = console.render(replace(reply, source="x-api"))
    assert "SAMPLE DATA" not in live


@pytest.mark.parametrize("reply", replies(SAMPLE_SOURCE), ids=lambda r: type(r).__name__)
def test_slack_puts_the_sample_note_first_or_right_under_the_header(reply: Any) -> None:
    blocks = slack.render(reply)[0].blocks
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": slack.SAMPLE_NOTE}]}
    at = 1 if blocks[0]["type"] == "header" else 0
    assert blocks[at] == note
    assert str(blocks).count("Sample data") == 1
    live = slack.render(replace(reply, source="x-api"))
    assert "Sample data" not in str([m.blocks for m in live])


@pytest.mark.parametrize("reply", replies(SAMPLE_SOURCE), ids=lambda r: type(r).__name__)
def test_discord_opens_every_sample_description_with_the_banner(reply: Any) -> None:
    (embed, *_) = discord.render(reply)[0].embeds
    assert (embed.description or "").startswith(discord.SAMPLE_BANNER)
    assert embed.colour == discord.COLOUR_SAMPLE
    live = discord.render(replace(reply, source="x-api"))
    assert all("Sample data" not in (e.description or "") for m in live for e in m.embeds)


def _texts(reply: Any) -> list[str]:
    """The reply as the terminal, Slack and Discord show it, as plain strings."""
    slack_text = str([m.blocks for m in slack.render(reply)])
    embeds = [e.to_dict() for m in discord.render(reply) for e in m.embeds]
    return [console.render(reply), slack_text, str(embeds)]


@pytest.mark.parametrize(
    "reply",
    [r for r in replies(SAMPLE_SOURCE) if hasattr(r, "cost") or hasattr(r, "estimated_cost_usd")],
    ids=lambda r: type(r).__name__,
)
def test_every_cost_on_the_sample_reads_would_cost(reply: Any) -> None:
    for text in _texts(reply):
        assert "would cost" in text
        assert "X cost:" not in text
        assert "≈" not in text  # the old "Cost: ≈ $0.02" of watchlist changes
    for text in _texts(replace(reply, source="x-api")):
        assert "would cost" not in text


def test_a_refresh_on_the_sample_says_so_and_what_it_would_cost() -> None:
    text = render_refresh(refresh(SAMPLE_SOURCE))
    lines = text.splitlines()
    assert lines[0] == console.SAMPLE_BANNER
    assert lines[1] == "Refreshed 1 of 1 tracked account in 2 requests, 0.1 s."
    assert lines[-1] == "What this would cost on X: 2 requests · 2 users $0.02 = $0.02"
    live = render_refresh(refresh("x-api"))
    assert "SAMPLE DATA" not in live
    assert live.splitlines()[-1] == "X cost: 2 requests · 2 users $0.02 = $0.02"


def _scout(name: str) -> Scout:
    posts, users = world()
    x = FakeX(users, posts, timelines={}, name=name)
    store = MemoryStorage()
    clock = FixedClock()
    meter = CostMeter(store, clock, Prices(), 10.0)
    return Scout(
        Discovery(x, store, store, meter, clock), Watchlists(x, store, store, meter, clock), meter
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("watchlist", "add @user1"),
        ("watchlist", "list"),
        ("watchlist", "remove @user1"),
        ("influencer-help", ""),
        ("find-influencers", "fitness limit:2"),
    ],
)
async def test_scout_gives_every_reply_the_source_that_answered(name: str, text: str) -> None:
    command = parse_command(name, text)
    on_the_sample = await _scout(SAMPLE_SOURCE).handle(command, SCOPE)
    assert on_sample(on_the_sample)
    live = await _scout("x-api").handle(command, SCOPE)
    assert live.source == "x-api"
    assert not on_sample(live)


def _hostile() -> SearchResult:
    nothing = NothingFound(EmptyCause.NOT_COVERED, 10_000, 50_000, covered=("fitness", "yoga"))
    return SearchResult(
        "fitness from nasa", "q", SAMPLE_SOURCE, (), COST,
        typed_niche="fitness) OR (from:nasa <!channel> *bold*", nothing_found=nothing,
    )  # fmt: skip


def test_a_cleaned_niche_and_the_real_cause_show_in_every_front_end() -> None:
    result = _hostile()
    text = console.render(result)
    assert "  Searched for “fitness from nasa” (cleaned from what you typed: " in text
    assert "“fitness) OR (from:nasa <!channel> *bold*”)" in text
    assert "  The sample has no posts on “fitness from nasa”: it covers fitness, yoga." in text
    blocks = str(slack.render(result)[0].blocks)
    assert "<!channel>" not in blocks  # escaped: it can never ping anyone
    assert "cleaned from what you typed: “fitness) OR (from:nasa &lt;!channel&gt;" in blocks
    assert "it covers fitness, yoga. Set `X_BEARER_TOKEN` to search live X." in blocks
    description = discord.render(result)[0].embeds[0].description or ""
    assert "from:nasa <!channel> \\*bold\\*”)" in description  # markdown escaped
    assert "it covers fitness, yoga. Set `X_BEARER_TOKEN` to search live X." in description
    plain = replace(result, typed_niche=None)
    assert "cleaned from" not in console.render(plain)
    assert "cleaned from" not in str(slack.render(plain)[0].blocks)


def test_engagement_and_score_read_alike_in_every_front_end() -> None:
    user = XUser("1", "jane", "Jane", 20_000, 100, 100)
    reason = Reason(ReasonKind.STRENGTH, "engagement 3.61% over 20 posts (micro norm 1.00%)")
    c = Candidate(user, Tier.MICRO, 0.0361, 0.9, 0.0, 90.2, (reason,))
    result = SearchResult("fitness", "q", "x-api", (c,), COST)
    for text in _texts(result):
        assert "3.61%" in text
        assert "3.6%" not in text
        assert "90/100" in text
        assert "90.2" not in text
