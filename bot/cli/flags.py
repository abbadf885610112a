"""The command table's words and options as command-line arguments, and the `Command` they make.

A chat option keeps its own spelling on the command line (`min` is `--min-followers`,
`day` is `--day` or `--weekday`) and its own help wording; its type, default, checks and
which action takes it come from `core.commands`, and the `Command` is built by the table,
so `influencer-bot find fitness --tier nano` is exactly `/find-influencers fitness tier:nano`.

The core words its errors for chat (`limit:`, `/watchlist add`); `cli_words` rewrites
them with these same tables (`--limit`, `influencer-bot watch add`) at the command
line's edge. Imports only `core.commands` and the standard library: `--help` is built
from here without loading the database, X or chat libraries.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.cli.output import PROG
from core.commands import (
    AT,
    AUDIT,
    COMMANDS,
    DAY,
    DAYS,
    DIGEST,
    EXPORT,
    FIND,
    HELP,
    LANG,
    LIKE,
    LIMIT,
    MAX_FOLLOWERS,
    MIN_FOLLOWERS,
    PROFILE,
    SAMPLE,
    SET_BUDGET,
    SET_MARGIN,
    SET_MIN_RELEVANCE,
    SET_TIERS,
    SET_WEIGHTS,
    SETTINGS,
    TIER,
    TZ,
    WATCHLIST,
    ActionSpec,
    ArgumentKind,
    Command,
    CommandSpec,
    OptionKind,
)
from core.models import Scope

CONSOLE_PLATFORM = "console"
CONSOLE_WORKSPACE = "local"
CONSOLE_CHANNEL = "console"


@dataclass(frozen=True, slots=True)
class Flag:
    """How one chat option is spelled on the command line."""

    flag: str
    help: str
    metavar: str | None = None
    # Other spellings that mean the same (`--day` for `--weekday`: chat's own word).
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.flag, *self.aliases)


# Every option of the table, by name (a test checks none is missing).
FLAGS: dict[str, Flag] = {
    LIKE.name: Flag(
        "--like", "find accounts like this X account (@handle, handle or x.com link)", "HANDLE"
    ),
    TIER.name: Flag("--tier", "|".join(TIER.choices)),
    MIN_FOLLOWERS.name: Flag("--min-followers", "e.g. 10000 or 10k"),
    MAX_FOLLOWERS.name: Flag("--max-followers", "e.g. 50000 or 50k"),
    LANG.name: Flag("--lang", "post language (ISO code, or any)"),
    LIMIT.name: Flag("--limit", f"how many accounts ({LIMIT.min_value}-{LIMIT.max_value})"),
    DAY.name: Flag("--weekday", f"mon..sun (default {DAY.default})", "DAY", ("--day",)),
    AT.name: Flag("--time", f"local time HH:MM (default {AT.default})"),
    TZ.name: Flag("--tz", "time zone, e.g. Europe/Berlin"),
    SAMPLE.name: Flag(
        "--sample",
        "how many of the most recent followers to check (default AUDIT_DEFAULT_SAMPLE)",
    ),
    EXPORT.name: Flag("--export", "csv: write the results as CSV to stdout", "FORMAT"),
    DAYS.name: Flag("--days", f"days of history to draw (default {DAYS.default})"),
    SET_TIERS.name: Flag("--tiers", SET_TIERS.help),
    SET_MARGIN.name: Flag("--margin", SET_MARGIN.help),
    SET_WEIGHTS.name: Flag("--weights", SET_WEIGHTS.help),
    SET_MIN_RELEVANCE.name: Flag("--min-relevance", SET_MIN_RELEVANCE.help),
    SET_BUDGET.name: Flag("--budget", SET_BUDGET.help),
}

# The command line's subcommand for each chat command (the parser names them so).
COMMAND_WORDS: dict[str, str] = {
    FIND.name: "find",
    WATCHLIST.name: "watch",
    DIGEST.name: "digest",
    AUDIT.name: "audit",
    PROFILE.name: "profile",
    SETTINGS.name: "settings",
}

# The words of each command, as the command line explains them.
WORDS_HELP: dict[str, str] = {
    FIND.name: "the niche, e.g. fitness or home workout (optional with --like)",
    WATCHLIST.name: "X handles, with or without @",
    DIGEST.name: "the niche, e.g. fitness",
    AUDIT.name: "the X account, e.g. @jane_lifts",
    PROFILE.name: "the X account, e.g. @jane_lifts",
    SETTINGS.name: "show, set or reset",
}


def add_words(parser: argparse.ArgumentParser, spec: CommandSpec) -> None:
    """The command's words as a positional argument (`niche ...`, `handles ...`, `handle`)."""
    nargs: str | None = None
    if not spec.argument_required:
        nargs = "*"
    elif spec.argument_kind is not ArgumentKind.ONE:
        nargs = "+"
    parser.add_argument(spec.argument, nargs=nargs, help=WORDS_HELP[spec.name])


