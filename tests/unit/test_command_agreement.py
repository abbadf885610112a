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
from core.commands import AUDIT, COMMANDS, DIGEST, FIND, HELP, WATCHLIST, CommandSpec, parse_command
from core.errors import BadInput
from core.models import HelpView

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


BAD_REQUESTS: list[tuple[CommandSpec, str | None, dict[str, Any], str]] = [
    (FIND, None, {"niche": "fitness", "tier": "huge"}, "fitness tier:huge"),
    (FIND, None, {"niche": "fitness", "min": "lots"}, "fitness min:lots"),
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
