"""The Discord commands come from the one command table and agree with the text parser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord.commands import (
    MAX_DESCRIPTION,
    Choices,
    build_app_commands,
    to_command,
)
from adapters.discord.sync import command_hash, command_payload
from core.commands import (
    AUDIT,
    COMMANDS,
    DIGEST,
    FIND,
    HELP,
    WATCHLIST,
    CommandSpec,
    OptionKind,
    command_spec,
    parse_command,
)
from core.errors import BadInput


class NoHandlers:
    async def run(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        action: str | None,
        values: Mapping[str, Any],
    ) -> None:  # pragma: no cover - registration only
        raise AssertionError

    async def autocomplete_niche(
        self, interaction: discord.Interaction[Any], current: str
    ) -> Choices:  # pragma: no cover
        return []

    async def autocomplete_tz(
        self, interaction: discord.Interaction[Any], current: str
    ) -> Choices:  # pragma: no cover
        return []


@pytest.fixture
async def tree() -> AsyncIterator[app_commands.CommandTree[Any]]:
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    for command in build_app_commands(NoHandlers()):
        tree.add_command(command)
    yield tree
    await client.close()


def _payload(tree: app_commands.CommandTree[Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in command_payload(tree, None)}


def _options(command: dict[str, Any], action: str | None = None) -> dict[str, dict[str, Any]]:
    options = command["options"]
    if action is not None:
        options = next(o for o in options if o["name"] == action)["options"]
    return {o["name"]: o for o in options}


async def test_every_command_of_the_table_is_registered(tree: Any) -> None:
    payload = _payload(tree)
    assert set(payload) == {spec.name for spec in COMMANDS}
    for spec in COMMANDS:
        assert payload[spec.name]["description"] == spec.summary
        if spec.has_subcommands:
            subcommands = [o["name"] for o in payload[spec.name]["options"]]
            assert subcommands == [a.name for a in spec.actions]


async def test_option_types_choices_and_ranges_come_from_the_table(tree: Any) -> None:
    payload = _payload(tree)
    for spec, action in ((FIND, None), (DIGEST, "subscribe")):
        options = _options(payload[spec.name], action)
        # A lookalike needs no niche (like: is given instead); a digest does.
        assert options[spec.argument]["required"] is spec.argument_required
        assert options[spec.argument]["autocomplete"] is True
        for opt in spec.options:
            registered = options[opt.name]
            assert registered["required"] is False
            assert len(registered["description"]) <= MAX_DESCRIPTION
            assert registered["description"].startswith(opt.help)
            if opt.choices:
                assert [c["value"] for c in registered["choices"]] == list(opt.choices)
            if opt.kind is OptionKind.INT:
                assert registered["type"] == discord.AppCommandOptionType.integer.value
                assert (registered["min_value"], registered["max_value"]) == (
                    opt.min_value,
                    opt.max_value,
                )
            else:
                # Counts, handles and the rest stay text: people type 10k, @jane or a link.
                assert registered["type"] == discord.AppCommandOptionType.string.value
            if opt.kind is OptionKind.TZ:
                assert registered["autocomplete"] is True


async def test_actions_take_only_what_they_use(tree: Any) -> None:
    payload = _payload(tree)
    assert _options(payload["watchlist"], "list") == {}
    assert set(_options(payload["watchlist"], "add")) == {"handles"}
    assert set(_options(payload["digest"], "preview")) == {"niche"}
    assert _options(payload["digest"], "list") == {}
    help_options = _options(payload[HELP.name])
    assert help_options["command"]["required"] is False
    assert [c["value"] for c in help_options["command"]["choices"]] == [s.name for s in COMMANDS]


async def test_commands_that_keep_channel_state_are_guild_only(tree: Any) -> None:
    payload = _payload(tree)
    for name in (FIND.name, WATCHLIST.name, DIGEST.name):
        assert payload[name]["dm_permission"] is False
    assert payload[HELP.name]["dm_permission"] is True


@pytest.mark.parametrize(
    ("spec", "action", "values", "typed"),
    [
        (FIND, None, {"niche": "home workout"}, "home workout"),
        (
            FIND,
            None,
            {"niche": "fitness", "tier": "nano", "min": "5k", "max": "9,000", "limit": 5},
            "fitness tier:nano min:5k max:9,000 limit:5",
        ),
        (FIND, None, {"niche": "fitness", "tier": "any", "lang": "de"}, "fitness tier:any lang:de"),
        (FIND, None, {"like": "@nadia_runs"}, "like:@nadia_runs"),
        (FIND, None, {"like": "x.com/nadia_runs", "limit": 5}, "like:nadia_runs limit:5"),
        (FIND, None, {"niche": "trail", "like": "nadia_runs"}, "trail like:@nadia_runs"),
        (
            WATCHLIST,
            "add",
            {"handles": "@jane_lifts, x.com/runwithraj"},
            "add @jane_lifts x.com/runwithraj",
        ),
        (WATCHLIST, "remove", {"handles": "a b"}, "remove a b"),
        (WATCHLIST, "list", {}, "list"),
        (
            DIGEST,
            "subscribe",
            {"niche": "fitness", "day": "fri", "time": "08:30", "tz": "Europe/Berlin"},
            "subscribe fitness day:fri time:08:30 tz:Europe/Berlin",
        ),
        (DIGEST, "preview", {"niche": "yoga"}, "preview yoga"),
        (DIGEST, "list", {}, "list"),
        (HELP, None, {"command": "watchlist"}, "watchlist"),
        (AUDIT, None, {"handle": "@jane_lifts"}, "@jane_lifts"),
        (AUDIT, None, {"handle": "jane_lifts", "sample": 500}, "jane_lifts sample:500"),
        (HELP, None, {}, ""),
    ],
)
def test_options_build_the_same_command_as_typed_text(
    spec: CommandSpec, action: str | None, values: dict[str, Any], typed: str
) -> None:
    assert to_command(spec, action, values) == parse_command(spec.name, typed)


@pytest.mark.parametrize(
    ("spec", "action", "values"),
    [
        (FIND, None, {"niche": "fitness", "min": "a lot"}),
        (FIND, None, {"niche": "fitness", "min": "60k", "max": "50k"}),
        (WATCHLIST, "add", {"handles": "not a handle!"}),
        (DIGEST, "subscribe", {"niche": "fitness", "tz": "Mars/Olympus"}),
        (AUDIT, None, {"handle": "two handles"}),
        (FIND, None, {}),
        (FIND, None, {"like": "@@nadia"}),
        (FIND, None, {"like": "(from:nasa)"}),
        (FIND, None, {"niche": "fitness", "like": "https://evil.com/x"}),
    ],
)
def test_bad_options_raise_the_cores_bad_input(
    spec: CommandSpec, action: str | None, values: dict[str, Any]
) -> None:
    with pytest.raises(BadInput):
        to_command(spec, action, values)


async def test_the_command_hash_is_stable_and_tracks_changes(tree: Any) -> None:
    first = command_hash(tree, None)
    again = discord.Client(intents=discord.Intents.none())
    other: app_commands.CommandTree[Any] = app_commands.CommandTree(again)
    for command in build_app_commands(NoHandlers()):
        other.add_command(command)
    assert command_hash(other, None) == first

    async def ping(interaction: discord.Interaction[Any]) -> None:  # pragma: no cover
        pass

    other.add_command(app_commands.Command(name="ping", description="new", callback=ping))
    assert command_hash(other, None) != first
    await again.close()


def test_the_table_fits_discords_naming_rules() -> None:
    for spec in COMMANDS:
        assert command_spec(spec.name) is spec
        assert len(spec.summary) <= MAX_DESCRIPTION
        assert len(spec.argument_help) <= MAX_DESCRIPTION
        for opt in spec.options:
            assert opt.name == opt.name.lower()
            assert 1 <= len(opt.name) <= 32


async def test_find_registers_like_as_an_optional_text_option_after_the_niche(tree: Any) -> None:
    options = command_payload(tree, None)
    find = next(c for c in options if c["name"] == FIND.name)
    names = [o["name"] for o in find["options"]]
    assert names[:2] == ["niche", "like"]
    like = find["options"][1]
    assert like["required"] is False
    assert like["type"] == discord.AppCommandOptionType.string.value
    assert like["description"] == FIND.option("like").help
    # Discord wants required options first; none of /find-influencers is required now.
    assert not any(o["required"] for o in find["options"])
