"""`influencer-bot run`: start the bot (the chat front ends that have tokens, or the terminal)."""

from __future__ import annotations

import argparse

from bot.cli.output import EXIT_OK
from bot.runner import run_bot
from bot.wiring import Services


async def cmd_run(svc: Services, args: argparse.Namespace) -> int:  # noqa: ARG001  every CLI handler takes (svc, args)
    await run_bot(svc)
    return EXIT_OK
