"""The `influencer-bot` argument parser: every command, subcommand and flag.

The commands chat has too (find, watch, digest, audit) take their words and options
from the command table (`bot.cli.flags`); the flags only the command line has
(`--json`, `--channel`, `--now`, ...) and its own commands (run, refresh, alerts,
outbox, audit-users, digest run-due) are declared here. Flags and `--json` shapes are a
contract other tools rely on: add, never rename.

Building the parser imports only `core.commands`, these `bot.cli` modules and the
standard library (a test checks): handlers are imported when their command runs
(`bot.cli.handlers`), so `--help` and mistakes are answered at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn, TypeAlias

from bot.cli import handlers
from bot.cli.doctor import DEFAULT_TIMEOUT_SECONDS, run_doctor, seconds
from bot.cli.flags import (
    COMMAND_WORDS,
    CONSOLE_PLATFORM,
    CONSOLE_WORKSPACE,
    FLAGS,
    add_channel,
    add_options,
    add_place,
    add_words,
    builds,
)
from bot.cli.output import EXIT_BAD_INPUT, PROG, out
from core.commands import (
    AUDIT,
    DIGEST,
    EXPORT,
    FIND,
    PROFILE,
    SETTINGS,
    SPENDING_NOTES,
    WATCHLIST,
)


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose mistakes are one line on stderr (exit status 2), no usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{PROG}: error: {message} (see {self.prog} --help)\n")


class VersionAction(argparse.Action):
    """`--version`: the version, the data folder and the database, then exit."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(  # argparse calls it with (parser, namespace, values, option_string)
        self,
        parser: argparse.ArgumentParser,
        _namespace: argparse.Namespace,
        _values: Any,
        _option_string: str | None = None,
    ) -> None:
        from bot.cli.version import version_text

        out(version_text())  # on stdout, as argparse's own version action prints
        parser.exit(0)


# A string: argparse's class is not subscriptable at run time.
Subparsers: TypeAlias = "argparse._SubParsersAction[OneLineParser]"

# The command line's own wording for the table's actions, in the order `--help` lists them
# (a test checks every action of the table has a subcommand).
WATCH_HELP = {
    "add": "track accounts (any number; X is asked 100 at a time)",
    "remove": "stop tracking accounts",
    "list": "show the watchlist",
    "export": "the watchlist as CSV on stdout, with each account's profile and growth",
    "chart": "draw an account's follower history as a PNG (--out FILE.png) and its growth",
    "notify": "mention a Slack user group or Discord role on tier alerts (off: nobody)",
}
# Watch actions with a handler of their own (the rest share `handlers.watch`).
WATCH_HANDLERS = {"export": handlers.watch_export, "chart": handlers.watch_chart}
DIGEST_HELP = {
    "subscribe": "subscribe a channel to a niche's digest",
    "unsubscribe": "stop a channel's digest of a niche",
    "preview": "show what the channel's next digest of a niche would hold now",
    "list": "a channel's digest subscriptions",
}


def _json(parser: argparse.ArgumentParser, what: str = "object") -> None:
    parser.add_argument("--json", action="store_true", help=f"print one JSON {what}")


def _find(sub: Subparsers) -> None:
    find = sub.add_parser(
        COMMAND_WORDS[FIND.name],
        help=FIND.summary,
        description=FIND.summary,
        epilog=" ".join(SPENDING_NOTES),
    )
    add_words(find, FIND)
    action = FIND.action(None)
    add_options(find, action)
    find.add_argument(
        "--csv",
        dest=FLAGS[EXPORT.name].dest,
        action="store_const",
        const="csv",
        help="write the results as CSV to stdout (the same as --export csv)",
    )
    _json(find)
    builds(find, FIND, action)
    find.set_defaults(handler=handlers.find, check=handlers.check_find)


