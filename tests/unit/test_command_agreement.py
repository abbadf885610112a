"""House rule 5: Slack, Discord, the console and the command line speak one command table.

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
from bot.cli.flags import FLAGS, command_of
from bot.cli.parser import build_parser
from core.commands import (
    AUDIT,
    COMMANDS,
    DIGEST,
    FIND,
    HELP,
    PROFILE,
    SETTINGS,
    WATCHLIST,
    CommandSpec,
    FindInfluencers,
    command_spec,
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
    (PROFILE, None, {"handle": "https://x.com/jane_lifts"}, "@jane_lifts"),
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
    cli = command_of(args)
    assert cli == parse_command(FIND.name, "like:@nadia_runs limit:3")


# (spec, action, the command line's arguments, the same request as chat text)
CLI_REQUESTS: list[tuple[CommandSpec, str | None, list[str], str]] = [
    (FIND, None, ["find", "fitness"], "fitness"),
    (
        FIND,
        None,
        [
            "find",
            "home",
            "workout",
            "--tier",
            "nano",
            "--min-followers",
            "2k",
            "--max-followers",
            "9,500",
            "--lang",
            "de",
            "--limit",
            "5",
        ],
        "home workout tier:nano min:2k max:9,500 lang:de limit:5",
    ),
    (
        FIND,
        None,
        ["find", "fitness", "--tier", "any", "--lang", "any"],
        "fitness tier:any lang:any",
    ),
    (
        FIND,
        None,
        ["find", "trail", "running", "--like", "https://x.com/nadia_runs"],
        "trail running like:https://x.com/nadia_runs",
    ),
    (
        WATCHLIST,
        "add",
        ["watch", "add", "@jane_lifts", "runwithraj", "@jane_lifts"],
        "add @jane_lifts runwithraj @jane_lifts",
    ),
    (WATCHLIST, "remove", ["watch", "remove", "x.com/jane_lifts"], "remove x.com/jane_lifts"),
    (WATCHLIST, "list", ["watch", "list", "--channel", "C1"], "list"),
    (WATCHLIST, "export", ["watch", "export", "--channel", "C1"], "export"),
    (
        WATCHLIST,
        "chart",
        ["watch", "chart", "@jane_lifts", "--days", "30", "--out", "j.png"],
        "chart @jane_lifts days:30",
    ),
    (WATCHLIST, "chart", ["watch", "chart", "x.com/jane_lifts"], "chart x.com/jane_lifts"),
    (WATCHLIST, "notify", ["watch", "notify", "<@&123>"], "notify <@&123>"),
    (WATCHLIST, "notify", ["watch", "notify", "off"], "notify off"),
    (FIND, None, ["find", "fitness", "--csv"], "fitness export:csv"),
    (FIND, None, ["find", "fitness", "--export", "csv"], "fitness export:csv"),
    (
        DIGEST,
        "subscribe",
        [
            "digest",
            "subscribe",
            "home",
            "workout",
            "--weekday",
            "fri",
            "--time",
            "17:30",
            "--tz",
            "Europe/Berlin",
        ],
        "subscribe home workout day:fri time:17:30 tz:Europe/Berlin",
    ),
    (DIGEST, "subscribe", ["digest", "subscribe", "fitness"], "subscribe fitness"),
    (DIGEST, "unsubscribe", ["digest", "unsubscribe", "fitness"], "unsubscribe fitness"),
    (DIGEST, "preview", ["digest", "preview", "yoga"], "preview yoga"),
    (DIGEST, "list", ["digest", "list", "--all"], "list"),
    (AUDIT, None, ["audit", "@jane_lifts", "--sample", "300"], "@jane_lifts sample:300"),
    (AUDIT, None, ["audit", "jane_lifts", "--yes"], "jane_lifts confirm"),
    (PROFILE, None, ["profile", "https://x.com/jane_lifts"], "@jane_lifts"),
    (SETTINGS, "show", ["settings", "show", "--workspace", "slack:T1"], "show"),
    (
        SETTINGS,
        "set",
        [
            "settings",
            "set",
            "--tiers",
            "micro=5k,mid=40k",
            "--margin",
            "0.05",
            "--weights",
            "engagement=0.5",
            "--min-relevance",
            "0.4",
            "--budget",
            "10",
        ],
        "set tiers:micro=5k,mid=40k margin:0.05 weights:engagement=0.5 min_relevance:0.4 budget:10",
    ),
    (SETTINGS, "reset", ["settings", "reset"], "reset"),
]


@pytest.mark.parametrize(
    ("spec", "action", "argv", "text"),
    CLI_REQUESTS,
    ids=[" ".join(argv) for _, _, argv, _ in CLI_REQUESTS],
)
def test_the_command_line_builds_the_same_command_as_chat(
    spec: CommandSpec, action: str | None, argv: list[str], text: str
) -> None:
    args = build_parser().parse_args(argv)
    assert args.table == (spec, spec.action(action))
    assert command_of(args) == parse_command(spec.name, text)


def test_the_command_line_has_every_action_but_help_and_every_option() -> None:
    covered = {(spec.name, action) for spec, action, _, _ in CLI_REQUESTS}
    wanted = {(s.name, a.name) for s in COMMANDS if s is not HELP for a in s.actions}
    assert covered == wanted
    assert set(FLAGS) == {o.name for s in COMMANDS for o in s.options}
    for spec, action, argv, _ in CLI_REQUESTS:
        # Each action offers exactly the table's options for it, under its CLI spelling.
        sub = build_parser().parse_args(argv)
        offered = {name for name, flag in FLAGS.items() if hasattr(sub, flag.dest)}
        assert offered == {o.name for o in spec.action(action).options}, argv


CLI_BAD_REQUESTS: list[tuple[CommandSpec, list[str], str]] = [
    (FIND, ["find", "fitness", "--tier", "huge"], "fitness tier:huge"),
    (FIND, ["find", "fitness", "--min-followers", "lots"], "fitness min:lots"),
    (FIND, ["find", "fitness", "--limit", "0"], "fitness limit:0"),
    (FIND, ["find", "--like", "@@nadia"], "like:@@nadia"),
    (
        FIND,
        ["find", "fitness", "--min-followers", "50k", "--max-followers", "10k"],
        "fitness min:50k max:10k",
    ),
    (WATCHLIST, ["watch", "add", "@not-a-handle"], "add @not-a-handle"),
    (
        DIGEST,
        ["digest", "subscribe", "fitness", "--tz", "Mars/Base"],
        "subscribe fitness tz:Mars/Base",
    ),
    (
        DIGEST,
        ["digest", "subscribe", "fitness", "--weekday", "someday"],
        "subscribe fitness day:someday",
    ),
    (AUDIT, ["audit", "@jane", "--sample", "5"], "@jane sample:5"),
]


@pytest.mark.parametrize(("spec", "argv", "text"), CLI_BAD_REQUESTS)
def test_the_command_line_refuses_what_chat_refuses_in_the_same_words(
    spec: CommandSpec, argv: list[str], text: str
) -> None:
    with pytest.raises(BadInput) as cli:
        command_of(build_parser().parse_args(argv))
    with pytest.raises(BadInput) as chat:
        parse_command(spec.name, text)
    assert str(cli.value) == str(chat.value)


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


def test_aliases_are_chat_words_only_slack_and_discord_register_the_real_names() -> None:
    """An alias on Slack or Discord would be another slash command to install: none is."""
    from adapters.discord.commands import build_app_commands
    from tests.unit.test_discord_commands import NoHandlers

    names = [spec.name for spec in COMMANDS]
    aliases = [alias for spec in COMMANDS for alias in spec.aliases]
    assert aliases  # the console and `command_spec` do accept some
    assert [c.name for c in build_app_commands(NoHandlers())] == names
    assert set(SLASH_COMMANDS) == {f"/{name}" for name in names}
    manifest = manifest_yaml()
    assert not [a for a in aliases if f"command: /{a}\n" in manifest]


def test_the_console_accepts_every_alias_as_its_command() -> None:
    for spec in COMMANDS:
        for alias in spec.aliases:
            assert command_spec(f"/{alias}") is spec


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
