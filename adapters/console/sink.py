"""`ConsoleSink`: scheduled messages (digests, tier alerts, account notices) as terminal text.

The terminal bot and the command line deliver `console` channels through it; it
implements `core.ports.MessageSink` for platform "console".
"""

from __future__ import annotations

import sys
from typing import TextIO

from adapters.console.schedule_render import render_notice
from core.models import Delivery, Notice, Scope


class ConsoleSink:
    """Prints each notice under a `[#channel]` header; never fails, never rate limited."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def platform(self) -> str:
        return "console"

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        # A terminal keeps no history to look in, and a line printed twice after a
        # crash harms no one: `key` and `recheck` are not needed here.
        del key, recheck
        stream = self._stream or sys.stdout
        # A terminal cannot ping anyone or show a chart: the mention is shown as written.
        mention = f"{extras.mention} " if extras is not None and extras.mention else ""
        print(f"[#{scope.channel}] {mention}{render_notice(notice)}", file=stream, flush=True)
