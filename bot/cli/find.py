"""`influencer-bot find` and `influencer-bot watch`: searches and a channel's watchlist."""

from __future__ import annotations

import argparse

from adapters.console.render import render
from bot.cli.flags import command_of, scope_of
from bot.cli.output import EXIT_OK, out, out_json
from bot.cli.payloads import search_json, watch_change_json, watchlist_json
from bot.wiring import Services
from core.errors import BadInput
from core.models import SearchResult, WatchChange, WatchlistView

FIND_WHICH = (
    "which niche? For example: influencer-bot find fitness, or accounts like one you "
    "know: influencer-bot find --like @jane_lifts"
)


def check_find(args: argparse.Namespace) -> None:
    """A search needs a niche or `--like`: said before settings or the database are touched."""
    if not " ".join(args.niche).strip() and not args.like:
        raise BadInput(FIND_WHICH)


async def cmd_find(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    assert isinstance(reply, SearchResult)
    if args.json:
        out_json(search_json(reply))
    else:
        out(render(reply))
    return EXIT_OK


async def cmd_watch(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    if args.json:
        if isinstance(reply, WatchlistView):
            out_json(watchlist_json(reply))
        else:
            assert isinstance(reply, WatchChange)
            out_json(watch_change_json(reply))
    else:
        out(render(reply))
    return EXIT_OK
