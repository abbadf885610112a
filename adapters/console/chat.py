"""A terminal chat that speaks the same slash commands as Slack and Discord."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from adapters.console.render import SAMPLE_BANNER, render
from core.commands import HELP, parse_command
from core.errors import ScoutError, user_message
from core.models import Scope
from core.scout import Scout

log = logging.getLogger(__name__)

CONSOLE_SCOPE = Scope("console", "local", "console")
PROMPT = "influencer-bot> "


def friendly_error(err: Exception) -> str:
    """The one place console errors become words for the user."""
    if isinstance(err, ScoutError):
        return f"Error: {user_message(err)}"
    log.error("command failed", exc_info=err)
    return "Error: something went wrong on our side; the details are in the log."


class ConsoleChat:
    """Reads `/command args` lines and prints the rendered replies."""

    def __init__(self, scout: Scout, scope: Scope = CONSOLE_SCOPE) -> None:
        self._scout = scout
        self._scope = scope

    def greeting(self) -> str:
        lines = [
            "Influencer scout: terminal chat. Type /influencer-help, or try "
            "/find-influencers fitness (or like:@handle). Ctrl-D or /quit to leave."
        ]
        if self._scout.source == "sample":
            lines.insert(0, SAMPLE_BANNER)
        return "\n".join(lines)

    async def answer(self, line: str) -> str | None:
        """The reply to one line, or None when the user wants to leave."""
        text = line.strip()
        if not text:
            return ""
        if text in ("/quit", "/exit", "quit", "exit"):
            return None
        if not text.startswith("/"):
            return f"Commands start with /. Type /{HELP.name} for the list."
        name, _, rest = text[1:].partition(" ")
        try:
            command = parse_command(name, rest)
            reply = await self._scout.handle(command, self._scope)
        except Exception as err:  # every failure becomes a message; the chat goes on
            return friendly_error(err)
        return render(reply)

    async def run(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        """Read lines from stdin without blocking the event loop (a pipe or a terminal)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), stdin
        )
        try:
            print(self.greeting(), file=stdout)
            while True:
                print(PROMPT, end="", file=stdout, flush=True)
                raw = await reader.readline()
                if not raw:
                    print(file=stdout)
                    return
                reply = await self.answer(raw.decode("utf-8", errors="replace"))
                if reply is None:
                    return
                if reply:
                    print(reply, file=stdout, flush=True)
        finally:
            transport.close()
