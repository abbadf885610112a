"""Thin interaction handlers: parse, defer, call the core, render, follow up.

Discord wants a first response within 3 s; a search can take longer, so every command
is deferred at once (after a pure, microsecond-fast parse whose errors are answered
privately instead) and answered through the interaction webhook. While a search runs
longer than `progress_every` seconds the original response shows how long it has been.
A file answer (a CSV export, a chart) is a follow-up with the file attached, refused in
words when it is larger than the channel takes. Every command carries its `Caller`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import zoneinfo
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.admins import caller_of
from adapters.discord.commands import (
    MAX_CHOICES,
    Choices,
    build_app_commands,
    to_command,
)
from adapters.discord.errors import friendly_error
from adapters.discord.files import check_size, discord_file, interaction_limit
from adapters.discord.render import Outgoing, render, text
from adapters.discord.state import DiscordState
from core.commands import (
    AuditCommand,
    Command,
    CommandSpec,
    DigestAction,
    DigestCommand,
    FindInfluencers,
    build_audit,
    build_watchlist,
    is_slow,
)
from core.models import Caller, FileAnswer, Scope
from core.scout import Reply
from core.tasks import TaskTracker

log = logging.getLogger(__name__)

PLATFORM = "discord"
DM_WORKSPACE = "dm"
PROGRESS_EVERY_SECONDS = 3.0


class CommandRunner(Protocol):
    """The core entry point (`core.scout.Scout` satisfies it)."""

    async def handle(
        self, command: Command, scope: Scope, caller: Caller | None = None
    ) -> Reply: ...


def scope_of(interaction: discord.Interaction[Any]) -> Scope:
    """Watchlists and digests belong to a guild's channel (threads count as channels)."""
    guild = str(interaction.guild_id) if interaction.guild_id else DM_WORKSPACE
    return Scope(PLATFORM, guild, str(interaction.channel_id))


@functools.cache
def _time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _progress_label(command: Command) -> str | None:
    """What a slow command (the table says: it reads X) shows while it runs, else None."""
    if not is_slow(command):
        return None
    match command:
        case FindInfluencers(request=request) if request.like:
            on = f" on “{discord.utils.escape_markdown(request.niche)}”" if request.niche else ""
            like = discord.utils.escape_markdown(request.like)
            return f"Looking on X for accounts like @{like}{on}"
        case FindInfluencers(request=request):
            return f"Searching X for “{discord.utils.escape_markdown(request.niche)}”"
        case DigestCommand(niche=niche):
            return f"Building the “{discord.utils.escape_markdown(niche)}” digest preview"
        case AuditCommand(handle=handle):
            return f"Auditing the followers of @{handle}"
    return None


def _used_niche(command: Command) -> str | None:
    match command:
        case FindInfluencers(request=request):
            return request.niche
        case DigestCommand(action=DigestAction.SUBSCRIBE | DigestAction.PREVIEW, niche=niche):
            return niche
    return None


class _Progress:
    """What a long command shows in its original response while it runs."""

    def __init__(self, label: str | None) -> None:
        self.label = label
        self.shown = False
        self._started = time.monotonic()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self._started:.0f} s"

    def running(self) -> str:
        return f"🔎 {self.label}… {self._elapsed()}"

    def finished(self) -> str:
        return f"✅ {self.label}: done in {self._elapsed()}."


