"""`influencer-bot watch add|remove|list` and `watch import FILE`: a channel's watchlist.

Chat takes at most `MAX_HANDLES` handles a message; the command line takes any number
(each group of `MAX_HANDLES` is checked by the command table, and X is asked 100 at a
time: ceil(N/100) lookups for N handles not stored yet). `watch import` reads them from
a file (`bot.cli.handle_files`); lines without a handle are reported on stderr by
number and skipped, the rest are tracked, and the exit status is then 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.console.render import render
from bot.cli.flags import cli_words, command_of, scope_of
from bot.cli.handle_files import HandleFile, read_handles
from bot.cli.output import EXIT_BAD_INPUT, EXIT_OK, err, out, out_json
from bot.cli.payloads import watch_change_json, watchlist_json
from bot.wiring import Services
from core.commands import MAX_HANDLES, WATCHLIST, WatchlistCommand
from core.errors import BadInput, UnknownHandle
from core.models import NotifyChange, WatchChange, WatchlistView
from core.wording import plural

SHOWN_UNKNOWN = 5


def bulk_command(action: str, handles: Sequence[str]) -> WatchlistCommand:
    """A watchlist change for any number of handles, each group checked by the table."""
    merged: dict[str, str] = {}
    groups: list[WatchlistCommand] = []
    for start in range(0, max(len(handles), 1), MAX_HANDLES):
        command = WATCHLIST.build(action, handles[start : start + MAX_HANDLES])
        assert isinstance(command, WatchlistCommand)
        groups.append(command)
        for handle in command.handles:
            merged.setdefault(handle.lower(), handle)  # X handles ignore case
    return WatchlistCommand(groups[0].action, tuple(merged.values()))


def _command(args: argparse.Namespace) -> WatchlistCommand:
    if args.action != "list" and len(args.handles) > MAX_HANDLES:
        return bulk_command(args.action, args.handles)
    command = command_of(args)
    assert isinstance(command, WatchlistCommand)
    return command


async def cmd_watch(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(_command(args), scope_of(args))
    if args.json:
        if isinstance(reply, WatchlistView):
            out_json(watchlist_json(reply))
        elif isinstance(reply, NotifyChange):
            out_json(
                {"channel": reply.scope.channel, "mention": reply.mention, "source": reply.source}
            )
        else:
            assert isinstance(reply, WatchChange)
            out_json(watch_change_json(reply))
    else:
        out(cli_words(render(reply)))
    return EXIT_OK


def _read(file: str) -> str:
    """The file's text (`-` is standard input), or a `BadInput` naming the problem."""
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{file}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{file}: is a folder, not a file of handles") from None
    except UnicodeDecodeError:
        raise BadInput(f"{file}: not UTF-8 text (save it as UTF-8 CSV or plain text)") from None
    except OSError as error:
        raise BadInput(f"{file}: cannot read it ({error.strerror or error})") from None


def _summary(name: str, read: HandleFile, change: WatchChange) -> str:
    parts = [
        f"{len(change.added)} tracked",
        f"{len(change.already)} already tracked",
        f"{len(change.not_found)} not found",
    ]
    if read.bad:
        parts.append(f"{plural(len(read.bad), 'line')} skipped")
    return f"{name}: {plural(len(read.handles), 'handle')}: " + ", ".join(parts) + "."


def import_json(name: str, read: HandleFile, change: WatchChange) -> dict[str, Any]:
    """`watch import --json`: `watch add`'s shape, plus what the file held."""
    return {
        **watch_change_json(change),
        "file": name,
        "handles": len(read.handles),
        "invalid": [{"line": b.number, "text": b.text, "error": b.error} for b in read.bad],
    }


async def cmd_watch_import(svc: Services, args: argparse.Namespace) -> int:
    name = "standard input" if args.file == "-" else args.file
    text = _read(args.file)
    try:
        read = read_handles(text)
    except BadInput as error:
        raise BadInput(f"{name}: {error}") from None
    for bad in read.bad:
        err(f"{name} line {bad.number}: {bad.error}")
    if not read.handles:
        raise BadInput(f"{name}: no handles to import (one a line, or a CSV with a handle column)")
    try:
        reply = await svc.scout.handle(bulk_command("add", read.handles), scope_of(args))
    except UnknownHandle as error:
        shown = ", ".join(f"@{h}" for h in error.handles[:SHOWN_UNKNOWN])
        more = len(error.handles) - SHOWN_UNKNOWN
        tail = f" and {more} more" if more > 0 else ""
        raise BadInput(f"{name}: no X account found for any handle ({shown}{tail}).") from None
    assert isinstance(reply, WatchChange)
    if args.json:
        out_json(import_json(name, read, reply))
    else:
        out(cli_words(render(reply)))
        out(_summary(name, read, reply))
    return EXIT_BAD_INPUT if read.bad else EXIT_OK
