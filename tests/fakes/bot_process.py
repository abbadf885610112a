"""The bot as a real child process (`python -m bot run`) against the local fakes.

`BotProcess.spawn` runs the bot exactly as a deployment does (both chat front ends, the
scheduler), configured by environment (`bot_env`: the fakes' addresses and short ticks
and leases). `kill` SIGKILLs it: nothing is cleaned up, leases stay taken, connections
just drop.
`wait_until` polls a condition on the fakes or the database while the bot works.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_server import FakeXServer

REPO = Path(__file__).resolve().parents[2]
X_TOKEN = "crash-x-token"
SLACK_TOKEN = "xoxb-crash-token"
SIGNING_SECRET = "crash-signing-secret"
# Short enough for a test (the defaults: 60 s, 5 s, 10, 2 and 15 minutes).
FAST_SCHEDULE = {
    "SCHEDULER_TICK_SECONDS": "0.5",
    "OUTBOX_POLL_SECONDS": "0.5",
    "REFRESH_LEASE_SECONDS": "3",
    "OUTBOX_LEASE_SECONDS": "3",
    "DIGEST_LEASE_SECONDS": "3",
}


def bot_env(
    database_url: str,
    data_dir: Path,
    *,
    x: FakeXServer,
    slack: FakeSlack,
    discord: FakeDiscord,
    **overrides: str,
) -> dict[str, str]:
    """The environment of a bot on `database_url` that talks only to the fakes."""
    return {
        **os.environ,  # the test run's: no developer's settings (see conftest.py)
        "PYTHONPATH": str(REPO),
        "INFLUENCER_BOT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "X_SOURCE": "x-api",
        "X_BEARER_TOKEN": X_TOKEN,
        "X_API_BASE_URL": x.base_url,
        "X_MONTHLY_BUDGET_USD": "none",
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": slack.api_url,
        "PORT": "0",  # several instances on one machine: any free port each
        "DISCORD_BOT_TOKEN": discord.token,
        "DISCORD_API_BASE_URL": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "LOG_LEVEL": "INFO",
        **FAST_SCHEDULE,
        **overrides,
    }


class BotProcess:
    """One running bot; its output goes to `log` (shown when a test fails)."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log
        self.ended_by_test = False

    @property
    def died(self) -> bool:
        """It exited on its own (a crash at start-up, say), not by `kill` or `stop`."""
        return self.proc.returncode is not None and not self.ended_by_test

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def spawn(cls, env: dict[str, str], log: Path) -> BotProcess:
        """Start `python -m bot run` in the folder of `log` (no `.env` there)."""
        with log.open("ab") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                env=env, cwd=log.parent, stdin=asyncio.subprocess.DEVNULL,
                stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        return cls(proc, log)

    async def kill(self) -> None:
        """SIGKILL: the process dies where it stands."""
        self.ended_by_test = True
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM, as a deployment stops it (killed if it takes too long)."""
        self.ended_by_test = True
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await self.proc.wait()
            except TimeoutError:
                await self.kill()
        await self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def wait_until(
    condition: Callable[[], Awaitable[object] | object],
    *,
    within: float = 20.0,
    every: float = 0.02,
    what: str = "the condition",
) -> None:
    """Poll `condition` (sync or async) until it holds; AssertionError after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within} s")
        await asyncio.sleep(every)
