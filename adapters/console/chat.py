"""A terminal chat that speaks the same slash commands as Slack and Discord.

On a terminal it edits lines and keeps a history between runs (stdlib `readline`), and
completes command names with Tab. From a pipe or a file (`influencer-bot run < script`)
it reads line by line and echoes each line after the prompt, so the transcript reads
as typed. Answers are wrapped to the terminal's width; output that is not a terminal
is left unwrapped, so scripts see whole lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import stat
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TextIO

from adapters.console.files import save_answer, saved_text
from adapters.console.render import SAMPLE_BANNER, render
from core.commands import COMMANDS, HELP, command_spec, parse_command
from core.errors import BadInput, ScoutError, user_message
from core.models import FileAnswer, Scope
from core.scout import Scout

log = logging.getLogger(__name__)

CONSOLE_SCOPE = Scope("console", "local", "console")
PROMPT = "influencer-bot> "
QUIT_WORDS = ("/quit", "/exit", "quit", "exit")
HISTORY_LENGTH = 1_000
APP_DIR = "influencer-bot"
# Narrower than this, a hanging indent leaves too little room: continuation lines go flush.
_MIN_TEXT_WIDTH = 24


def friendly_error(err: Exception) -> str:
    """The one place console errors become words for the user."""
    if isinstance(err, ScoutError):
        return f"Error: {user_message(err)}"
    log.error("command failed", exc_info=err)
    return "Error: something went wrong on our side; the details are in the log."


# --- wrapping -------------------------------------------------------------------------


def wrap_line(line: str, width: int) -> list[str]:
    """One line wrapped at word boundaries; continuation lines indented under it.

    Long words (URLs) are never broken, and hyphenated words (`/find-influencers`) stay
    whole.
    """
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    hang = indent + "  "
    if width - len(hang) < _MIN_TEXT_WIDTH:
        hang = indent if width - len(indent) >= _MIN_TEXT_WIDTH else ""
    return textwrap.wrap(
        line,
        width=width,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]


def wrap_text(text: str, width: int | None) -> str:
    """Every line of an answer wrapped to `width` (None: as it is)."""
    if not width:
        return text
    return "\n".join(part for line in text.split("\n") for part in wrap_line(line, width))


# --- completion -----------------------------------------------------------------------


def completions(before: str) -> list[str]:
    """What Tab offers for the word at the end of `before` (the line up to the cursor)."""
    words = before.split(" ")
    current = words[-1].lower()
    if len(words) == 1:
        typed = current.removeprefix("/")
        names = [n for spec in COMMANDS for n in (spec.name, *spec.aliases)]
        return [f"/{n} " for n in sorted(dict.fromkeys(names)) if n.startswith(typed)]
    try:
        spec = command_spec(words[0])
    except BadInput:
        return []
    offered: list[str] = []
    if len(words) == 2 and spec.has_subcommands:
        offered += [f"{a.name} " for a in spec.actions if a.name is not None]
    offered += [f"{o.name}:" for o in spec.options]
    return [w for w in offered if w.startswith(current)]


# --- where lines come from ------------------------------------------------------------


class _Lines(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line without its newline; None at the end of input."""
        ...

    def close(self) -> None: ...


