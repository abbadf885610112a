"""Command sync only when the command set changed: Discord limits command creation.

The hash covers the exact payload discord.py would send (names, options, choices,
ranges, contexts), per target: one development guild, or global.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.state import DiscordState

log = logging.getLogger(__name__)

GLOBAL = "global"


def sync_target(guild_id: int | None) -> str:
    return f"guild:{guild_id}" if guild_id else GLOBAL


def command_payload(tree: app_commands.CommandTree[Any], guild_id: int | None) -> list[Any]:
    """What `tree.sync` would send for the target, in a stable order."""
    guild = discord.Object(id=guild_id) if guild_id else None
    payload = [cmd.to_dict(tree) for cmd in tree.get_commands(guild=guild)]
    return sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))


def command_hash(tree: app_commands.CommandTree[Any], guild_id: int | None) -> str:
    text = json.dumps(command_payload(tree, guild_id), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    state: DiscordState,
    application_id: int,
    guild_id: int | None,
) -> bool:
    """Sync to the development guild (commands appear at once) or globally.

    Returns True when commands were synced. A sync that Discord rate limits for long
    is skipped (the previous commands stay) and retried at the next start.
    """
    if guild_id:
        tree.copy_global_to(guild=discord.Object(id=guild_id))
    target = sync_target(guild_id)
    wanted = command_hash(tree, guild_id)
    if await state.last_sync(application_id, target) == wanted:
        log.info("slash commands unchanged since the last sync (%s); not syncing", target)
        return False
    try:
        synced = await tree.sync(guild=discord.Object(id=guild_id) if guild_id else None)
    except discord.RateLimited as err:
        log.warning(
            "Discord rate limits command sync (retry after %.0f s); keeping the commands "
            "it has, and trying again at the next start",
            err.retry_after,
        )
        return False
    await state.record_sync(application_id, target, wanted)
    log.info("synced %d slash commands (%s)", len(synced), target)
    return True
