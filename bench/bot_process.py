"""A chat benchmark's child processes: the bot (one front end) and the fake X API.

The bot runs unpinned by default, beside the load generator, as a deployment on a
small machine would; `cpu` pins it to one core (the old, flattering set-up). The fake
X runs in its own process so its query matching (~4-6 ms of CPU a request) neither
stalls the load generator's clock nor competes inside it; it counts the sequential
round trips of each search the parent asks it to time (the floor an answer cannot
beat).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

from tests.fakes.x_server import FakeXServer

X_TOKEN = "bench-x-token"


def serve_bot(front_end: Callable[[Any], Coroutine[Any, Any, None]], cpu: int | None) -> None:
    """Run `front_end(services)`, configured from the environment, until SIGTERM; pinned
    to `cpu` when one is given."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    from bot.logs import setup_logging
    from bot.settings import Settings
    from bot.wiring import services

    setup_logging("WARNING")

    async def main() -> None:
        settings = Settings(_env_file=None)
        async with services(settings) as svc:
            task = asyncio.ensure_future(front_end(svc))
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(main())


def pin_load(pinned: bool) -> int | None:
    """With `pinned`, keep this process (the load and the fakes) off the last core and
    return that core for the bot; otherwise None (everything shares every core)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    if not pinned or len(cpus) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    os.sched_setaffinity(0, set(cpus[:-1]))
    return cpus[-1]


# --- the fake X --------------------------------------------------------------------------


class TimedX(FakeXServer):
    """The fake X, noting when each request arrived, to count a search's round trips.

    It answers `answer_after` seconds after a request arrived, its own matching done
    within that time (as X's own work is within its latency), not after it: the plain
    fake sleeps first and then matches (~4-6 ms), which under load queued on its loop
    and counted against the bot. `served` keeps how long each answer actually took.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrivals: list[float] = []
        self.served: list[float] = []
        self.answer_after = 0.0

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        arrived = time.monotonic()
        self.arrivals.append(arrived)
        response = await super()._middleware(request, handler)
        if (left := arrived + self.answer_after - time.monotonic()) > 0:
            await asyncio.sleep(left)
        self.served.append(time.monotonic() - arrived)
        return response


def round_trips(arrivals: list[float], latency: float) -> int:
    """Sequential round trips in one search's requests: a request that arrives later than
    half an answer's latency after the previous wave began must have waited for it."""
    waves, start = 0, None
    for at in sorted(arrivals):
        if start is None or at - start > latency / 2:
            waves, start = waves + 1, at
    return waves


def serve_x(latency: float) -> None:
    """Child process: the fake X. Prints its URL; to each `mark` line on stdin answers
    `<requests> <round trips> <served p50 ms> <served p99 ms>` since the previous mark;
    exits on SIGTERM or EOF."""

    async def main() -> None:
        async with TimedX(bearer=X_TOKEN) as fake_x:
            fake_x.answer_after = latency
            # the load measures the bot, not X's windows: no search or count is refused
            fake_x.set_rate_limit("search", limit=1_000_000)
            fake_x.set_rate_limit("counts", limit=1_000_000)
            print(fake_x.base_url, flush=True)
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            loop.add_signal_handler(signal.SIGTERM, reader.feed_eof)
            seen = served = 0
            while await reader.readline():
                new = fake_x.arrivals[seen:]
                seen = len(fake_x.arrivals)
                times = sorted(fake_x.served[served:]) or [0.0]
                served = len(fake_x.served)
                p50, p99 = (times[min(len(times) - 1, int(q * len(times)))] for q in (0.5, 0.99))
                print(len(new), round_trips(new, latency), p50 * 1000, p99 * 1000, flush=True)

    asyncio.run(main())


class XProcess:
    """The parent's handle on the fake X child (`python -m <module> fake-x`)."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc, self.url = proc, url
        self.requests = 0
        self.served = (0.0, 0.0)

    @classmethod
    async def start(cls, module: str, latency: float) -> XProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, "fake-x", "--latency", str(latency),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        if not url:
            raise RuntimeError("the fake X did not start")
        return cls(proc, url)

    async def mark(self) -> tuple[int, int]:
        """Requests and sequential round trips since the previous mark (`served` then
        holds the p50 and p99 ms the fake X took to answer them)."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(b"mark\n")
        await self.proc.stdin.drain()
        requests, trips, p50, p99 = (await self.proc.stdout.readline()).split()
        self.requests += int(requests)
        self.served = (float(p50), float(p99))
        return int(requests), int(trips)

    async def stop(self) -> None:
        await self.mark()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await self.proc.wait()