def _watch(sub: Subparsers) -> None:
    watch = sub.add_parser(COMMAND_WORDS[WATCHLIST.name], help="manage a channel's watchlist")
    actions = watch.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, helptext in WATCH_HELP.items():
        action = WATCHLIST.action(name)
        p = actions.add_parser(name, help=helptext)
        if action.takes_argument:
            add_words(p, WATCHLIST)
        add_options(p, action)
        add_channel(p)
        if name == "chart":
            p.add_argument(
                "--out",
                metavar="FILE.png",
                default=None,
                help="where to write the PNG (default: its own name, in this folder)",
            )
        if name != "export":  # an export is the CSV itself
            _json(p)
        builds(p, WATCHLIST, action)
        p.set_defaults(handler=WATCH_HANDLERS.get(name, handlers.watch))
    imports = actions.add_parser(
        "import",
        help="track every account in a file (CSV with a handle column, or one a line)",
        description=(
            "Track the accounts in FILE: a CSV whose first line names a handle, username "
            "or screen_name column, or one handle a line (@jane, jane or an x.com link). "
            "Reports what was tracked, already tracked and not found on X. Lines without "
            "a handle are named on stderr and skipped (exit status 2 then)."
        ),
    )
    imports.add_argument("file", metavar="FILE", help="the file, or - for standard input")
    add_channel(imports)
    _json(imports)
    imports.set_defaults(handler=handlers.watch_import)


def _run(sub: Subparsers) -> None:
    run = sub.add_parser(
        "run", help="start the bot (terminal chat when no Slack/Discord tokens are set)"
    )
    run.set_defaults(handler=handlers.run)


def _refresh_and_alerts(sub: Subparsers) -> None:
    refresh = sub.add_parser(
        "refresh",
        help="refresh every tracked account now and print the tier crossings",
        description="One watchlist refresh pass now: ceil(N/100) X lookups for N accounts.",
    )
    _json(refresh)
    refresh.set_defaults(handler=handlers.refresh)

    alerts = sub.add_parser("alerts", help="recent tier crossings and where they were sent")
    alerts.add_argument("--limit", type=int, default=50, help="how many alerts (default 50)")
    alerts.add_argument("--channel", default=None, help="only this channel id")
    _json(alerts)
    alerts.set_defaults(handler=handlers.alerts)


def _digest(sub: Subparsers) -> None:
    digest = sub.add_parser(
        COMMAND_WORDS[DIGEST.name], help="weekly digests of new micro influencers"
    )
    actions = digest.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, helptext in DIGEST_HELP.items():
        action = DIGEST.action(name)
        p = actions.add_parser(name, help=helptext)
        if action.takes_argument:
            add_words(p, DIGEST)
        add_place(p)
        add_options(p, action)
        if name == "list":
            p.add_argument("--all", action="store_true", help="every channel's subscriptions")
        _json(p)
        builds(p, DIGEST, action)
        p.set_defaults(handler=handlers.digest)
    run_due = actions.add_parser(
        "run-due", help="send every digest that is due (catching up after downtime)"
    )
    run_due.add_argument("--now", default=None, help="pretend it is this ISO-8601 time")
    _json(run_due)
    run_due.set_defaults(handler=handlers.run_due)


def _outbox(sub: Subparsers) -> None:
    outbox = sub.add_parser(
        "outbox", help="scheduled messages: pending, delivered, failed, paused channels"
    )
    outbox.add_argument("--limit", type=int, default=20, help="rows per status (default 20)")
    outbox.add_argument(
        "--deliver",
        action="store_true",
        help="deliver what is due first (console, and Slack/Discord when configured)",
    )
    outbox.add_argument(
        "--resume-channel",
        default=None,
        metavar="ID",
        help="un-pause a channel the bot was added back to (with --platform/--workspace)",
    )
    outbox.add_argument("--platform", default=CONSOLE_PLATFORM, help=argparse.SUPPRESS)
    outbox.add_argument("--workspace", default=CONSOLE_WORKSPACE, help=argparse.SUPPRESS)
    _json(outbox)
    outbox.set_defaults(handler=handlers.outbox)


