"""What the Discord front end remembers: the last command sync, and niches per guild.

Kept in two small tables of its own, created with `create_all(checkfirst)` on the bot's
engine, so the Discord adapter needs no migration of the shared schema.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

NICHE_MAX_LENGTH = 100
AUTOCOMPLETE_MAX = 25  # Discord shows at most 25 suggestions

metadata = MetaData()

command_syncs = Table(
    "discord_command_syncs",
    metadata,
    Column("application_id", String(32), primary_key=True),
    # "global", or "guild:<id>" for a development guild
    Column("target", String(64), primary_key=True),
    Column("payload_hash", String(64), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

guild_niches = Table(
    "discord_guild_niches",
    metadata,
    Column("guild_id", String(32), primary_key=True),
    # lower-cased, so "Fitness" and "fitness" are one suggestion
    Column("niche_key", String(NICHE_MAX_LENGTH), primary_key=True),
    Column("niche", String(NICHE_MAX_LENGTH), nullable=False),
    Column("uses", Integer, nullable=False, default=1),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class DiscordState:
    """Reads and writes the Discord tables; `ensure()` once before use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ensure(self) -> None:
        """Create the tables if missing. Two instances starting at once may race on
        PostgreSQL; the loser sees the tables on its second look."""
        for attempt in (1, 2):
            try:
                async with self._engine.begin() as conn:
                    await conn.run_sync(metadata.create_all, checkfirst=True)
                return
            except DBAPIError:
                if attempt == 2:
                    raise
                log.info("another instance created the Discord tables first; checking again")

    def _insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def last_sync(self, application_id: int, target: str) -> str | None:
        """The hash of the command set last synced to `target`, if any."""
        async with self._engine.connect() as conn:
            row = await conn.execute(
                select(command_syncs.c.payload_hash).where(
                    command_syncs.c.application_id == str(application_id),
                    command_syncs.c.target == target,
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
        stmt = self._insert(command_syncs).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["application_id", "target"],
            set_={"payload_hash": payload_hash, "synced_at": values["synced_at"]},
        )
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def remember_niche(self, guild_id: int, niche: str) -> None:
        """Note that `niche` was searched in the guild (feeds autocomplete)."""
        niche = niche.strip()[:NICHE_MAX_LENGTH]
        if not niche:
            return
        now = datetime.now(UTC)
        stmt = self._insert(guild_niches).values(
            guild_id=str(guild_id), niche_key=niche.lower(), niche=niche, uses=1, last_used_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id", "niche_key"],
            set_={"niche": niche, "uses": guild_niches.c.uses + 1, "last_used_at": now},
        )
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def niches(self, guild_id: int, typed: str, limit: int = AUTOCOMPLETE_MAX) -> list[str]:
        """Niches used in this guild that contain what the user typed, most used first."""
        query = select(guild_niches.c.niche).where(guild_niches.c.guild_id == str(guild_id))
        typed = typed.strip().lower()[:NICHE_MAX_LENGTH]
        if typed:
            query = query.where(
                guild_niches.c.niche_key.like(f"%{_escape_like(typed)}%", escape="\\")
            )
        query = query.order_by(
            guild_niches.c.uses.desc(), guild_niches.c.last_used_at.desc()
        ).limit(limit)
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return list(rows.scalars())
