"""Starts the Discord front end from settings and runs it until cancelled."""

from __future__ import annotations

import logging
from typing import Any

from adapters.discord.client import ScoutBot, ShardedScoutBot, build_client
from adapters.discord.endpoints import use_endpoints
from adapters.discord.sink import DiscordSink
from adapters.storage.discord_state import SqlDiscordState
from bot.collector import settle_after_start_up
from bot.wiring import Services

log = logging.getLogger(__name__)


def create_discord_client(
    svc: Services, *, progress_every: float | None = None, **options: Any
) -> ScoutBot | ShardedScoutBot:
    """The configured client, not yet connected (tests start it against a fake Discord).

    Points discord.py at `DISCORD_API_BASE_URL` / `DISCORD_GATEWAY_URL` first: both are
    process-wide in discord.py (see `adapters.discord.endpoints`).
    """
    s = svc.settings
    use_endpoints(s.discord_api_base_url, s.discord_gateway_url)
    return build_client(
        svc.scout,
        SqlDiscordState(svc.database),
        guild_id=s.discord_guild_id,
        gateway_url=s.discord_gateway_url,
        shard_count=s.discord_shard_count,
        progress_every=progress_every,
        **options,
    )


async def run_discord(svc: Services) -> None:
    """Log in, sync commands if they changed, and serve interactions until cancelled."""
    token = svc.settings.discord_bot_token
    if token is None or not token.get_secret_value():
        raise ValueError("DISCORD_BOT_TOKEN is not set")
    client = create_discord_client(svc)
    settle_after_start_up()  # no collector pauses of 100-250 ms under load
    if svc.settings.discord_guild_id:
        log.info(
            "Discord: development mode, commands go to guild %s", svc.settings.discord_guild_id
        )
    previous = svc.sinks.get(DiscordSink.platform)
    async with client:
        await client.login(token.get_secret_value())
        # Scheduled messages share the bot's HTTP client (and so its rate-limit buckets).
        svc.sinks[DiscordSink.platform] = DiscordSink(client)
        try:
            await client.connect()
        finally:
            if previous is not None:
                svc.sinks[DiscordSink.platform] = previous
            else:
                svc.sinks.pop(DiscordSink.platform, None)
