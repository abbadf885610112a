"""What the Discord front end remembers: the last command sync, and niches per guild.

The app needs only the `DiscordState` below; `bot/` hands it the SQL implementation
(`adapters.storage.discord_state.SqlDiscordState`), whose tables the bot's migrations
create like any other.
"""

from __future__ import annotations

from typing import Protocol

# Discord's limits: a choice's name is at most 100 characters, a list at most 25 choices.
NICHE_MAX_LENGTH = 100
AUTOCOMPLETE_MAX = 25


class DiscordState(Protocol):
    """The command-sync hash per application and target, and the niches used per guild."""

    async def last_sync(self, application_id: int, target: str) -> str | None:
        """The hash of the command set last synced to `target`, if any."""
        ...

    async def record_sync(self, application_id: int, target: str, payload_hash: str) -> None:
        """Remember the hash of the command set just synced to `target`."""
        ...

    async def remember_niche(self, guild_id: int, niche: str) -> None:
        """Note that `niche` was searched in the guild (stripped, cut to `NICHE_MAX_LENGTH`;
        blank ones are ignored)."""
        ...

    async def niches(self, guild_id: int, typed: str, limit: int = AUTOCOMPLETE_MAX) -> list[str]:
        """Niches used in this guild whose lower-cased form contains what the user typed
        (literally: `%` and `_` are no wildcards), most used then latest first."""
        ...
