"""Persistent buttons: "Track" under each account, and "Audit anyway" for costly audits.

A button's custom id (`track:<handle>`, `audit:<handle>:<sample>`) carries everything the
click needs, and the classes are registered with `Client.add_dynamic_items`, so buttons
on messages sent before a restart (or by another instance or shard) still work: no view
state is kept.
"""

from __future__ import annotations

from typing import Any, Protocol, Self

import discord

TRACK_TEMPLATE = r"track:(?P<username>[A-Za-z0-9_]{1,15})"
AUDIT_TEMPLATE = r"audit:(?P<handle>[A-Za-z0-9_]{1,15}):(?P<sample>[0-9]{1,6})"


class ButtonHandler(Protocol):
    async def track(self, interaction: discord.Interaction[Any], username: str) -> None: ...

    async def confirm_audit(
        self, interaction: discord.Interaction[Any], handle: str, sample: int
    ) -> None: ...


class HasButtonHandler(Protocol):
    scout_app: ButtonHandler


class TrackButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=TRACK_TEMPLATE
):
    """Adds the account to the watchlist of the channel where it is clicked."""

    def __init__(self, username: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Track @{username}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"track:{username}",
            )
        )
        self.username = username

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],  # noqa: ARG003  discord.py's DynamicItem signature
        item: discord.ui.Item[Any],  # noqa: ARG003  discord.py's DynamicItem signature
        match: Any,
    ) -> Self:
        return cls(match["username"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client: HasButtonHandler = interaction.client
        await client.scout_app.track(interaction, self.username)


class AuditButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=AUDIT_TEMPLATE
):
    """Runs an audit the user was asked to confirm because of its cost."""

    def __init__(self, handle: str, sample: int, label: str = "Audit anyway") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.danger,
                custom_id=f"audit:{handle}:{sample}",
            )
        )
        self.handle = handle
        self.sample = sample

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],  # noqa: ARG003  discord.py's DynamicItem signature
        item: discord.ui.Item[Any],  # noqa: ARG003  discord.py's DynamicItem signature
        match: Any,
    ) -> Self:
        return cls(match["handle"], int(match["sample"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client: HasButtonHandler = interaction.client
        await client.scout_app.confirm_audit(interaction, self.handle, self.sample)
