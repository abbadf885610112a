"""Scheduled messages (digests, tier alerts, account notices) posted to Discord channels.

Implements `core.ports.MessageSink` over discord.py's REST client: create-message in
`scope.channel`. discord.py already waits out short 429s (`retry_after`); what it gives
up on becomes `DeliveryRetryLater`, a channel the bot lost becomes `ChannelGone`, and any
other refusal `DeliveryRejected`.

A tier alert's extras: the channel's mention opens the message (`<@&123>`), with
`allowed_mentions` naming exactly that role or user (never @everyone, never anyone a
notice happens to name), and the chart is attached and shown in the embed.

Every part of a message carries a nonce derived from its outbox key and part index, and
discord.py sends `enforce_nonce` with it: a repeat within Discord's window (a few
minutes) is answered with the message already created, so a retry after a crash that
followed Discord's answer posts nothing twice. Past that window a repeat is posted
again: the outbox's "at most twice".
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import discord

from adapters.discord.client import MAX_RATE_LIMIT_WAIT_SECONDS
from adapters.discord.endpoints import use_api_base
from adapters.discord.files import discord_file
from adapters.discord.render import Outgoing, render
from core.errors import ChannelGone, DeliveryRejected, DeliveryRetryLater
from core.models import Delivery, Notice, Scope

log = logging.getLogger(__name__)

# Discord JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
MISSING_ACCESS = 50001
GONE_CODES = frozenset({UNKNOWN_CHANNEL, UNKNOWN_GUILD, MISSING_ACCESS})
SERVER_RETRY_SECONDS = 30.0
# Discord takes a nonce of at most 25 characters.
NONCE_LENGTH = 25


def message_nonce(key: str, part: int) -> str:
    """The nonce of part `part` of the outbox message `key`: the same on every retry."""
    return hashlib.sha256(f"{key}\n{part}".encode()).hexdigest()[:NONCE_LENGTH]


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

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        # `recheck` needs no history read here: the nonce makes Discord do the looking.
        del recheck
        if scope.platform != self.platform:
            raise DeliveryRejected(f"DiscordSink cannot deliver to {scope.platform}")
        try:
            channel_id = int(scope.channel)
            guild_id = int(scope.workspace) if scope.workspace.isdigit() else None
        except ValueError:
            raise DeliveryRejected(f"'{scope.channel}' is not a Discord channel id") from None
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        messages = render(notice)
        if extras is not None and extras.attachment is not None and messages:
            messages[0] = attach(messages[0], extras)
        ping = discord_mention(extras.mention) if extras is not None and extras.mention else None
        for index, message in enumerate(messages):
            kwargs: dict[str, Any] = {"embeds": list(message.embeds)}
            if (view := message.view()) is not None:
                kwargs["view"] = view
            if message.file is not None:
                kwargs["file"] = discord_file(message.file)
            if index == 0 and ping is not None:
                kwargs["content"], kwargs["allowed_mentions"] = ping
            if key is not None:  # without one discord.py picks a random nonce
                kwargs["nonce"] = message_nonce(key, index)
            try:
                await channel.send(**kwargs)
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


_ROLE = re.compile(r"^<@&([0-9]+)>$")
_USER = re.compile(r"^<@!?([0-9]+)>$")


def discord_mention(mention: str) -> tuple[str, discord.AllowedMentions] | None:
    """The content and `allowed_mentions` that ping exactly `mention` (a role or user);
    None (and a log line) for one Discord cannot resolve (a Slack user group)."""
    text = mention.strip()
    if role := _ROLE.fullmatch(text):
        allowed = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(int(role[1]))]
        )
        return text, allowed
    if user := _USER.fullmatch(text):
        allowed = discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(int(user[1]))]
        )
        return f"<@{user[1]}>", allowed
    log.warning("ignoring mention %r: not a Discord role or user", mention)
    return None


def attach(message: Outgoing, extras: Delivery) -> Outgoing:
    """`message` with the extras' file; a PNG shows as the first embed's image."""
    file = extras.attachment
    if file is None:
        return message
    embeds = [e.copy() for e in message.embeds]
    if file.content_type == "image/png" and embeds:
        embeds[0].set_image(url=f"attachment://{file.filename}")
    return replace(message, embeds=tuple(embeds), file=file)


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
