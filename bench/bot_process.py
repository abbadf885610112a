"""The bot as a benchmark's child process: one front end, pinned to one core."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Coroutine
from typing import Any


def serve_pinned(cpu: int, front_end: Callable[[Any], Coroutine[Any, Any, None]]) -> None:
    """Run `front_end(services)` pinned to `cpu`, configured from the environment, until
    SIGTERM."""
    if hasattr(os, "sched_setaffinity"):
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
