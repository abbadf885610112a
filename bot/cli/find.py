"""`influencer-bot find`: a search for a niche or accounts like one."""

from __future__ import annotations

import argparse

from adapters.console.render import render
from bot.cli.flags import cli_words, command_of, scope_of
from bot.cli.output import EXIT_OK, out, out_json
from bot.cli.payloads import search_json
from bot.wiring import Services
from core.models import SearchResult


async def cmd_find(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    assert isinstance(reply, SearchResult)
    if args.json:
        out_json(search_json(reply))
    elif reply.results:
        out(render(reply))
    else:
        # Nobody listed: the answer is hints (`try tier:nano`), which read in flags here.
        # A list is left as rendered: its posts and bios are other people's words. So is
        # the query line: `lang:en` there is X's own search syntax.
        out(_in_cli_words(render(reply), reply.query))
    return EXIT_OK


def _in_cli_words(text: str, query: str) -> str:
    return "\n".join(
        line if query and query in line else cli_words(line) for line in text.split("\n")
    )
