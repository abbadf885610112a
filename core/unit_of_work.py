"""One command's held-back writes: written together when the command ends.

A search writes what it read from X to today's cache several times (the niche's size,
each page, each timeline, what it found), each a transaction of its own, although
nothing in the command needs them stored before it answers: its own later reads are
served from what it holds. Inside `held_writes()` (`Scout.handle` opens one per
command) a store may hold such writes (`hold`) and answer its own reads from them
(`held`); when the command ends, done or failed, each store gets what it held in one
call (one transaction), before the reply goes out.

Writes that others must see at once (spend, budgets, claims) are never held.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

# Writes all of `values` in one go (one transaction).
Flush = Callable[[list[Any]], Awaitable[None]]


class HeldWrites:
    """What one command's stores hold back, per store (its `Flush`) and key."""

    def __init__(self) -> None:
        self._held: dict[Flush, dict[Hashable, Any]] = {}
        self._closed = False

    def hold(self, flush: Flush, key: Hashable, value: Any) -> bool:
        """Write `value` with `flush` when the command ends (a later one for the same
        key replaces it, as writing both in turn would).

        False once the command's writes went out (a task it started outlived it): the
        caller writes at once instead.
        """
        if self._closed:
            return False
        held = self._held.setdefault(flush, {})
        held.pop(key, None)  # the latest last, in the order written
        held[key] = value
        return True

    def held(self, flush: Flush, key: Hashable) -> Any | None:
        """The value held for `key` (None: none)."""
        return self._held.get(flush, {}).get(key)

    def __len__(self) -> int:
        return sum(len(values) for values in self._held.values())

    async def flush(self) -> None:
        """Write what is held, each store's values in one call; the first failure is
        raised once every store had its turn."""
        self._closed = True
        held, self._held = self._held, {}
        failure: Exception | None = None
        for flush, values in held.items():
            try:
                await flush(list(values.values()))
            except Exception as err:
                log.warning("held writes not stored: %s", err)
                failure = failure or err
        if failure is not None:
            raise failure


_current: ContextVar[HeldWrites | None] = ContextVar("held_writes", default=None)


def current() -> HeldWrites | None:
    """The running command's held writes (None: outside a command, write at once)."""
    return _current.get()


@asynccontextmanager
async def held_writes() -> AsyncIterator[HeldWrites]:
    """Hold the stores' writes until the block ends, then write them.

    A block that fails still writes what it held (X was paid for it), and raises its
    own error; a write that fails after a block that did not raises that failure.
    Nested blocks share the outer one.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    writes = HeldWrites()
    token = _current.set(writes)
    try:
        try:
            yield writes
        finally:
            _current.reset(token)
    except BaseException:
        try:
            await writes.flush()
        except Exception:  # the block's own error is the one to tell
            log.exception("held writes lost after a failed command")
        raise
    await writes.flush()