def add_options(parser: argparse.ArgumentParser, action: ActionSpec) -> None:
    """The action's options as flags; absent ones get the table's default when built."""
    for opt in action.options:
        flag = FLAGS[opt.name]
        # Whole numbers are refused by argparse, as they always were; the rest stays text
        # (`10k`, `@jane`) for the table to check.
        kind = int if opt.kind is OptionKind.INT else str
        parser.add_argument(
            *flag.spellings, dest=flag.dest, type=kind, metavar=flag.metavar, help=flag.help
        )


def builds(parser: argparse.ArgumentParser, spec: CommandSpec, action: ActionSpec) -> None:
    """Mark a (sub)command as the table's `action` of `spec`, for `command_of`."""
    parser.set_defaults(table=(spec, action))


def command_of(args: argparse.Namespace) -> Command:
    """The core command the parsed arguments stand for; `BadInput` as in chat."""
    spec: CommandSpec
    action: ActionSpec
    spec, action = args.table
    raw = getattr(args, spec.argument, None) if action.takes_argument else None
    words = [] if raw is None else [raw] if spec.argument_kind is ArgumentKind.ONE else raw
    given = {
        opt.name: str(value)
        for opt in action.options
        if (value := getattr(args, FLAGS[opt.name].dest)) is not None
    }
    confirmed = bool(getattr(args, "yes", False))
    return spec.build(action.name, words, given, confirmed=confirmed)


def add_channel(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", default=CONSOLE_CHANNEL, help="channel id (default console)")


def add_place(parser: argparse.ArgumentParser) -> None:
    """`--channel` with `--platform` and `--workspace`: a channel of any front end."""
    add_channel(parser)
    parser.add_argument(
        "--platform", default=CONSOLE_PLATFORM, help="console, slack or discord (default console)"
    )
    parser.add_argument(
        "--workspace",
        default=CONSOLE_WORKSPACE,
        help="Slack workspace (team) or Discord guild id (default local)",
    )


def scope_of(args: argparse.Namespace) -> Scope:
    """The channel a command acts on: a console channel unless `--platform` says otherwise."""
    platform = getattr(args, "platform", CONSOLE_PLATFORM)
    workspace = getattr(args, "workspace", CONSOLE_WORKSPACE)
    return Scope(platform, workspace, getattr(args, "channel", CONSOLE_CHANNEL))


# --- chat words as command-line words ----------------------------------------------


def _option_word(name: str) -> str:
    """The flag for chat option `name`: the spelling that is the same word, else the flag."""
    flag = FLAGS[name]
    same = f"--{name}"
    return same if same in flag.spellings else flag.flag


def _command_words() -> dict[str, str]:
    """Every chat command name and alias -> what the command line types instead."""
    words = dict.fromkeys((HELP.name, *HELP.aliases), f"{PROG} --help")
    for spec in COMMANDS:
        if spec.name in COMMAND_WORDS:
            for name in (spec.name, *spec.aliases):
                words[name] = f"{PROG} {COMMAND_WORDS[spec.name]}"
    return words


def _alternation(names: Iterable[str]) -> str:
    # Longest first, so `find-influencers` wins over `find`.
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_OPTION_WORDS = {name: _option_word(name) for name in FLAGS}
_COMMAND_WORDS = _command_words()
# `Option limit: must be ...` names the option on its own.
_OPTION_NAMED = re.compile(rf"\bOption ({_alternation(_OPTION_WORDS)}): ")
# `tier:nano`, `limit:` (not inside a word, a URL or a time like 09:00).
_OPTION_TOKEN = re.compile(rf"(?<![\w/@.:-])({_alternation(_OPTION_WORDS)}):(\S*)")
# `/watchlist add`, `/find-influencers` (not a path or a URL's tail).
_COMMAND = re.compile(rf"(?<![\w/.:-])/({_alternation(_COMMAND_WORDS)})(?![\w-])")


def _token(match: re.Match[str]) -> str:
    word, value = _OPTION_WORDS[match.group(1)], match.group(2)
    if not value:
        return word
    if value[0] in ",.;)]":  # `Options: like:, tier:` lists the names alone
        return word + value
    return f"{word} {value}"


def cli_words(text: str) -> str:
    """A message worded for chat, in the command line's words.

    `Option limit: must be between 1 and 50.` -> `--limit: must be between 1 and 50.`;
    `min:20,000 is above max:5,000.` -> `--min-followers 20,000 is above --max-followers
    5,000.`; `/watchlist add @jane` -> `influencer-bot watch add @jane`.
    """
    text = _OPTION_NAMED.sub(lambda m: f"{_OPTION_WORDS[m.group(1)]}: ", text)
    text = _OPTION_TOKEN.sub(_token, text)
    return _COMMAND.sub(lambda m: _COMMAND_WORDS[m.group(1)], text)