def default_history_path() -> Path:
    """The per-user data directory's chat history (as `platformdirs` would place it)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_DIR / "chat-history"


def _import_readline() -> ModuleType | None:
    try:
        import readline  # only a terminal chat needs it; absent on Windows
    except ImportError:
        return None
    return readline


class _TerminalLines:
    """Lines typed on a terminal: `input()` with readline's editing, history and Tab.

    `input()` blocks, so each line is read on a daemon thread and handed to the event
    loop, which keeps running the scheduler meanwhile.
    """

    def __init__(self, history: Path | None) -> None:
        self._readline = _import_readline()
        self._history = history
        self._thread: threading.Thread | None = None
        self._saved_tty = _tty_state()
        self._first_new = 0
        if self._readline is not None:
            self._setup(self._readline)

    def _setup(self, rl: ModuleType) -> None:
        rl.set_history_length(HISTORY_LENGTH)
        if self._history is not None:
            try:
                self._history.parent.mkdir(parents=True, exist_ok=True)
                self._history.touch(mode=0o600, exist_ok=True)
                rl.read_history_file(str(self._history))
            except OSError as err:
                log.warning("chat history stays in memory: %s: %s", self._history, err)
                self._history = None
        self._first_new = rl.get_current_history_length()
        rl.set_completer_delims(" \t\n")
        rl.set_completer(_completer(rl))
        # macOS's Python may link libedit, which spells the Tab binding its own way.
        doc = rl.__doc__ or ""
        rl.parse_and_bind("bind ^I rl_complete" if "libedit" in doc else "tab: complete")

    async def read(self, prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()

        def deliver(line: str | None) -> None:
            if not done.done():
                done.set_result(line)

        def work() -> None:
            try:
                line: str | None = input(prompt)
            except (EOFError, OSError, ValueError):
                line = None
            # The loop may be gone when the chat ended (Ctrl-C) while this waited.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, line)

        self._thread = threading.Thread(target=work, name="console-input", daemon=True)
        self._thread.start()
        line = await done
        if line is None:
            print()  # Ctrl-D leaves the cursor after the prompt
        return line

    def close(self) -> None:
        rl = self._readline
        if rl is not None:
            rl.set_completer(None)
            added = rl.get_current_history_length() - self._first_new
            if self._history is not None and added > 0:
                # Appending keeps what another chat wrote meanwhile; it trims to the length.
                try:
                    rl.append_history_file(added, str(self._history))
                except OSError as err:
                    log.warning("could not save the chat history to %s: %s", self._history, err)
        if self._thread is not None and self._thread.is_alive():
            # Left mid-line (Ctrl-C): readline still holds the terminal in raw mode.
            _restore_tty(self._saved_tty)
            print()  # and the shell's prompt starts on a line of its own


def _completer(rl: ModuleType) -> Callable[[str, int], str | None]:
    def complete(_text: str, state: int) -> str | None:
        before = rl.get_line_buffer()[: rl.get_endidx()]
        options = completions(before)
        return options[state] if state < len(options) else None

    return complete


def _tty_state() -> list[Any] | None:
    try:
        import termios  # POSIX only

        return termios.tcgetattr(sys.stdin.fileno())
    except (ImportError, OSError, ValueError):
        return None


def _restore_tty(state: list[Any] | None) -> None:
    if state is None:
        return
    try:
        import termios  # POSIX only

        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, state)
    except (ImportError, OSError, ValueError):
        pass


class _PipeLines:
    """Lines from a pipe, socket or character device, read without blocking the loop."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self._stdin, self._stdout = stdin, stdout
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None

    async def read(self, prompt: str) -> str | None:
        if self._reader is None:
            loop = asyncio.get_running_loop()
            self._reader = asyncio.StreamReader()
            reader = self._reader
            self._transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), self._stdin
            )
        print(prompt, end="", file=self._stdout, flush=True)
        raw = await self._reader.readline()
        return _echoed(raw.decode("utf-8", errors="replace") if raw else None, self._stdout)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class _FileLines:
    """Lines from a regular file (`run < script`) or any text stream: reads never wait."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self._stdin, self._stdout = stdin, stdout

    async def read(self, prompt: str) -> str | None:
        print(prompt, end="", file=self._stdout, flush=True)
        return _echoed(self._stdin.readline() or None, self._stdout)

    def close(self) -> None:
        pass


def _echoed(raw: str | None, stdout: TextIO) -> str | None:
    """Show a line that came from a script after the prompt, as if it had been typed."""
    line = None if raw is None else raw.rstrip("\r\n")
    print("" if line is None else line, file=stdout, flush=True)
    return line


def _is_pipe(stream: TextIO) -> bool:
    """Whether reading the stream may wait, and asyncio can watch it.

    `connect_read_pipe` refuses regular files, and epoll refuses `/dev/null`; reading
    either never waits, so they are read directly.
    """
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):  # no descriptor (a StringIO)
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or (stat.S_ISCHR(mode) and os.isatty(fd))


# --- the chat -------------------------------------------------------------------------


class ConsoleChat:
    """Reads `/command args` lines and prints the rendered replies."""

    def __init__(
        self,
        scout: Scout,
        scope: Scope = CONSOLE_SCOPE,
        *,
        history: Path | None = None,
        width: int | None = None,
        exports: Path | None = None,
    ) -> None:
        """`history`: where a terminal chat keeps its history (default: the per-user
        data directory). `width`: wrap answers to it (default: the terminal's width).
        `exports`: where files (CSV exports, charts) are saved (default: `exports/`
        in the per-user data directory)."""
        self._scout = scout
        self._scope = scope
        self._history = history
        self._width = width
        self._exports = exports or default_history_path().parent / "exports"

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
        if text.lower() in QUIT_WORDS:
            return None
        if not text.startswith("/"):
            return f"Commands start with /. Type /{HELP.name} for the list."
        name, _, rest = text[1:].partition(" ")
        try:
            command = parse_command(name, rest)
            reply = await self._scout.handle(command, self._scope)
        except Exception as err:  # every failure becomes a message; the chat goes on
            return friendly_error(err)
        if isinstance(reply, FileAnswer):  # a terminal cannot show a file: save it
            try:
                return saved_text(reply, save_answer(reply, self._exports))
            except OSError as err:
                return f"Error: could not save {reply.filename} in {self._exports}: {err.strerror}"
        return render(reply)

    def width(self, stdout: TextIO) -> int | None:
        """The width answers wrap to: the terminal's, read anew for each (it may resize)."""
        if self._width is not None:
            return self._width
        try:
            is_terminal = stdout.isatty()
        except (AttributeError, ValueError):
            is_terminal = False
        return shutil.get_terminal_size().columns if is_terminal else None

    def _lines(self, stdin: TextIO, stdout: TextIO) -> _Lines:
        if stdin is sys.stdin and stdin.isatty():
            return _TerminalLines(self._history or default_history_path())
        if _is_pipe(stdin):
            return _PipeLines(stdin, stdout)
        return _FileLines(stdin, stdout)

    async def run(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        """Answer lines from a terminal, a pipe or a file until the end or /quit."""
        lines = self._lines(stdin, stdout)
        try:
            print(wrap_text(self.greeting(), self.width(stdout)), file=stdout)
            while True:
                raw = await lines.read(PROMPT)
                if raw is None:
                    return
                reply = await self.answer(raw)
                if reply is None:
                    return
                if reply:
                    print(wrap_text(reply, self.width(stdout)), file=stdout, flush=True)
        finally:
            lines.close()
