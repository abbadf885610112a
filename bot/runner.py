"""`influencer-bot run`: starts the chat front ends that have tokens, or the terminal chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from adapters.console.chat import ConsoleChat
from bot.wiring import Services

log = logging.getLogger(__name__)


async def run_bot(svc: Services) -> None:
    """Run until every front end stops (or Ctrl-C)."""
    s = svc.settings
    jobs: list[Awaitable[None]] = []
    if s.slack_bot_token or s.slack_client_id:
        from bot.slack_entry import run_slack

        jobs.append(run_slack(svc))
    if s.discord_bot_token:
        from bot.discord_entry import run_discord

        jobs.append(run_discord(svc))
    if not jobs:
        log.info("no Slack or Discord tokens: starting the terminal chat")
        await ConsoleChat(svc.scout).run()
        return
    await asyncio.gather(*jobs)
