"""The Discord front end's state in SQL, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from adapters.discord import state as discord_state
from adapters.discord.state import DiscordState
from adapters.storage import discord_state as sql_state
from adapters.storage import tables
from adapters.storage.database import Database
from adapters.storage.discord_state import SqlDiscordState

APP = 1_100_000_000_000_000_001
GUILD_1, GUILD_2 = 1_200_000_000_000_000_001, 1_200_000_000_000_000_002


def test_storage_keeps_to_discords_limits() -> None:
    # Two adapters never import each other, so each names the limits; they must agree.
    assert tables.NICHE_MAX_LENGTH == discord_state.NICHE_MAX_LENGTH
    assert sql_state.AUTOCOMPLETE_MAX == discord_state.AUTOCOMPLETE_MAX


async def test_the_tables_come_with_the_migrations(database: Database) -> None:
    states: list[DiscordState] = [SqlDiscordState(database) for _ in range(3)]
    # Instances starting together need no set-up of their own.
    assert await asyncio.gather(*(s.last_sync(APP, "global") for s in states)) == [None] * 3


async def test_the_last_sync_is_remembered_per_application_and_target(database: Database) -> None:
    state = SqlDiscordState(database)
    await state.record_sync(APP, "global", "a" * 64)
    await state.record_sync(APP, "global", "b" * 64)
    await state.record_sync(APP, f"guild:{GUILD_1}", "c" * 64)
    assert await state.last_sync(APP, "global") == "b" * 64
    assert await state.last_sync(APP, f"guild:{GUILD_1}") == "c" * 64
    assert await state.last_sync(APP + 1, "global") is None


async def test_niches_are_suggested_per_guild_most_used_then_latest_first(
    database: Database,
) -> None:
    state = SqlDiscordState(database)
    for niche in ("fitness", "Home Workout", "home workout", "yoga", "home workout"):
        await state.remember_niche(GUILD_1, niche)
    await state.remember_niche(GUILD_2, "crypto")

    # Ties go to the niche used last.
    assert await state.niches(GUILD_1, "") == ["home workout", "yoga", "fitness"]
    assert await state.niches(GUILD_1, "WORK") == ["home workout"]
    assert await state.niches(GUILD_2, "") == ["crypto"]
    assert await state.niches(GUILD_2, "fit") == []


async def test_like_wildcards_in_what_was_typed_match_literally(database: Database) -> None:
    state = SqlDiscordState(database)
    await state.remember_niche(GUILD_1, "100% vegan")
    await state.remember_niche(GUILD_1, "vegan_food")
    await state.remember_niche(GUILD_1, "veganfood")
    assert await state.niches(GUILD_1, "%") == ["100% vegan"]
    assert await state.niches(GUILD_1, "n_f") == ["vegan_food"]
    assert await state.niches(GUILD_1, "", limit=2) == ["veganfood", "vegan_food"]


async def test_blank_and_overlong_niches_are_handled(database: Database) -> None:
    state = SqlDiscordState(database)
    await state.remember_niche(GUILD_1, "   ")
    await state.remember_niche(GUILD_1, "x" * 500)
    assert await state.niches(GUILD_1, "") == ["x" * 100]
