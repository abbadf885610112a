"""The pieces of a refresh pass that move answers from the lookups to the writer.

`Feed` hands each worker the next ids to look up, `Turns` keeps the workers' requests
going out in turns, and `Writer` records the answered lookups a `Group` at a time in a
task of its own while the lookups go on (`core.refresh`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from core.models import UsersPage, XUser


@dataclass
class Group:
    """Lookups answered and not written yet."""

    ids: list[str] = field(default_factory=list)  # every id asked for, in order
    by_id: dict[str, XUser] = field(default_factory=dict)  # what X returned of them
    charged: list[str] = field(default_factory=list)  # the ids of every user returned
    requests: int = 0
    reserved: int = 0  # budget held for these lookups until they are charged

    def add(self, batch: Sequence[str], page: UsersPage) -> None:
        wanted = set(batch)
        self.ids.extend(batch)
        self.by_id.update((u.id, u) for u in page.users if u.id in wanted)
        self.charged.extend(u.id for u in page.users)
        self.requests += 1
        self.reserved += len(batch)


class Feed:
    """The next `size` ids of the pages, for whichever worker asks first."""

    def __init__(self, pages: AsyncIterator[list[str]], size: int) -> None:
        self._size = size
        self._pages = pages
        self._lock = asyncio.Lock()
        self._ids: list[str] = []
        self._done = False

    async def next(self) -> list[str] | None:
        async with self._lock:
            while len(self._ids) < self._size and not self._done:
                try:
                    self._ids.extend(await anext(self._pages))
                except StopAsyncIteration:
                    self._done = True
            if not self._ids:
                return None
            batch, self._ids = self._ids[: self._size], self._ids[self._size :]
            return batch

    async def aclose(self) -> None:
        if isinstance(self._pages, AsyncGenerator):
            await self._pages.aclose()


class Turns:
    """Lookups go out in turns: a worker that got an answer sends again only once the
    requests that were out when it came have landed too. An answer that stops the pass
    (a 402, a 429 resetting too far) is so always heard before another request goes
    out, however fast the answers are handled (they are only kept until their group is
    written); with two workers both requests are still out together."""

    def __init__(self) -> None:
        self._sent = 0
        self._out: set[int] = set()
        self._landed = asyncio.Condition()

    def send(self) -> int:
        self._sent += 1
        self._out.add(self._sent)
        return self._sent

    async def land(self, seq: int) -> int:
        """`seq` is answered (after the pacer heard it); returns the worker's next barrier."""
        self._out.discard(seq)
        async with self._landed:
            self._landed.notify_all()
        return self._sent

    async def wait(self, barrier: int) -> None:
        """Until no request sent at or before `barrier` is out."""

        def clear() -> bool:
            return not any(seq <= barrier for seq in self._out)

        if not clear():
            async with self._landed:
                await self._landed.wait_for(clear)


@dataclass
class Turn:
    """One worker's place in `Turns`."""

    barrier: int = 0


class Writer:
    """One task writing the answered lookups a group at a time.

    It takes everything answered since it began its last write (at most
    `GROUP_LOOKUPS`: workers wait while that many are waiting), so groups are as small
    as the writer keeps up with and grow when it falls behind. An answer that finds the
    writer idle is written before its worker sends again (`add` says so): when writing
    costs nothing in throughput, a lookup is stored before the next one goes out.
    """

    def __init__(self, write: Callable[[Group], Awaitable[None]], most: int) -> None:
        self._write = write
        self._most = most
        self._changed = asyncio.Condition()
        self._pending = Group()
        self._taken = 0  # groups the writer took so far (the pending one is the next)
        self._written = 0  # groups written so far
        self._closing = False
        self._failed: BaseException | None = None
        self._task = asyncio.create_task(self._run())

    def _check(self) -> None:
        if self._failed is not None:
            raise self._failed  # what failed the writer (a database error) fails the pass

    async def add(self, batch: Sequence[str], page: UsersPage) -> int | None:
        """Add an answer; the number of its group if the writer was idle (see `written`)."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._pending.requests < self._most or self._failed is not None
            )
            self._check()
            idle = self._written == self._taken and not self._pending.requests
            self._pending.add(batch, page)
            self._changed.notify_all()
            return self._taken + 1 if idle else None

    async def written(self, group: int) -> None:
        """Until group number `group` is written."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._written >= group or self._failed is not None)
            self._check()

    async def drain(self) -> None:
        """Until everything added so far is written."""
        async with self._changed:
            target = self._taken + (1 if self._pending.requests else 0)
        await self.written(target)

    async def _run(self) -> None:
        try:
            while True:
                async with self._changed:
                    await self._changed.wait_for(lambda: self._pending.requests or self._closing)
                    if not self._pending.requests:
                        return  # closing, and nothing left
                    group, self._pending = self._pending, Group()
                    self._taken += 1
                    self._changed.notify_all()  # room for the workers again
                await self._write(group)
                async with self._changed:
                    self._written += 1
                    self._changed.notify_all()
        except BaseException as err:
            self._failed = err
            async with self._changed:
                self._changed.notify_all()
            raise

    async def close(self) -> None:
        """Write what was added, then end the task (raising what failed it)."""
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        await self._task

    async def cancel(self) -> None:
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
