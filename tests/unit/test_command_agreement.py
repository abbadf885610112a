"""House rule 5: Slack, Discord and the console speak one command table and agree.

The same request typed in each front end must become the same core command, and every
front end must offer (and explain) every command of the table.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.console.render import render_help
from adapters.discord.commands import to_command
from adapters.discord.render import render_help as discord_help
from adapters.slack.app import SLASH_COMMANDS, from_slack
from adapters.slack.manifest import manifest_yaml
from adapters.slack.render import render_help as slack_help
from bot.cli import build_parser
from core.commands import (
    AUDIT,
    COMMANDS,
    DIGEST,
    FIND,
    HELP,
    WATCHLIST,
    CommandSpec,
    FindInfluencers,
    build_find,
    parse_command,
)
from core.errors import BadInput
from core.models import HelpView, SearchRequest, Tier

# (spec, Discord subcommand, Discord typed values, the same request as chat text)
SAME_REQUESTS: list[tuple[CommandSpec, str | None, dict[str, Any], str]] = [
    (FIND, None, {"niche": "fitness"}, "fitness"),
    (
        FIND,
        None,
        {
            "niche": "home workout",
            "tier": "nano",
            "min": "2k",
            "max": "9,500",
            "lang": "de",
            "limit": 5,
        },
        "home workout tier:nano min:2k max:9,500 lang:de limit:5",
    ),
    (FIND, None, {"niche": "fitness", "tier": "any", "lang": "any"}, "fitness tier:any lang:any"),
    (FIND, None, {"like": "@nadia_runs"}, "like:@nadia_runs"),
    (
        FIND,
        None,
        {"like": "https://x.com/nadia_runs", "tier": "nano", "limit": 3, "lang": "de"},
        "like:https://x.com/nadia_runs tier:nano limit:3 lang:de",
    ),
    (FIND, None, {"niche": "trail running", "like": "nadia_runs"}, "trail running like:nadia_runs"),
    (WATCHLIST, "add", {"handles": "@jane_lifts @runwithraj"}, "add @jane_lifts @runwithraj"),
    (WATCHLIST, "remove", {"handles": "jane_lifts"}, "remove jane_lifts"),
    (WATCHLIST, "list", {}, "list"),
    (
        DIGEST,
        "subscribe",
        {"niche": "fitness", "day": "fri", "time": "17:30", "tz": "Europe/Berlin"},
        "subscribe fitness day:fri time:17:30 tz:Europe/Berlin",
    ),
    (DIGEST, "list", {}, "list"),
    (DIGEST, "preview", {"niche": "yoga"}, "preview yoga"),
    (AUDIT, None, {"handle": "@jane_lifts", "sample": 300}, "@jane_lifts sample:300"),
    (HELP, None, {"command": "watchlist"}, "watchlist"),
]


@pytest.mark.parametrize(
    ("spec", "action", "values", "text"),
    SAME_REQUESTS,
    ids=[f"{s.name}:{t}" for s, _, _, t in SAME_REQUESTS],
)
def test_discord_slack_and_console_build_the_same_command(
    spec: CommandSpec, action: str | None, values: dict[str, Any], text: str
) -> None:
    console = parse_command(spec.name, text)
    slack = parse_command(spec.name, from_slack(text))
    discord = to_command(spec, action, values)
    assert console == slack == discord


def test_a_lookalike_typed_in_slack_as_a_link_is_the_same_search() -> None:
    # Slack wraps a pasted profile link in <...>: the handle must still come through.
    slack = parse_command(FIND.name, from_slack("like:<https://x.com/nadia_runs> tier:nano"))
    console = parse_command(FIND.name, "like:@nadia_runs tier:nano")
    discord = to_command(FIND, None, {"like": "nadia_runs", "tier": "nano"})
    assert slack == console == discord
    assert isinstance(console, FindInfluencers)
    assert console.request == SearchRequest("", tier=Tier.NANO, like="nadia_runs")


def test_the_cli_builds_the_same_lookalike_as_chat() -> None:
    args = build_parser().parse_args(["find", "--like", "@nadia_runs", "--limit", "3"])
    cli = build_find(
        " ".join(args.niche),
        tier=args.tier,
        lang=args.lang,
        limit=args.limit,
        like=args.like,
    )
    assert cli == parse_command(FIND.name, "like:@nadia_runs limit:3")


BAD_REQUESTS: list[tuple[CommandSpec, str | None, dict[str, Any], str]] = [
    (FIND, None, {"niche": "fitness", "tier": "huge"}, "fitness tier:huge"),
    (FIND, None, {"niche": "fitness", "min": "lots"}, "fitness min:lots"),
    (FIND, None, {"like": "@@nadia"}, "like:@@nadia"),
    (FIND, None, {"like": "https://evil.com/x"}, "like:https://evil.com/x"),
    (FIND, None, {"like": "(from:x)"}, "like:(from:x)"),
    (FIND, None, {}, ""),
    (WATCHLIST, "add", {"handles": "@not-a-handle"}, "add @not-a-handle"),
    (
        DIGEST,
        "subscribe",
        {"niche": "fitness", "tz": "Mars/Base"},
        "subscribe fitness tz:Mars/Base",
    ),
]


@pytest.mark.parametrize(("spec", "action", "values", "text"), BAD_REQUESTS)
def test_front_ends_refuse_the_same_input_with_the_same_words(
    spec: CommandSpec, action: str | None, values: dict[str, Any], text: str
) -> None:
    with pytest.raises(BadInput) as typed:
        to_command(spec, action, values)
    with pytest.raises(BadInput) as chat:
        parse_command(spec.name, text)
    assert str(typed.value) == str(chat.value)


def test_every_front_end_offers_every_command() -> None:
    names = {f"/{spec.name}" for spec in COMMANDS}
    assert set(SLASH_COMMANDS) == names
    manifest = manifest_yaml()
    assert all(f"command: {name}" in manifest for name in names)
    console = render_help(HelpView())
    slack = json.dumps([m.payload() for m in slack_help(HelpView())])
    discord = json.dumps([[e.to_dict() for e in m.embeds] for m in discord_help(HelpView())])
    for spec in COMMANDS:
        assert spec.usage in console
        assert spec.usage in slack
        assert f"/{spec.name}" in discord
        for example in spec.examples:
            assert example in console
            assert example in slack
            assert example in discord


def test_every_help_names_the_budget_meter_and_xs_own_spending_cap() -> None:
    console = render_help(HelpView())
    slack = json.dumps([m.payload() for m in slack_help(HelpView())], ensure_ascii=False)
    discord = json.dumps(
        [[e.to_dict() for e in m.embeds] for m in discord_help(HelpView("find-influencers"))],
        ensure_ascii=False,
    )
    for shown in (console, slack, discord):
        assert "X_MONTHLY_BUDGET_USD" in shown
        assert "402" in shown
        assert "spending cap" in shown
        assert "like:@" in shown
