"""Discord slash commands generated from the one command table (`core.commands.COMMANDS`).

Each `CommandSpec` becomes a slash command (or a command group when it has actions),
each action a command (or subcommand) with the options the table says it takes, each
`OptionSpec` a typed option: `choices` become Discord choices, `min_value` / `max_value`
integer ranges, and niches / time zones get autocomplete. What the user picked is
turned back into a core `Command` by the table's own builders, as chat text and the
command line are.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from core.commands import (
    COMMANDS,
    HELP,
    ActionSpec,
    ArgumentKind,
    Command,
    CommandSpec,
    OptionKind,
    OptionSpec,
)
from core.models import WEEKDAY_NAMES, WEEKDAYS

MAX_DESCRIPTION = 100  # Discord's limit for command and option descriptions
MAX_CHOICES = 25
WEEKDAY_LABELS = dict(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True))

Choices = list[app_commands.Choice[str]]
Autocomplete = Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, Choices]]


class CommandHandlers(Protocol):
    """What the generated commands call: one entry point, plus autocomplete sources."""

    async def run(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        action: str | None,
        values: Mapping[str, Any],
    ) -> None: ...

    async def autocomplete_niche(
        self, interaction: discord.Interaction[Any], current: str
    ) -> Choices: ...

    async def autocomplete_tz(
        self, interaction: discord.Interaction[Any], current: str
    ) -> Choices: ...


def _describe(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _option_annotation(opt: OptionSpec[Any]) -> Any:
    """The Python annotation discord.py turns into the option's Discord type."""
    if opt.kind is OptionKind.INT:
        # An integer option with Discord-side bounds: the client refuses 0 or 51.
        return app_commands.Range[int, opt.min_value, opt.max_value]
    # Counts stay text so people can type 10k, as in Slack and the terminal.
    return str


def _option_choices(opt: OptionSpec[Any]) -> Choices:
    if opt.kind is OptionKind.WEEKDAY:
        return [app_commands.Choice(name=WEEKDAY_LABELS.get(c, c), value=c) for c in opt.choices]
    return [app_commands.Choice(name=c, value=c) for c in opt.choices]


def _make_command(
    handlers: CommandHandlers, spec: CommandSpec, act: ActionSpec
) -> app_commands.Command[Any, ..., None]:
    action = act.name
    params: list[inspect.Parameter] = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, Choices] = {}
    autocomplete: dict[str, Autocomplete] = {}

    if act.takes_argument:
        # A lookalike search needs no niche, help no topic: the table says which.
        required = spec.argument_required
        params.append(
            inspect.Parameter(
                spec.argument,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str,
                default=inspect.Parameter.empty if required else None,
            )
        )
        descriptions[spec.argument] = _describe(spec.argument_help)
        if spec.argument == "niche":
            autocomplete["niche"] = handlers.autocomplete_niche
        if spec is HELP:
            choices[spec.argument] = [
                app_commands.Choice(name=s.name, value=s.name) for s in COMMANDS
            ]
    for opt in act.options:
        params.append(
            inspect.Parameter(
                opt.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_option_annotation(opt),
                default=None,  # absent: the table's default applies in the builder
            )
        )
        default = f" (default {opt.default})" if opt.default else ""
        descriptions[opt.name] = _describe(opt.help + default)
        if opt.choices:
            choices[opt.name] = _option_choices(opt)[:MAX_CHOICES]
        elif opt.kind is OptionKind.TZ:
            autocomplete[opt.name] = handlers.autocomplete_tz

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        await handlers.run(interaction, spec, action, values)

    # discord.py reads a callback's parameters with inspect.signature, which honours
    # __signature__: the options come from the table, not from hand-written code.
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"{spec.name}_{action or 'run'}".replace("-", "_")
    decorated: Any = callback
    if descriptions:
        decorated = app_commands.describe(**descriptions)(decorated)
    if choices:
        decorated = app_commands.choices(**choices)(decorated)
    if autocomplete:
        decorated = app_commands.autocomplete(**autocomplete)(decorated)
    if action is None and spec is not HELP:
        decorated = app_commands.guild_only()(decorated)
    summary = spec.summary if action is None else f"{action.capitalize()}: {spec.summary}"
    return app_commands.Command(
        name=action or spec.name, description=_describe(summary), callback=decorated
    )


def build_app_commands(
    handlers: CommandHandlers,
) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    """One slash command (or group of subcommands) per entry of the command table."""
    built: list[app_commands.Command[Any, ..., None] | app_commands.Group] = []
    for spec in COMMANDS:
        if not spec.has_subcommands:
            built.append(_make_command(handlers, spec, spec.actions[0]))
            continue
        group = app_commands.Group(
            name=spec.name, description=_describe(spec.summary), guild_only=True
        )
        for action in spec.actions:
            group.add_command(_make_command(handlers, spec, action))
        built.append(group)
    return built


_HANDLE_SPLIT = re.compile(r"[\s,;]+")


def to_command(spec: CommandSpec, action: str | None, values: Mapping[str, Any]) -> Command:
    """The core command for what the user picked; raises `BadInput` like the text parser."""
    act = spec.action(action)
    raw = values.get(spec.argument) if act.takes_argument else None
    text = "" if raw is None else str(raw)
    if spec.argument_kind is ArgumentKind.LIST:
        # One text field holds them all: `@jane, x.com/raj` is two handles.
        words = [h for h in _HANDLE_SPLIT.split(text) if h]
    else:
        words = [text] if text else []
    given = {o.name: str(values[o.name]) for o in act.options if values.get(o.name) is not None}
    return spec.build(action, words, given)
