"""SQL implementation of `adapters.discord.state.DiscordState`: the Discord front end's memory.

The tables (`discord_command_syncs`, `discord_guild_niches`) are created by migration
0004 like every other, so this needs no set-up of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import (
    NICHE_MAX_LENGTH,
    DiscordCommandSyncRow,
    DiscordGuildNicheRow,
    table,
)

# Discord shows at most 25 suggestions.
AUTOCOMPLETE_MAX = 25

_syncs = table(DiscordCommandSyncRow)
_niches = table(DiscordGuildNicheRow)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlDiscordState(SqlRepository):
    """The last command sync per application and target, and the niches used per guild."""

    async def last_sync(self, application_id: int, target: str) -> str | None:
        """The hash of the command set last synced to `target`, if any."""
        async with self._db.engine.connect() as conn:
            row = await conn.execute(
                select(_syncs.c.payload_hash).where(
                    _syncs.c.application_id == str(application_id), _syncs.c.target == target
                )
            )
            return row.scalar_one_or_none()

    async def record_sync(self, application_id: int, target: str, payload_hash: str) -> None:
        values = {
            "application_id": str(application_id),
            "target": target,
            "payload_hash": payload_hash,
            "synced_at": datetime.now(UTC),
        }
        stmt = dialect_insert(self._dialect, _syncs).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["application_id", "target"],
            set_={"payload_hash": payload_hash, "synced_at": values["synced_at"]},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def remember_niche(self, guild_id: int, niche: str) -> None:
        """Note that `niche` was searched in the guild (feeds autocomplete)."""
        niche = niche.strip()[:NICHE_MAX_LENGTH]
        if not niche:
            return
        now = datetime.now(UTC)
        stmt = dialect_insert(self._dialect, _niches).values(
            guild_id=str(guild_id), niche_key=niche.lower(), niche=niche, uses=1, last_used_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id", "niche_key"],
            set_={"niche": niche, "uses": _niches.c.uses + 1, "last_used_at": now},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def niches(self, guild_id: int, typed: str, limit: int = AUTOCOMPLETE_MAX) -> list[str]:
        """Niches used in this guild that contain what the user typed, most used first."""
        query = select(_niches.c.niche).where(_niches.c.guild_id == str(guild_id))
        typed = typed.strip().lower()[:NICHE_MAX_LENGTH]
        if typed:
            query = query.where(_niches.c.niche_key.like(f"%{_escape_like(typed)}%", escape="\\"))
        query = query.order_by(_niches.c.uses.desc(), _niches.c.last_used_at.desc()).limit(limit)
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(query)
            return list(rows.scalars())
