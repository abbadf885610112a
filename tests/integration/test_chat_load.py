"""What keeps chat answers quick under load: no connection churn, no collector stalls.

Speed itself is measured in `bench/` (slack_bench, discord_bench); these tests prove the
mechanisms are in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
from pathlib import Path

from sqlalchemy import event, text

from adapters.storage.database import SQLITE_POOL_SIZE, Database
from bot.slack_entry import run_slack
from bot.wiring import services
from tests.fakes.slack_fixtures import slack_settings
from tests.fakes.slack_server import FakeSlack


async def test_sqlite_keeps_its_connections_open_under_load(tmp_path: Path) -> None:
    database = await Database.connect(f"sqlite:///{tmp_path}/load.db")
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(database.engine.sync_engine, "connect", count)
    before = opened

    async def one() -> None:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0.01)  # held, so the burst needs every pooled connection

    try:
        for _ in range(3):  # bursts wider than the pool, as 100 chat commands in flight
            await asyncio.gather(*(one() for _ in range(3 * SQLITE_POOL_SIZE)))
    finally:
        await database.aclose()
    # Opened once each and then reused: no connection closed and reopened between bursts.
    assert opened - before <= SQLITE_POOL_SIZE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_slack_front_end_freezes_what_it_built(fake_slack: FakeSlack, tmp_path: Path) -> None:
    gc.unfreeze()
    settings = slack_settings(fake_slack, tmp_path, port=free_port())
    try:
        async with services(settings) as svc:
            started = asyncio.Event()
            task = asyncio.create_task(run_slack(svc, started=started))
            try:
                await asyncio.wait_for(started.wait(), 5)
                frozen = gc.get_freeze_count()
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        gc.unfreeze()  # later tests start from a collector that walks everything again
    # The app, its stores and caches live as long as the process: the collector skips them.
    assert frozen > 0
