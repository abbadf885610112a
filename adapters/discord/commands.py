"""Discord slash commands generated from the one command table (`core.commands.COMMANDS`).

Each `CommandSpec` becomes a slash command (or a command group when it has actions),
each `OptionSpec` a typed option: `choices` become Discord choices, `min_value` /
`max_value` integer ranges, and niches / time zones get autocomplete. What the user
picked is turned back into a core `Command` by the same builders the CLI uses.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from core.commands import (
    AUDIT,
    COMMANDS,
    DIGEST,
    FIND,
    HELP,
    WATCHLIST,
    Command,
    CommandSpec,
    HelpCommand,
    OptionKind,
    OptionSpec,
    build_audit,
    build_digest,
    build_find,
    build_watchlist,
)
from core.errors import BadInput

MAX_DESCRIPTION = 100  # Discord's limit for command and option descriptions
MAX_CHOICES = 25
WEEKDAY_LABELS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}

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


def _action_takes(spec: CommandSpec, action: str | None) -> tuple[bool, bool]:
    """Whether (the argument, the options) belong to this action.

    `list` takes nothing; the options only tune `subscribe` (day, time, time zone).
    """
    if action is None:
        return True, True
    if action == "list":
        return False, False
    return True, action == "subscribe"


def _option_annotation(opt: OptionSpec) -> Any:
    """The Python annotation discord.py turns into the option's Discord type."""
    if opt.kind is OptionKind.INT:
        # An integer option with Discord-side bounds: the client refuses 0 or 51.
        return app_commands.Range[int, opt.min_value, opt.max_value]
    # Counts stay text so people can type 10k, as in Slack and the terminal.
    return str


def _option_choices(opt: OptionSpec) -> Choices:
    if opt.kind is OptionKind.WEEKDAY:
        return [app_commands.Choice(name=WEEKDAY_LABELS.get(c, c), value=c) for c in opt.choices]
    return [app_commands.Choice(name=c, value=c) for c in opt.choices]


def _make_command(
    handlers: CommandHandlers, spec: CommandSpec, action: str | None
) -> app_commands.Command[Any, ..., None]:
    takes_argument, takes_options = _action_takes(spec, action)
    params: list[inspect.Parameter] = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, Choices] = {}
    autocomplete: dict[str, Autocomplete] = {}

    if takes_argument:
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
    if takes_options:
        for opt in spec.options:
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
        if not spec.actions:
            built.append(_make_command(handlers, spec, None))
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

    def text(name: str) -> str | None:
        value = values.get(name)
        return None if value is None else str(value)

    if spec is FIND:
        return build_find(
            text("niche") or "",
            tier=text("tier"),
            min_followers=text("min"),
            max_followers=text("max"),
            lang=text("lang"),
            limit=values.get("limit"),
            like=text("like"),
        )
    if spec is WATCHLIST:
        handles = [h for h in _HANDLE_SPLIT.split(text("handles") or "") if h]
        return build_watchlist(action or "list", handles)
    if spec is DIGEST:
        return build_digest(
            action or "list", text("niche") or "", day=text("day"), at=text("time"), tz=text("tz")
        )
    if spec is AUDIT:
        return build_audit(text(AUDIT.argument) or "", sample=values.get("sample"))
    if spec is HELP:
        topic = text(HELP.argument)
        return HelpCommand(topic.lstrip("/").lower() if topic else None)
    raise BadInput(f"/{spec.name} is not available on Discord yet.")