def _audits(sub: Subparsers) -> None:
    users = sub.add_parser(
        "audit-users",
        help="score X user objects from a JSON-lines file as likely fake or genuine",
        description=(
            "Score each line of FILE (a v2 user object, or "
            '{"user": {...}, "observed_at": "..."}) with the fake-account classifier. '
            'Prints {"id", "fake_probability", "reasons"} per line, in order. '
            "Offline: no X reads, no database."
        ),
    )
    users.add_argument("file", help="JSON-lines file, or - for standard input")
    _json(users, "array")
    users.set_defaults(handler=None, standalone=handlers.audit_users)

    audit = sub.add_parser(COMMAND_WORDS[AUDIT.name], help=AUDIT.summary, description=AUDIT.summary)
    add_words(audit, AUDIT)
    action = AUDIT.action(None)
    add_options(audit, action)
    audit.add_argument(
        "--yes",
        action="store_true",
        help="go ahead even when it may cost more than AUDIT_CONFIRM_ABOVE_USD",
    )
    add_channel(audit)
    _json(audit)
    builds(audit, AUDIT, action)
    audit.set_defaults(handler=handlers.audit)


def _profile(sub: Subparsers) -> None:
    profile = sub.add_parser(
        COMMAND_WORDS[PROFILE.name], help=PROFILE.summary, description=PROFILE.summary
    )
    add_words(profile, PROFILE)
    action = PROFILE.action(None)
    add_options(profile, action)
    _json(profile)
    builds(profile, PROFILE, action)
    profile.set_defaults(handler=handlers.profile)


SETTINGS_HELP = {
    "show": "a workspace's settings: its own and the deployment's defaults, and the log",
    "set": "change a workspace's settings (the command line is the deployment's admin)",
    "reset": "drop a workspace's own settings: back to the deployment's",
}


def _settings(sub: Subparsers) -> None:
    settings = sub.add_parser(
        COMMAND_WORDS[SETTINGS.name],
        help="a workspace's tier boundaries, scoring, relevance and X budget share",
        description=SETTINGS.summary,
        epilog=" ".join(SETTINGS.notes),
    )
    # `influencer-bot settings` alone shows them, as `/influencer-settings` does.
    settings.set_defaults(
        handler=handlers.settings,
        table=(SETTINGS, SETTINGS.action("show")),
        json=False,
        place="console:local",
    )
    actions = settings.add_subparsers(dest="action", metavar="ACTION")
    for name, helptext in SETTINGS_HELP.items():
        action = SETTINGS.action(name)
        p = actions.add_parser(name, help=helptext)
        add_options(p, action)
        p.add_argument(
            "--workspace",
            dest="place",
            default="console:local",
            metavar="PLATFORM:ID",
            help="the workspace: slack:TEAM_ID, discord:GUILD_ID or console:local (default)",
        )
        _json(p)
        builds(p, SETTINGS, action)
        p.set_defaults(handler=handlers.settings)


def _doctor(sub: Subparsers) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check the database, X, Slack and Discord settings: what is fine, what to fix",
        description=(
            "One line per configured piece: ok, FIX (with what to do) or -- (not configured). "
            "Exit 0 when every configured piece is fine, 1 otherwise, 2 for a bad setting."
        ),
    )
    doctor.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"how long each check may take (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    _json(doctor)
    doctor.set_defaults(handler=None, standalone=run_doctor)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="Find micro influencers on X from the terminal, Slack or Discord.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument(
        "--version",
        action=VersionAction,
        help="print the version, where the data lives and the database, then exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # In the order `influencer-bot --help` has always listed them.
    for add in (
        _find,
        _watch,
        _run,
        _refresh_and_alerts,
        _digest,
        _outbox,
        _audits,
        _profile,
        _settings,
        _doctor,
    ):
        add(sub)
    return parser
