"""Fixtures for the Discord tests: a fake Discord, the real stack, and a running bot.

`fake_discord` starts the local fake (REST + gateway) and restores discord.py's
process-wide endpoints afterwards; `discord_services` builds the real `Services` on a
fresh SQLite file with the bundled sample X data; `running_bot` starts the real
discord.py client against the fake and closes it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from adapters.x.sample import SampleXSource
from bot.settings import Settings
from bot.wiring import Services, services
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.x_source import FakeX

if TYPE_CHECKING:
    from adapters.discord.client import ScoutBot, ShardedScoutBot


def _import_discord_quietly() -> None:
    """Import discord.py once, before any test module does, without failing the run.

    discord.py's voice player imports the stdlib `audioop`, deprecated in 3.11 (and
    replaced by `audioop-lts` on 3.13); the bot uses no voice. Only that warning, only
    at this import, is silenced: `filterwarnings = ["error"]` still applies to the rest.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="'audioop' is deprecated", category=DeprecationWarning
        )
        importlib.import_module("discord")


_import_discord_quietly()

__all__ = [
    "discord_services",
    "discord_settings",
    "fake_discord",
    "running_bot",
    "slow_discord_services",
]

# READY lists guilds as unavailable; discord.py waits this long for more GUILD_CREATEs.
TEST_GUILD_READY_TIMEOUT = 0.05
# Discord wants 5 s between shard IDENTIFYs; the fake does not.
TEST_IDENTIFY_INTERVAL = 0.05


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    from adapters.discord.endpoints import current_endpoints, use_api_base, use_gateway

    saved_api, saved_gateway = current_endpoints()
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
        use_api_base(saved_api)
        use_gateway(saved_gateway)


def settings_for(fake: FakeDiscord, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'discord.db'}",
        "x_source": "sample",
        "discord_bot_token": fake.token,
        "discord_api_base_url": fake.api_base,
        "scheduler_enabled": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def discord_settings(fake_discord: FakeDiscord, tmp_path: Path) -> Settings:
    return settings_for(fake_discord, tmp_path)


@pytest.fixture
async def discord_services(discord_settings: Settings) -> AsyncIterator[Services]:
    async with services(discord_settings) as svc:
        yield svc


@pytest.fixture
async def slow_discord_services(discord_settings: Settings) -> AsyncIterator[Services]:
    """The real stack with X answering each request in 0.4 s."""
    async with services(discord_settings, x=FakeX(delay=0.4, backing=SampleXSource())) as svc:
        yield svc


@contextlib.asynccontextmanager
async def running_bot(
    svc: Services,
    fake: FakeDiscord,
    *,
    shards: int = 1,
    **options: Any,
) -> AsyncIterator[ScoutBot | ShardedScoutBot]:
    """The real client, started with the token and connected to the fake gateway."""
    from bot.discord_entry import create_discord_client

    options.setdefault("guild_ready_timeout", TEST_GUILD_READY_TIMEOUT)
    if shards > 1:
        options.setdefault("identify_interval", TEST_IDENTIFY_INTERVAL)
    client = create_discord_client(svc, **options)
    token = svc.settings.discord_bot_token
    assert token is not None
    before = len(fake.sessions)
    task = asyncio.create_task(client.start(token.get_secret_value()))
    try:
        connected = asyncio.create_task(fake.wait_connected(shards, after=before))
        done, _ = await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            connected.cancel()
            task.result()  # raises what start() raised
            raise RuntimeError("the client stopped before connecting")
        connected.result()
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
