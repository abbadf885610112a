"""`TaskTracker`: the tasks a component has running, so shutdown can wait for them.

Slack's background answers, Discord's interactions and the scheduler's jobs all keep
one: on shutdown each gets a grace period to finish, then what is left is cancelled,
so nothing touches the database or a chat platform after they are closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from typing import Any


class TaskTracker:
    """Tracks tasks (spawned here or already running) until they are done.

    `failure` is the log message (with `%s` for the task's name) for work that raises;
    `waiting`, if given, is logged (with `%d` for the count) when a drain has to wait.
    """

    def __init__(
        self,
        log: logging.Logger,
        *,
        failure: str = "background task %s failed",
        waiting: str | None = None,
    ) -> None:
        self._log = log
        self._failure = failure
        self._waiting = waiting
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> asyncio.Task[None]:
        """Run `work` as a tracked task whose failure is logged, never lost."""
        task = asyncio.get_running_loop().create_task(self.guard(work, name), name=name)
        self.add(task)
        return task

    def add(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def track_current(self) -> None:
        """Track the task this is called from (one some library started for us)."""
        task = asyncio.current_task()
        if task is not None:
            self.add(task)

    async def guard(self, work: Awaitable[object], name: str) -> None:
        """Await `work`, logging (not raising) what it raises; cancellation goes through."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:  # a failure in the background must not vanish silently
            self._log.exception(self._failure, name)

    async def drain(self, grace: float | None = None) -> None:
        """Wait for the tracked tasks (up to `grace` seconds), then cancel what is left.

        The calling task is never waited for: a tracked task may be the one shutting down.
        """
        current = asyncio.current_task()
        pending = {t for t in self._tasks if t is not current and not t.done()}
        if not pending:
            return
        if self._waiting is not None:
            self._log.info(self._waiting, len(pending))
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
