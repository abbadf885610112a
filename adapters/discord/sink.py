"""Scheduled messages (digests, tier alerts, account notices) posted to Discord channels.

Implements `core.ports.MessageSink` over discord.py's REST client: create-message in
`scope.channel`. discord.py already waits out short 429s (`retry_after`); what it gives
up on becomes `DeliveryRetryLater`, a channel the bot lost becomes `ChannelGone`, and any
other refusal `DeliveryRejected`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import discord

from adapters.discord.client import MAX_RATE_LIMIT_WAIT_SECONDS
from adapters.discord.endpoints import use_api_base
from adapters.discord.render import render
from core.errors import ChannelGone, DeliveryRejected, DeliveryRetryLater
from core.models import Notice, Scope

log = logging.getLogger(__name__)

# Discord JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
MISSING_ACCESS = 50001
GONE_CODES = frozenset({UNKNOWN_CHANNEL, UNKNOWN_GUILD, MISSING_ACCESS})
SERVER_RETRY_SECONDS = 30.0


def _retry_after(err: discord.HTTPException) -> float:
    """`Retry-After` of a 429 that discord.py stopped retrying, or a safe default."""
    headers = getattr(err.response, "headers", None) or {}
    try:
        return max(float(headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return 5.0


class DiscordSink:
    """Posts notices as embeds; `client` needs only to be logged in (no gateway)."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def deliver(self, scope: Scope, notice: Notice) -> None:
        if scope.platform != self.platform:
            raise DeliveryRejected(f"DiscordSink cannot deliver to {scope.platform}")
        try:
            channel_id = int(scope.channel)
            guild_id = int(scope.workspace) if scope.workspace.isdigit() else None
        except ValueError:
            raise DeliveryRejected(f"'{scope.channel}' is not a Discord channel id") from None
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        for message in render(notice):
            view = message.view()
            try:
                if view is None:
                    await channel.send(embeds=list(message.embeds))
                else:
                    await channel.send(embeds=list(message.embeds), view=view)
            except discord.RateLimited as err:
                raise DeliveryRetryLater(
                    f"Discord rate limit on channel {channel_id}", err.retry_after
                ) from err
            except discord.HTTPException as err:
                raise _delivery_error(err, channel_id) from err
            except (TimeoutError, aiohttp.ClientError, OSError) as err:
                raise DeliveryRetryLater(
                    f"Discord unreachable: {err}", SERVER_RETRY_SECONDS
                ) from err


def _delivery_error(err: discord.HTTPException, channel_id: int) -> Exception:
    if err.status == 429:
        return DeliveryRetryLater(f"Discord rate limit on channel {channel_id}", _retry_after(err))
    if err.status >= 500:
        return DeliveryRetryLater(f"Discord error {err.status}", SERVER_RETRY_SECONDS)
    if err.status == 404 or err.code in GONE_CODES:
        return ChannelGone(f"Channel {channel_id} is gone or the bot lost access ({err.code})")
    return DeliveryRejected(f"Discord refused the message: {err.status} {err.code} {err.text}")


@asynccontextmanager
async def discord_sink(token: str, api_base: str) -> AsyncIterator[DiscordSink]:
    """A sink with its own REST-only client (no gateway), for processes without the bot.

    Inside the bot process, prefer `DiscordSink(client)` with the running client.
    """
    use_api_base(api_base)
    client = discord.Client(
        intents=discord.Intents.none(),
        max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT_SECONDS,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    try:
        await client.login(token)
        yield DiscordSink(client)
    finally:
        await client.close()
