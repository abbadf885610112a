"""Every example the bot shows works on the bundled sample (issue 11, item 1).

The examples are collected, never listed here: the help table's
(`core.commands.COMMANDS[*].examples`), README.md's (chat commands in inline code
and code blocks, `influencer-bot …` lines), and those quoted in the messages the code
sends (string constants in the core, the command line and the renderers). Usage
templates are made concrete (`NICHE` → fitness, `@handle` → @jane_lifts, `a|b` → each,
an optional `[--json]` kept, an optional group with an unknown placeholder left out).
Chat examples run through `Scout.handle` on the sample and a fresh SQLite database;
command-line examples through `bot.cli.main` in-process. Each must succeed with a
non-empty answer: a search finds at least one account, an add tracks, an audit audits.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import csv
import io
import json
import logging
import os
import re
import subprocess
import sys
import zoneinfo
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.console.render import render
from adapters.x.sample_gen import SAMPLE_PATH
from bot.cli import main as cli_main
from bot.cli.parser import build_parser
from bot.settings import Settings
from bot.wiring import Services, services
from core.commands import (
    COMMANDS,
    AuditCommand,
    DigestAction,
    DigestCommand,
    FindInfluencers,
    HelpCommand,
    ProfileCommand,
    SettingsCommand,
    WatchAction,
    WatchlistCommand,
    command_spec,
    parse_command,
)
from core.errors import BadInput
from core.models import (
    AuditNeedsConfirmation,
    AuditResult,
    DigestSubscriptionsView,
    FileAnswer,
    HelpView,
    NotifyChange,
    ProfileView,
    Scope,
    SearchResult,
    WatchChange,
    WatchlistView,
)
from core.workspace_config import SettingsView

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# Where the messages users read are written.
MESSAGE_SOURCES = (
    "core/*.py",
    "bot/cli/*.py",
    "adapters/*/render.py",
    "adapters/console/*.py",
)
SCOPE = Scope("console", "local", "examples")
CHANNEL = "C0EXAMPLES"

# How a usage template's placeholders become sample values. A placeholder not here
# (`N`, `ISO-8601`, `[command]`) drops its optional group; a required one the example.
HANDLES = "@jane_lifts @runwithraj"
PLACEHOLDERS = {
    "@handle...": HANDLES,
    "HANDLE...": HANDLES,
    "@handle": "@jane_lifts",
    "HANDLE": "@jane_lifts",
    "<niche>": "fitness",
    "NICHE": "fitness",
    "ID": CHANNEL,
}
_UNKNOWN = re.compile(r"^(?:[A-Z][A-Z0-9-]*|<[^>]*>|\.\.\.|…)$")
_ZONES = zoneinfo.available_timezones()
# Handles that stand for "any handle" in prose.
PLACEHOLDER_HANDLES = frozenset({"handle"})
# Words that end an example quoted in a sentence ("… fitness, or …").
_ENDERS = frozenset({"or", "and", "then", "to", "for", "with", "in", "is", "on", "press"})


@dataclass(frozen=True, slots=True)
class Example:
    text: str  # as it will run: `/cmd …` for chat, `influencer-bot …` for the command line
    where: str  # where it was found

    @property
    def chat(self) -> bool:
        return self.text.startswith("/")


# --- collecting --------------------------------------------------------------------


def _chat_names() -> list[str]:
    names = [word for spec in COMMANDS for word in (spec.name, *spec.aliases)]
    return sorted(names, key=len, reverse=True)  # /find-influencers before /find


_START = re.compile(
    r"(?<![\w/-])(?:/(?:" + "|".join(map(re.escape, _chat_names())) + r")(?![\w/-])"
    r"|influencer-bot(?=\s))"
)


def quoted_commands(text: str) -> Iterator[str]:
    """Every command quoted in `text`, up to where the sentence goes on."""
    for start in _START.finditer(text):
        tokens = [start.group(0)]
        for raw in re.split(r"\s+", text[start.end() :].strip()):
            if not raw or raw[0] in "(`\"'*" or raw.lower() in _ENDERS or raw == "#":
                break
            token = raw.split("`", 1)[0]
            stripped = token.rstrip(",.;)")
            if stripped:
                tokens.append(stripped)
            if stripped != raw or (raw.startswith("--") and raw.endswith(".")):
                break
        yield " ".join(tokens)


def _fill(word: str) -> str | None:
    """A template word with its placeholder filled in; None for one we cannot fill."""
    if word in PLACEHOLDERS:
        return PLACEHOLDERS[word]
    for placeholder in ("@handle...", "@handle", "<niche>"):
        if placeholder in word:  # inside an option: `like:@handle`
            return word.replace(placeholder, PLACEHOLDERS[placeholder])
    if _UNKNOWN.match(word) and word not in _ZONES:  # `UTC` is a value
        return None
    return word


def concrete(template: str) -> list[str]:
    """The commands a usage template stands for (none when it cannot be filled in)."""
    variants: list[list[str]] = [[]]
    for group in re.findall(r"\[[^\]]*\]|\S+", template):
        optional = group.startswith("[")
        words = group[1:-1].split() if optional else [group]
        if len(words) == 1 and "|" in words[0]:  # `add|remove|list`: each
            options = [[alt] for alt in words[0].split("|")]
        else:
            options = [words]
        filled = [[_fill(w) for w in choice] for choice in options]
        kept = [[w for w in choice if w is not None] for choice in filled if None not in choice]
        if not kept:
            if optional:
                continue
            return []  # a required placeholder we cannot fill: not an example
        variants = [[*v, *choice] for v in variants for choice in kept]
    return [" ".join(v) for v in variants]


def is_template(text: str) -> bool:
    """Whether a quoted command is a usage template rather than a ready example."""
    return any(c in text for c in "[]<>|…") or "..." in text or "@handle" in text


def _cli_commands() -> frozenset[str]:
    """The command line's subcommands, from its parser."""
    parser = build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return frozenset(name for sub in subs for name in sub.choices)


