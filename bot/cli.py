"""The `influencer-bot` command line.

Exit status: 0 on success, 2 on bad input (one line on stderr), 1 on failure.
Flags and `--json` shapes are a contract other tools rely on: add, never rename.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError

from adapters.console.payloads import search_json, watch_change_json, watchlist_json
from adapters.console.render import SAMPLE_BANNER, render
from bot.logs import setup_logging
from bot.settings import Settings
from bot.wiring import Services, services
from core.commands import FIND, SPENDING_NOTES, build_find, build_watchlist
from core.errors import BadInput, ScoutError
from core.models import Scope

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
CONSOLE_WORKSPACE = "local"

Handler = Callable[[Services, argparse.Namespace], Awaitable[int]]


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False))


def console_scope(channel: str) -> Scope:
    return Scope("console", CONSOLE_WORKSPACE, channel)


FIND_WHICH = (
    "which niche? For example: influencer-bot find fitness, or accounts like one you "
    "know: influencer-bot find --like @jane_lifts"
)


async def cmd_find(svc: Services, args: argparse.Namespace) -> int:
    command = build_find(
        args.niche,
        tier=args.tier,
        min_followers=args.min_followers,
        max_followers=args.max_followers,
        lang=args.lang,
        limit=args.limit,
        like=args.like,
    )
    result = await svc.scout.find(command.request)
    if args.json:
        _print_json(search_json(result))
    else:
        print(render(result))
    return EXIT_OK


async def cmd_watch(svc: Services, args: argparse.Namespace) -> int:
    command = build_watchlist(args.action, args.handles)
    reply = await svc.scout.handle(command, console_scope(args.channel))
    if args.json:
        if args.action == "list":
            _print_json(watchlist_json(reply))  # type: ignore[arg-type]
        else:
            _print_json(watch_change_json(reply))  # type: ignore[arg-type]
    else:
        print(render(reply))
    return EXIT_OK


async def cmd_run(svc: Services, args: argparse.Namespace) -> int:
    from bot.runner import run_bot  # the chat front ends are only imported when needed

    await run_bot(svc)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="influencer-bot",
        description="Find micro influencers on X from the terminal, Slack or Discord.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    find = sub.add_parser(
        "find", help=FIND.summary, description=FIND.summary, epilog=" ".join(SPENDING_NOTES)
    )
    find.add_argument(
        "niche", nargs="*", help="the niche, e.g. fitness or home workout (optional with --like)"
    )
    find.add_argument(
        "--like",
        metavar="HANDLE",
        help="find accounts like this X account (@handle, handle or x.com link)",
    )
    find.add_argument("--tier", default="micro", help="nano|micro|mid|macro|mega|any")
    find.add_argument("--min-followers", help="e.g. 10000 or 10k")
    find.add_argument("--max-followers", help="e.g. 50000 or 50k")
    find.add_argument("--lang", default="en", help="post language (ISO code, or any)")
    find.add_argument("--limit", type=int, default=10, help="how many accounts (1-50)")
    find.add_argument("--json", action="store_true", help="print one JSON object")
    find.set_defaults(handler=cmd_find)

    watch = sub.add_parser("watch", help="manage a channel's watchlist")
    watch_sub = watch.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, helptext in (("add", "track accounts"), ("remove", "stop tracking accounts")):
        p = watch_sub.add_parser(action, help=helptext)
        p.add_argument("handles", nargs="+", help="X handles, with or without @")
        p.add_argument("--channel", default="console", help="channel id (default console)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=cmd_watch)
    wl = watch_sub.add_parser("list", help="show the watchlist")
    wl.add_argument("--channel", default="console", help="channel id (default console)")
    wl.add_argument("--json", action="store_true", help="print one JSON object")
    wl.set_defaults(handler=cmd_watch, handles=[])

    run = sub.add_parser(
        "run", help="start the bot (terminal chat when no Slack/Discord tokens are set)"
    )
    run.set_defaults(handler=cmd_run)

    extend_parser(sub)
    return parser


def extend_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands that live in their own modules register here."""
    from bot import cli_audit, cli_schedule

    cli_schedule.register(sub)
    cli_audit.register(sub)


def _normalize_args(args: argparse.Namespace) -> None:
    if getattr(args, "niche", None) and isinstance(args.niche, list):
        args.niche = " ".join(args.niche)
    if args.command == "find":
        args.niche = args.niche or ""
        if not args.niche.strip() and not args.like:
            raise BadInput(FIND_WHICH)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    standalone = getattr(args, "standalone", None)
    if standalone is not None:  # needs neither the database nor X (e.g. audit-users)
        return int(await standalone(args))
    handler: Handler = args.handler
    async with services(settings) as svc:
        # find and run print their own sample label; the others get it on stderr.
        quiet = getattr(args, "json", False) or args.command in ("run", "find")
        if svc.x.name == "sample" and not quiet:
            print(SAMPLE_BANNER, file=sys.stderr)
        return await handler(svc, args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _normalize_args(args)
    except BadInput as err:  # checked before settings or the database are touched
        print(f"influencer-bot: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        settings = Settings()
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).upper()
        print(f"influencer-bot: setting {where}: {first['msg']}", file=sys.stderr)
        return EXIT_BAD_INPUT
    level = settings.log_level
    serves_chat = bool(
        settings.slack_bot_token or settings.slack_client_id or settings.discord_bot_token
    )
    if "LOG_LEVEL" not in os.environ and (args.command != "run" or not serves_chat):
        # One-shot commands print results, and the terminal chat owns the terminal:
        # progress lines would only get in the way. A served bot logs at LOG_LEVEL.
        level = "WARNING"
    setup_logging("DEBUG" if args.verbose else level)
    try:
        return asyncio.run(_run(args, settings))
    except BadInput as err:
        print(f"influencer-bot: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ScoutError as err:
        print(f"influencer-bot: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except BrokenPipeError:
        # The reader (e.g. `| head`) left early: not a failure of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        log.exception("influencer-bot failed")
        print("influencer-bot: failed; the log above has the details.", file=sys.stderr)
        return EXIT_FAILURE
