"""The first response to a command leaves before anything else the command causes.

Discord drops an interaction that is not answered within 3 s, so the deferral must not
wait for the database, X or the rendering. Here the database is made slow for real: a
second SQLite connection holds the write lock, so every write of the bot waits (its busy
timeout) until that connection lets go; a search writes before it answers. The real
discord.py client answers the local fake Discord; nothing of ours is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bot.wiring import Services
from tests.fakes.discord_fixtures import running_bot
from tests.fakes.discord_server import DEFERRED_CHANNEL_MESSAGE, FakeDiscord, FakeInteraction

GUILD = 1_200_000_000_000_000_001
# Commands sent together while the database is held.
BURST = 8
# How long a deferral may take while the database is held (Discord allows 3 s).
DEFERRAL_LIMIT_SECONDS = 1.0


@contextlib.contextmanager
def _database_held(path: Path) -> Iterator[None]:
    """Nobody else writes `path` until the block ends (WAL readers still read)."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def _requests_of(fake: FakeDiscord, interaction: FakeInteraction) -> list[str]:
    """Every request the bot made about `interaction`, in the order the fake received them."""
    return [f"{r.method} {r.path}" for r in fake.requests if interaction.token in r.path]


async def test_the_deferral_is_the_first_request_and_does_not_wait_for_the_database(
    fake_discord: FakeDiscord, discord_services: Services, tmp_path: Path
) -> None:
    async with running_bot(discord_services, fake_discord):
        # Once through, so start-up work (first connections, caches) is out of the way.
        warm = await fake_discord.command("find-influencers", {"niche": "yoga"}, guild_id=GUILD)
        await fake_discord.answered(warm)

        with _database_held(tmp_path / "discord.db"):  # the file `discord_services` uses
            interactions = await asyncio.gather(
                *(
                    fake_discord.command(
                        "find-influencers", {"niche": f"fitness {i}"}, guild_id=GUILD
                    )
                    for i in range(BURST)
                )
            )
            await fake_discord.wait_for(
                lambda: all(i.callbacks for i in interactions), DEFERRAL_LIMIT_SECONDS
            )
            # Nothing else went out for them: the answers need the database.
            await asyncio.sleep(0.2)
            released = time.monotonic()
            assert [len(i.followups) for i in interactions] == [0] * BURST
            assert [len(i.original_edits) for i in interactions] == [0] * BURST

        for interaction in interactions:
            await fake_discord.answered(interaction)

    for interaction in interactions:
        assert interaction.callbacks == [{"type": DEFERRED_CHANNEL_MESSAGE}]
        assert interaction.callback_at is not None
        assert interaction.callback_at < released
        assert interaction.callback_at - interaction.sent_at < DEFERRAL_LIMIT_SECONDS
        requests = _requests_of(fake_discord, interaction)
        assert requests[0] == f"POST /interactions/{interaction.id}/{interaction.token}/callback"
        assert len(requests) > 1  # the answer followed, once the database was back
        assert all(at > released for at in interaction.followup_at)
        (message,) = interaction.messages
        assert not message.loading
        assert message.embeds  # the search's answer, not an error about the database


async def test_the_served_bot_runs_full_collections_rarely(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    # A full collection stalls the loop longer than a first response may take.
    from bot.collector import FULL_COLLECTION_EVERY
    from bot.discord_entry import run_discord

    saved = gc.get_threshold()
    gc.set_threshold(*saved[:2], 10)  # CPython's default
    try:
        task = asyncio.create_task(run_discord(discord_services))
        await fake_discord.wait_connected()
        young, middle, full = gc.get_threshold()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        gc.set_threshold(*saved)
    assert (young, middle) == saved[:2]  # the young generations are left as they were
    assert full == FULL_COLLECTION_EVERY >= 100
