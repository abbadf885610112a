"""The discord.py clients: plain, or auto-sharded for large bots.

Both run the same `setup` in `setup_hook` (after login, before the gateway): create the
Discord tables, register the persistent buttons, find the gateway, sync the commands if
they changed. Closing either lets answers in progress finish first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from adapters.discord.app import CommandRunner, DiscordApp
from adapters.discord.buttons import AuditButton, TrackButton
from adapters.discord.endpoints import use_gateway
from adapters.discord.state import DiscordState
from adapters.discord.sync import sync_if_changed

log = logging.getLogger(__name__)

# Discord's gateway accepts one IDENTIFY per 5 seconds (max_concurrency 1).
IDENTIFY_INTERVAL_SECONDS = 5.0
# On shutdown, answers in progress get this long to finish before they are cancelled.
SHUTDOWN_GRACE_SECONDS = 10.0
# A 429 asking to wait longer than this raises instead of sleeping (discord.py's minimum).
MAX_RATE_LIMIT_WAIT_SECONDS = 30.0


def intents() -> discord.Intents:
    """Interactions need no intents; `guilds` (not privileged) keeps channels resolvable."""
    return discord.Intents(guilds=True)


async def setup(
    client: discord.Client, app: DiscordApp, guild_id: int | None, gateway_url: str | None
) -> None:
    """Runs in `setup_hook`: after login (the application id is known), before the gateway."""
    client.add_dynamic_items(TrackButton, AuditButton)
    if gateway_url:
        use_gateway(gateway_url)
    else:
        # Discord says to ask REST for the gateway; a proxy or test server answers its own.
        _, url, _ = await client.http.get_bot_gateway()
        use_gateway(url)
    application_id = client.application_id
    if application_id is None:  # pragma: no cover - login always sets it
        raise RuntimeError("Discord did not tell us the application id")
    await sync_if_changed(app.tree, app.state, application_id, guild_id)


class ScoutBot(discord.Client):
    """One gateway connection: enough for up to 2,500 guilds."""

    scout_app: DiscordApp

    def __init__(
        self, *, guild_id: int | None = None, gateway_url: str | None = None, **options: Any
    ) -> None:
        super().__init__(intents=intents(), **options)
        self._guild_id = guild_id
        self._gateway_url = gateway_url

    async def setup_hook(self) -> None:
        await setup(self, self.scout_app, self._guild_id, self._gateway_url)

    async def close(self) -> None:
        await self.scout_app.drain(SHUTDOWN_GRACE_SECONDS)
        await super().close()


class ShardedScoutBot(discord.AutoShardedClient):
    """Several gateway shards in one process (`DISCORD_SHARD_COUNT`)."""

    scout_app: DiscordApp

    def __init__(
        self,
        *,
        guild_id: int | None = None,
        gateway_url: str | None = None,
        identify_interval: float = IDENTIFY_INTERVAL_SECONDS,
        **options: Any,
    ) -> None:
        super().__init__(intents=intents(), **options)
        self._guild_id = guild_id
        self._gateway_url = gateway_url
        self._identify_interval = identify_interval

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:  # noqa: ARG002  discord.Client hook signature
        # Discord allows one IDENTIFY per 5 s (per max_concurrency bucket).
        if not initial:
            await asyncio.sleep(self._identify_interval)

    async def setup_hook(self) -> None:
        await setup(self, self.scout_app, self._guild_id, self._gateway_url)

    async def close(self) -> None:
        await self.scout_app.drain(SHUTDOWN_GRACE_SECONDS)
        await super().close()


def build_client(
    scout: CommandRunner,
    state: DiscordState,
    *,
    guild_id: int | None = None,
    gateway_url: str | None = None,
    shard_count: int | None = None,
    progress_every: float | None = None,
    **options: Any,
) -> ScoutBot | ShardedScoutBot:
    """A client with its commands registered; `start(token)` connects it."""
    # The bot has no voice features: skip discord.py's warnings about voice libraries.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    common: dict[str, Any] = {
        "guild_id": guild_id,
        "gateway_url": gateway_url,
        "max_ratelimit_timeout": MAX_RATE_LIMIT_WAIT_SECONDS,
        # Niches and handles are user text: never let a reply ping anyone.
        "allowed_mentions": discord.AllowedMentions.none(),
        **options,
    }
    client: ScoutBot | ShardedScoutBot
    if shard_count:
        client = ShardedScoutBot(shard_count=shard_count, **common)
    else:
        client = ScoutBot(**common)
    extra = {} if progress_every is None else {"progress_every": progress_every}
    client.scout_app = DiscordApp(client, scout, state, **extra)
    return client