class ScoutTree(app_commands.CommandTree[Any]):
    """A command tree whose library-level errors (bad option, stale command) are answered."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await reply_error(interaction, error)


async def reply_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user what went wrong: privately if nothing was answered yet."""
    message = friendly_error(error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException as err:
        log.warning("could not tell the user about an error: %s", err)


class DiscordApp:
    """Owns the command tree and answers every interaction the client receives."""

    def __init__(
        self,
        client: discord.Client,
        scout: CommandRunner,
        state: DiscordState,
        *,
        progress_every: float = PROGRESS_EVERY_SECONDS,
    ) -> None:
        self.client = client
        self.scout = scout
        self.state = state
        self.progress_every = progress_every
        self.tree = ScoutTree(client)
        for command in build_app_commands(self):
            self.tree.add_command(command)
        self._in_flight = TaskTracker(log, waiting="waiting for %d interaction(s) to finish")

    async def drain(self, grace: float) -> None:
        """On shutdown: let answers in progress finish (up to `grace` s), then cancel them,
        so nothing touches the database or Discord after the bot has closed them."""
        await self._in_flight.drain(grace)

    # Entry points called by the generated commands and the Track button.

    async def run(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        action: str | None,
        values: Mapping[str, Any],
    ) -> None:
        try:
            command = to_command(spec, action, values)
        except Exception as err:  # bad input: answered at once, only to the user
            await reply_error(interaction, err)
            return
        await self.answer(interaction, command)

    async def track(self, interaction: discord.Interaction[Any], username: str) -> None:
        """A Track click: add the account to the clicking channel's watchlist."""
        await self.answer(interaction, build_watchlist("add", [username]))

    async def confirm_audit(
        self, interaction: discord.Interaction[Any], handle: str, sample: int
    ) -> None:
        """An "Audit anyway" click: run the audit the user was asked to confirm."""
        try:
            command = build_audit(handle, sample=sample, confirmed=True)
        except Exception as err:
            await reply_error(interaction, err)
            return
        await self.answer(interaction, command)

    async def answer(self, interaction: discord.Interaction[Any], command: Command) -> None:
        await interaction.response.defer(thinking=True)
        self._in_flight.track_current()
        progress = _Progress(_progress_label(command))
        try:
            work = self.scout.handle(command, scope_of(interaction), caller_of(interaction))
            reply = await self._with_progress(interaction, work, progress)
        except Exception as err:  # every failure becomes a message; the bot goes on
            if progress.shown:
                await self._edit_original(interaction, text(friendly_error(err)))
            else:
                await reply_error(interaction, err)
            return
        try:
            if isinstance(reply, FileAnswer):  # refused before anything is posted
                check_size(reply, interaction_limit(interaction))
            if progress.shown:
                await self._edit_original(interaction, text(progress.finished()))
            for message in render(reply):
                await self._follow_up(interaction, message)
        except Exception as err:
            await reply_error(interaction, err)
            return
        niche = _used_niche(command)
        if niche and interaction.guild_id:
            try:
                await self.state.remember_niche(interaction.guild_id, niche)
            except Exception:  # autocomplete is a convenience; never fail the command
                log.exception("could not remember niche for autocomplete")

    async def _with_progress(
        self, interaction: discord.Interaction[Any], work: Awaitable[Reply], progress: _Progress
    ) -> Reply:
        """Await `work`; while it runs long, edit the original response with the time so far."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.progress_every)
                if done:
                    return task.result()
                if progress.label is not None and await self._edit_original(
                    interaction, text(progress.running())
                ):
                    progress.shown = True
        finally:
            if not task.done():
                task.cancel()

    async def _edit_original(
        self, interaction: discord.Interaction[Any], message: Outgoing
    ) -> bool:
        try:
            await interaction.edit_original_response(
                content=message.content, embeds=list(message.embeds)
            )
        except discord.HTTPException as err:
            log.warning("could not edit the original response: %s", err)
            return False
        return True

    async def _follow_up(self, interaction: discord.Interaction[Any], message: Outgoing) -> None:
        kwargs: dict[str, Any] = {
            "content": message.content or discord.utils.MISSING,
            "embeds": list(message.embeds),
        }
        if (view := message.view()) is not None:
            kwargs["view"] = view
        if message.file is not None:
            kwargs["file"] = discord_file(message.file)
        await interaction.followup.send(**kwargs)

    # Autocomplete: answered within Discord's 3 s from local data only.

    async def autocomplete_niche(
        self, interaction: discord.Interaction[Any], current: str
    ) -> Choices:
        if not interaction.guild_id:
            return []
        self._in_flight.track_current()
        try:
            niches = await self.state.niches(interaction.guild_id, current)
        except Exception:
            log.exception("niche autocomplete failed")
            return []
        return [app_commands.Choice(name=n, value=n) for n in niches]

    async def autocomplete_tz(self, interaction: discord.Interaction[Any], current: str) -> Choices:  # noqa: ARG002  discord.py autocomplete signature
        typed = current.strip().lower()
        zones = [z for z in _time_zones() if typed in z.lower()] if typed else ["UTC"]
        return [app_commands.Choice(name=z, value=z) for z in zones[:MAX_CHOICES]]
