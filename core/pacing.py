"""Spending one X rate-limit window across concurrent workers, window after window.

X tells every answer how many requests of the endpoint's window are left and when the
window resets (`RateLimit`). A `Pacer` turns that into permission to send:

- a request is reserved *before* it is sent, so two workers in flight never both spend
  the last request of a window (zero 429s from our own workers);
- while the window's budget is unknown (a new window, or the first request ever) one
  request at a time goes out as a probe, and its answer tells the rest;
- a spent window is slept through with the injected `sleep`, in short steps that call
  `keepalive` (the refresh renews its claim lease there), for as many windows as it
  takes; a reset further away than `max_wait` is not waited for (`PaceStop`);
- a source that never reports limits (the bundled sample) is not paced at all;
- a worker sleeping through a reset runs `before_wait` as soon as none of our requests
  is in flight (the refresh saves what it has looked up, so a process killed in the
  long wait loses nothing it already paid for).

Someone else spending the same window (a chat command's lookups) shows as a lower
`remaining` than ours: the pacer then believes the lower figure. A 429 anyway marks
the window spent until its reset (`limited`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from core.models import RateLimit
from core.ports import Clock

Sleep = Callable[[float], Awaitable[None]]
Keepalive = Callable[[], Awaitable[bool]]
BeforeWait = Callable[[], Awaitable[None]]

# X's reset is whole epoch seconds and clocks drift: wake a little after it
RESET_MARGIN = timedelta(seconds=1)
# a 15-minute window seen from a clock a little behind X's is still "one window"
_SKEW = 60.0


class PaceStop(Exception):
    """The window is spent until `reset_at`, further away than the pacer may wait;
    or `keepalive` said to stop waiting (`reset_at` is then None)."""

    def __init__(self, reset_at: datetime | None) -> None:
        super().__init__(reset_at)
        self.reset_at = reset_at

    def __str__(self) -> str:
        if self.reset_at is None:
            return "stopped while waiting for X's rate limit"
        return f"rate limit spent until {self.reset_at:%H:%M} UTC"


class Pacer:
    """Reserve-then-send pacing of one endpoint's rate limit (see the module's docstring)."""

    def __init__(
        self,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        *,
        max_wait: float = 900.0,
        step: float = 120.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.max_wait = max_wait
        self._step = max(1.0, step)
        self._left: int | None = None  # requests we may still send this window; None: unknown
        self._reset_at: datetime | None = None
        self._spent: datetime | None = None  # the reset of a window a 429 said is spent
        self._in_flight = 0
        self._unpaced = False  # the source reports no limits
        self._changed = asyncio.Condition()
        self._waiting = False  # one worker sleeps through a reset; the others wait on it
        self.waits = 0  # windows slept through (for reports and benches)
        self.waited = 0.0  # seconds slept

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> bool:
        """Whether a worker is sleeping through a reset (the others wait for it)."""
        return self._waiting

    @property
    def reset_at(self) -> datetime | None:
        return self._reset_at

    async def acquire(
        self, keepalive: Keepalive | None = None, before_wait: BeforeWait | None = None
    ) -> None:
        """Reserve one request, waiting for a window with room; `PaceStop` if too far.

        `before_wait` runs (lock released) while this worker sleeps through a reset, as
        soon as no request is in flight (before the first sleep when none is).
        """
        async with self._changed:
            while True:
                self._expire()
                if self._may_send():
                    if self._left is not None:
                        self._left -= 1
                    self._in_flight += 1
                    return
                if self._waiting or self._reset_at is None or self._left is None:
                    # a probe or another worker's sleep will tell us more
                    await self._changed.wait()
                    continue
                await self._sleep_through(self._reset_at, keepalive, before_wait)

    async def release(self, rate: RateLimit | None, *, answered: bool = True) -> None:
        """The reserved request was answered (`rate`: its rate-limit headers) or failed
        (`answered=False`: it still counts as spent)."""
        async with self._changed:
            self._in_flight = max(0, self._in_flight - 1)
            if answered or rate is not None:
                self._observe(rate)
            self._changed.notify_all()

    async def limited(self, reset_at: datetime | None) -> None:
        """The reserved request got a 429: nothing more until `reset_at` (if known)."""
        async with self._changed:
            self._in_flight = max(0, self._in_flight - 1)
            self._unpaced = False
            self._left = 0
            if reset_at is not None:
                self._reset_at = reset_at
            elif self._reset_at is None:
                # no reset given: assume a whole window, the safest reading of a 429
                self._reset_at = self._clock.now() + timedelta(minutes=15)
            # answers counted before the 429 may still say "some left": they are older news
            self._spent = self._reset_at
            self._changed.notify_all()

    # --- internals ---------------------------------------------------------------

    def _may_send(self) -> bool:
        if self._unpaced:
            return True
        if self._left is None:
            return self._in_flight == 0  # probe the unknown window alone
        return self._left > 0

    def _expire(self) -> None:
        """A window whose reset passed is a new, unknown window."""
        if self._reset_at is not None and self._clock.now() >= self._reset_at + RESET_MARGIN:
            self._reset_at = None
            self._left = None
            self._spent = None

    def _observe(self, rate: RateLimit | None) -> None:
        if rate is None:
            if self._reset_at is None:
                self._unpaced = True  # nothing to pace by (the sample, a test fake)
            return
        self._unpaced = False
        if rate.reset_at == self._spent:
            return
        if self._reset_at is None or rate.reset_at > self._reset_at:
            # a window seen for the first time: the in-flight ones may not be counted yet
            self._reset_at = rate.reset_at
            self._left = max(0, rate.remaining - self._in_flight)
        elif rate.reset_at == self._reset_at:
            if self._in_flight == 0:
                self._left = rate.remaining  # nothing of ours pending: exact
            elif self._left is None or self._left > rate.remaining:
                # fewer left than even our own count allows: someone else spends it too
                self._left = max(0, rate.remaining - self._in_flight)
        # an answer from an older window says nothing about this one

    async def _sleep_through(
        self, reset_at: datetime, keepalive: Keepalive | None, before_wait: BeforeWait | None
    ) -> None:
        """Sleep (lock released) until the window resets, calling `keepalive` on the way."""
        wait = (reset_at - self._clock.now()).total_seconds()
        if wait > self.max_wait + _SKEW:
            raise PaceStop(reset_at)
        self._waiting = True
        self._changed.release()
        try:
            until = reset_at + RESET_MARGIN
            self.waits += 1
            saved = before_wait is None
            while (left := (until - self._clock.now()).total_seconds()) > 0:
                if not saved and self._in_flight == 0:
                    # Nothing of ours in flight any more: save what was looked up now, not
                    # after the wait (a process killed while it waits loses nothing).
                    saved = True
                    assert before_wait is not None
                    await before_wait()
                    continue
                chunk = min(self._step, math.ceil(left * 1000) / 1000)
                await self._sleep(chunk)
                self.waited += chunk
                if keepalive is not None and not await keepalive():
                    raise PaceStop(None)
        finally:
            await self._changed.acquire()
            self._waiting = False
            self._changed.notify_all()
