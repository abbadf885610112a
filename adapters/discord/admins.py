"""Who sent an interaction, as the core's `Caller`: a guild admin has Manage Server."""

from __future__ import annotations

from typing import Any

import discord

from core.models import Caller


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    """The user and whether they may change the guild's settings (Manage Server).

    Discord computes the member's permissions in the channel and sends them with the
    interaction; a direct message has no guild to administer.
    """
    user = interaction.user
    admin = interaction.guild_id is not None and interaction.permissions.manage_guild
    return Caller(user_id=str(user.id), name=user.display_name, is_admin=bool(admin))
