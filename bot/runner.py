"""`influencer-bot run`: starts the chat front ends that have tokens, or the terminal chat.

The scheduler (watchlist refresh, digests, outbox delivery) runs next to them in the
same event loop, delivering through the sinks of the platforms this process serves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager

from adapters.console.chat import ConsoleChat
from adapters.storage.database import Database
from bot.paths import data_dir
from bot.settings import Settings
from bot.wiring import Services
from core.ports import MessageSink

log = logging.getLogger(__name__)


async def register_platform_sinks(
    settings: Settings,
    database: Database,
    sinks: dict[str, MessageSink],
    stack: AsyncExitStack,
) -> None:
    """Slack and Discord sinks for scheduled messages, when those platforms are configured.

    A front end may replace its entry with one built on its running client; the outbox
    reads the registry on every delivery run. What `stack` closes, the sinks need.
    """
    if (settings.slack_bot_token or settings.slack_client_id) and "slack" not in sinks:
        from bot.slack_entry import build_slack_sink

        slack = await build_slack_sink(settings, database)
        if slack is not None:
            sinks["slack"] = slack
    if settings.discord_bot_token and "discord" not in sinks:
        from adapters.discord.sink import discord_sink

        token = settings.discord_bot_token.get_secret_value()
        sinks["discord"] = await stack.enter_async_context(
            discord_sink(token, settings.discord_api_base_url)
        )


@asynccontextmanager
async def scheduled_work(svc: Services) -> AsyncIterator[None]:
    """Run the scheduler (unless `SCHEDULER_ENABLED=false`) for the duration of the block."""
    if not svc.settings.scheduler_enabled:
        log.info("scheduler disabled (SCHEDULER_ENABLED=false)")
        yield
        return
    from bot.scheduler import BotScheduler

    async with AsyncExitStack() as stack:
        await register_platform_sinks(svc.settings, svc.database, svc.sinks, stack)
        scheduler = BotScheduler(svc)
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()


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
    async with scheduled_work(svc):
        if not jobs:
            log.info("no Slack or Discord tokens: starting the terminal chat")
            # History beside the database, so INFLUENCER_BOT_DATA_DIR moves both.
            await ConsoleChat(
                svc.scout, history=data_dir() / "chat-history", exports=data_dir() / "exports"
            ).run()
            return
        await asyncio.gather(*jobs)