def _cli_example(argv: list[str]) -> bool:
    """False for a bare `influencer-bot watch add` the prose names: it asks for more."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = build_parser().parse_args(argv)
        check = getattr(args, "check", None)
        if check is not None:
            check(args)
    except (SystemExit, BadInput):
        return len(argv) > 2  # a full example that fails is a failure; a bare name is not
    return True


def runnable(text: str) -> bool:
    """An example rather than a mention: a known subcommand, and a chat command that
    is not only a name still asking for what it needs (`/watchlist remove`)."""
    words = text.split()
    if not text.startswith("/"):
        return len(words) > 1 and words[1] in _cli_commands() and _cli_example(words[1:])
    try:
        parse_command(words[0], " ".join(words[1:]))
    except BadInput:
        spec = command_spec(words[0])
        rest = words[2:] if spec.has_subcommands else words[1:]
        return bool(rest)  # a full example that fails is a failure; a bare name is not
    return True


def _discord_form(text: str) -> str:
    """`/audit handle: @jane_lifts` (Discord's form) → `/audit @jane_lifts`."""
    text = re.sub(r"\b(\w+): (?=\S)", r"\1:", text)
    words = text.split()
    spec = command_spec(words[0])
    prefix = f"{spec.argument}:"
    return " ".join(w.removeprefix(prefix) if w.startswith(prefix) else w for w in words)


def readme_examples() -> list[Example]:
    text = README.read_text(encoding="utf-8")
    found: list[str] = []
    blocks = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.DOTALL)
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()  # a trailing comment
            if _START.match(line):
                found.extend(concrete(line))
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    for span in re.findall(r"`([^`\n]+)`", prose):
        for quoted in quoted_commands(span):
            found.extend(concrete(_discord_form(quoted) if quoted.startswith("/") else quoted))
    return [Example(t, "README.md") for t in dict.fromkeys(found)]


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (not messages)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def message_texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every plain string constant the code shows (f-strings aside)."""
    for pattern in MESSAGE_SOURCES:
        for path in sorted(REPO.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    skip.update(id(v) for v in node.values)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skip
                ):
                    yield str(path.relative_to(REPO)), node.value


def message_examples() -> list[Example]:
    found: dict[str, str] = {}
    for where, text in message_texts():
        for quoted in quoted_commands(text):
            if not is_template(quoted):
                found.setdefault(quoted, where)
    return [Example(t, w) for t, w in found.items()]


def help_examples() -> list[Example]:
    return [Example(e, f"/{spec.name} help") for spec in COMMANDS for e in spec.examples]


def all_examples() -> list[Example]:
    seen: dict[str, Example] = {}
    for example in (*help_examples(), *readme_examples(), *message_examples()):
        if runnable(example.text):
            seen.setdefault(example.text, example)
    return list(seen.values())


EXAMPLES = all_examples()
CHAT = [e for e in EXAMPLES if e.chat]
CLI = [e for e in EXAMPLES if not e.chat]


def test_the_examples_are_collected_from_every_place() -> None:
    """The collector itself: it must find what each place is known to quote."""
    texts = {e.text for e in EXAMPLES}
    for spec in COMMANDS:
        assert set(spec.examples) <= texts
    wheres = {e.where for e in EXAMPLES}
    assert "README.md" in wheres
    assert any(w.startswith(("core/", "bot/", "adapters/")) for w in wheres)
    assert "/find-influencers home workout tier:nano limit:5" in texts
    assert any(t.startswith("influencer-bot find ") for t in texts)
    assert any(t.startswith("influencer-bot audit ") for t in texts)
    assert "/audit @jane_lifts" in texts  # Discord's `/audit handle: @jane_lifts`
    # the parsing rules on made-up text
    assert list(quoted_commands("Try /digest subscribe fitness. Or not")) == [
        "/digest subscribe fitness"
    ]
    assert list(quoted_commands("e.g. /find-influencers fitness, or /find x")) == [
        "/find-influencers fitness",
        "/find x",
    ]
    assert concrete("influencer-bot watch add|remove HANDLE... [--channel ID] [--json]") == [
        f"influencer-bot watch add {HANDLES} --channel {CHANNEL} --json",
        f"influencer-bot watch remove {HANDLES} --channel {CHANNEL} --json",
    ]
    assert concrete("influencer-bot digest run-due [--now ISO-8601] [--json]") == [
        "influencer-bot digest run-due --json"
    ]
    assert concrete("influencer-bot digest list|preview ...") == []


def test_every_handle_the_messages_name_is_in_the_sample() -> None:
    users = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))["users"]
    known = {str(u["username"]).lower() for u in users}
    named: dict[str, str] = {}
    texts = [("README.md", README.read_text(encoding="utf-8"))]
    for where, text in [*texts, *message_texts()]:
        for example in quoted_commands(text):
            for handle in re.findall(r"(?<![\w@])@(\w{1,15})\b", example):
                named.setdefault(handle.lower(), where)
    for where, text in message_texts():
        for handle in re.findall(r"(?:like|e\.g\.)[: ]@(\w{1,15})\b", text):
            named.setdefault(handle.lower(), where)
    assert "jane_lifts" in named
    missing = {h: w for h, w in named.items() if h not in known | PLACEHOLDER_HANDLES}
    assert not missing, f"handles named but not in the sample: {missing}"


# --- running chat examples ---------------------------------------------------------


@pytest.fixture
async def sample(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.db", x_source="sample")
    async with services(settings) as svc:
        yield svc


async def _prepare(svc: Services, command: object) -> None:
    """What an example assumes was done before: a remove follows an add."""
    match command:
        case WatchlistCommand(action=WatchAction.REMOVE, handles=handles):
            await svc.scout.handle(WatchlistCommand(WatchAction.ADD, handles), SCOPE)
        case DigestCommand(action=DigestAction.UNSUBSCRIBE, niche=niche):
            await svc.scout.handle(DigestCommand(DigestAction.SUBSCRIBE, niche), SCOPE)
        case WatchlistCommand(action=WatchAction.LIST | WatchAction.EXPORT | WatchAction.CHART):
            await svc.scout.handle(WatchlistCommand(WatchAction.ADD, ("jane_lifts",)), SCOPE)


def _check(command: object, reply: object) -> None:
    match command, reply:
        case FindInfluencers(), SearchResult():
            assert reply.results, f"found nobody: {reply.nothing_found}"
            assert reply.source == "sample"
        case WatchlistCommand(action=WatchAction.ADD, handles=handles), WatchChange():
            assert set(reply.added) | set(reply.already) == set(handles), reply
        case WatchlistCommand(action=WatchAction.REMOVE, handles=handles), WatchChange():
            assert set(reply.removed) == set(handles), reply
        case WatchlistCommand(action=WatchAction.LIST), WatchlistView():
            assert reply.entries
        case DigestCommand(action=DigestAction.SUBSCRIBE, niche=niche), DigestSubscriptionsView():
            assert niche in {s.niche for s in reply.subscriptions}
        case DigestCommand(action=DigestAction.UNSUBSCRIBE, niche=niche), DigestSubscriptionsView():
            assert niche not in {s.niche for s in reply.subscriptions}
        case DigestCommand(action=DigestAction.LIST), DigestSubscriptionsView():
            pass
        case DigestCommand(action=DigestAction.PREVIEW), _:
            pass
        case AuditCommand(), AuditResult():
            assert reply.sample_size > 0
            assert reply.top_reasons
        case HelpCommand(), HelpView():
            pass
        case FindInfluencers(export="csv"), FileAnswer():
            rows = list(csv.DictReader(io.StringIO(reply.data.decode("utf-8"))))
            assert rows, "the export has no rows"
            assert {"username", "followers", "score"} <= set(rows[0])
        case WatchlistCommand(action=WatchAction.EXPORT), FileAnswer():
            rows = list(csv.DictReader(io.StringIO(reply.data.decode("utf-8"))))
            assert [r["username"] for r in rows] == ["jane_lifts"]
        case WatchlistCommand(action=WatchAction.CHART), FileAnswer():
            assert reply.data.startswith(b"\x89PNG"), "not a PNG"
            assert "in 7 days" in reply.text
        case WatchlistCommand(action=WatchAction.NOTIFY, mention=mention), NotifyChange():
            assert reply.mention == mention
        case SettingsCommand(), SettingsView():
            assert reply.source == "sample"
        case ProfileCommand(handle=handle), ProfileView():
            assert reply.user.username.lower() == handle.lower()
            assert reply.contacts, "the sample's featured accounts name a contact"
            assert reply.source == "sample"
        case _:
            raise AssertionError(f"{type(reply).__name__} does not answer {command}")


@pytest.mark.parametrize("example", CHAT, ids=[e.text for e in CHAT])
async def test_chat_example_works_on_the_sample(sample: Services, example: Example) -> None:
    name, _, text = example.text[1:].partition(" ")
    command = parse_command(name, text)
    await _prepare(sample, command)
    reply = await sample.scout.handle(command, SCOPE)
    if isinstance(reply, AuditNeedsConfirmation):  # the real flow: ask, then confirm
        assert isinstance(command, AuditCommand)
        assert reply.source == "sample"
        command = AuditCommand(command.handle, command.sample, confirmed=True)
        reply = await sample.scout.handle(command, SCOPE)
    _check(command, reply)
    shown = render(reply)
    assert shown.strip(), f"{example.text} ({example.where}) answered nothing"


# --- running command-line examples -------------------------------------------------


def _argv(example: Example, tmp_path: Path) -> list[str]:
    argv = example.text.split()[1:]
    if argv[:1] == ["audit-users"]:  # FILE: X user objects, one a line
        users = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))["users"][:3]
        path = tmp_path / "users.jsonl"
        path.write_text("".join(json.dumps(u) + "\n" for u in users), encoding="utf-8")
        argv = [str(path) if a == "FILE" else a for a in argv]
    if ">" in argv:  # `... --csv > fitness.csv`: the shell's redirect, not an argument
        argv = argv[: argv.index(">")]
    return [str(tmp_path / "chart.png") if a == "FILE.png" else a for a in argv]


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """`main` sets up logging (levels per library); put it back so later tests see theirs."""
    root = logging.getLogger()
    saved = {
        name: lg.level
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    handlers, level = list(root.handlers), root.level
    yield
    for name, lg in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(lg, logging.Logger):  # loggers made during the test go back to NOTSET
            lg.setLevel(saved.get(name, logging.NOTSET))
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("example", CLI, ids=[e.text for e in CLI])
@pytest.mark.usefixtures("logging_restored")
def test_command_line_example_works_on_the_sample(
    example: Example,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key in [k for k in os.environ if k.startswith(("X_", "SLACK_", "DISCORD_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/bot.db")
    monkeypatch.chdir(tmp_path)  # away from a developer's .env
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # `run`: the chat ends at once
    argv = _argv(example, tmp_path)
    if argv[0] == "run":  # the chat reads the real stdin: run it as a user would, input closed
        proc = subprocess.run(  # noqa: S603  our own entry point, fixed arguments
            [sys.executable, "-m", "bot", *argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ},
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert "sample" in proc.stdout.lower(), proc.stdout
        return
    if argv[:2] in (["watch", "remove"], ["digest", "unsubscribe"]):
        before = ["add" if argv[1] == "remove" else "subscribe", *argv[2:]]
        assert _cli([argv[0], *before], capsys)[0] == 0
    if argv[:2] in (["watch", "chart"], ["watch", "export"]):  # of a tracked account
        channel = argv[argv.index("--channel") :][:2] if "--channel" in argv else []
        assert _cli(["watch", "add", "@jane_lifts", *channel], capsys)[0] == 0
    code, out, err = _cli(argv, capsys)
    if code == 2 and "--yes" in err:  # a dear audit asks first, as on X
        assert "would cost" in err
        code, out, err = _cli([*argv, "--yes"], capsys)
    assert code == 0, f"{example.text} ({example.where}) exited {code}: {err}"
    assert out.strip(), f"{example.text} ({example.where}) printed nothing"
    if argv[0] == "find":
        if "--json" in argv:
            assert json.loads(out)["results"], out
        else:
            assert "https://x.com/" in out, out
    if argv[:2] == ["watch", "add"]:
        shown = out if "--json" in argv else out.lower()
        assert "jane_lifts" in shown
