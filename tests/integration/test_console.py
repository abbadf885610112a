"""The terminal chat and the command line, on the bundled sample and a real SQLite file."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.chat import PROMPT, ConsoleChat, completions, wrap_text
from adapters.console.render import SAMPLE_BANNER, render
from bot.settings import Settings
from bot.wiring import Services, services
from core.commands import WHICH_NICHE
from core.models import (
    Candidate,
    Cost,
    HelpView,
    LeftOut,
    Post,
    Reason,
    ReasonKind,
    SearchResult,
    Tier,
    XUser,
)


@pytest.fixture
async def sample_services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.db", x_source="sample")
    async with services(settings) as svc:
        yield svc


async def test_chat_answers_slash_commands_on_sample_data(sample_services: Services) -> None:
    chat = ConsoleChat(sample_services.scout)
    assert "SAMPLE DATA" in chat.greeting()
    found = await chat.answer("/find-influencers fitness limit:3")
    assert found is not None
    assert "SAMPLE DATA" in found
    profiles = re.findall(r"^    https://x\.com/(\w+)$", found, flags=re.MULTILINE)
    assert len(profiles) == 3
    assert "/100" in found
    assert "What this would cost on X: " in found
    handle = profiles[0]
    added = await chat.answer(f"/watchlist add @{handle}")
    assert added is not None
    # Every answer on the sample opens with the banner, a watchlist change too.
    assert added.splitlines() == [SAMPLE_BANNER, f"Now tracking @{handle}."]
    listed = await chat.answer("/watchlist")
    assert listed is not None
    assert f"@{handle}" in listed


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/find-influencers", "Which niche"),
        ("/find-influencers like:@@x", "Option like: '@@x' is not an X handle"),
        ("/find-influencers like:", "needs a value"),
        ("/find-influencers like:@nobody_at_all", "No X account found for @nobody_at_all"),
        ("/find-influencers fitness tier:giant", "Unknown tier"),
        ("/find-influencers 🏋️", "at least one letter"),
        ("/watchlist add @not-a-handle", "not an X handle"),
        ("/watchlist add @nobody_at_all", "No X account found for @nobody_at_all"),
        ("/make-coffee", "Unknown command"),
        ("hello", "Commands start with /"),
    ],
)
async def test_chat_errors_are_one_friendly_line(
    sample_services: Services, line: str, expected: str
) -> None:
    reply = await ConsoleChat(sample_services.scout).answer(line)
    assert reply is not None
    assert reply.startswith(("Error: ", "Commands start")), reply
    assert expected in reply
    assert "Traceback" not in reply


async def test_chat_quits() -> None:
    chat = ConsoleChat(None)  # type: ignore[arg-type]  # quitting needs no scout
    assert await chat.answer("/quit") is None


# Aliases, wrapping, and reading from a terminal, a pipe or a file (issue 11, item 5)


async def test_chat_takes_the_obvious_aliases_and_suggests_the_nearest_command(
    sample_services: Services,
) -> None:
    chat = ConsoleChat(sample_services.scout)
    found = await chat.answer("/find fitness limit:2")
    assert found is not None
    assert 'Influencers for "fitness": 2 found' in found
    shown = await chat.answer("/help")
    assert shown is not None
    assert "/find-influencers <niche>" in shown
    assert "/watchlist add|remove|list" in shown
    one = await chat.answer("/help find")
    assert one is not None
    assert "/find-influencers <niche>" in one
    assert "/watchlist add" not in one
    assert await chat.answer("/find-influencer") == f"Error: {WHICH_NICHE}"
    assert await chat.answer("/watch") == await chat.answer("/watchlist list")
    assert await chat.answer("/fnd fitness") == (
        "Error: Unknown command /fnd. Did you mean /find-influencers?"
    )
    assert await chat.answer("/digest preview") == (
        "Error: Which niche? For example: /digest preview fitness"
    )


LONG = (
    "    why: engagement 3.6% over 5 posts (micro norm 1.0%); 5 posts on fitness in the "
    "last 7 days; bio mentions fitness and /find-influencers"
)
URL_LINE = (
    "    sample post: https://x.com/i/status/2010865319932854582?s=20&t=abcdefghijklmnop "
    "“Quick 20-minute fitness you can do at home”"
)


def test_answers_wrap_at_word_boundaries_keeping_the_indent_and_whole_urls() -> None:
    wrapped = wrap_text(f"{LONG}\n{URL_LINE}\n\nshort line", 40)
    lines = wrapped.split("\n")
    assert all(len(line) <= 40 for line in lines if "https://" not in line)
    assert lines[0].startswith("    why: engagement")
    first, rest = lines[0], lines[1:]
    assert first.startswith("    ")
    assert all(line.startswith("      ") for line in rest[: rest.index("    sample post:")])
    assert "/find-influencers" in wrapped.split()  # a hyphenated word stays whole
    assert "      https://x.com/i/status/2010865319932854582?s=20&t=abcdefghijklmnop" in lines
    assert lines[-2:] == ["", "short line"]
    assert wrapped.split() == f"{LONG}\n{URL_LINE}\n\nshort line".split()  # nothing lost
    assert wrap_text(LONG, None) == LONG  # not a terminal: whole lines


async def test_a_chat_read_from_a_file_echoes_each_line_and_wraps_to_its_width() -> None:
    chat = ConsoleChat(_NoScout(), width=50)  # type: ignore[arg-type]  # only text answers
    out = io.StringIO()
    await chat.run(io.StringIO("hello\n/fnd\n/quit\n/never-read\n"), out)
    text = out.getvalue()
    assert f"{PROMPT}hello\nCommands start with /." in text
    assert f"{PROMPT}/fnd\nError: Unknown command /fnd. Did you mean" in text
    assert "never-read" not in text
    assert max(len(line) for line in text.splitlines()) <= 50
    assert "Ctrl-D or /quit to leave." in " ".join(text.split())


async def test_run_reads_stdin_from_a_regular_file(tmp_path: Path) -> None:
    """`influencer-bot run < script` used to fail: "Pipe transport is for pipes/sockets only"."""
    script = tmp_path / "script.txt"
    script.write_text("/help find\n/watch\n")  # no /quit: the end of the file ends it
    with script.open("rb") as stdin:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_env(tmp_path),
            cwd=tmp_path,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert await proc.wait() == 0, err.decode()
    text = out.decode()
    assert "Traceback" not in err.decode()
    assert f"{PROMPT}/help find\n" in text
    assert "\n/find-influencers <niche>" in text
    assert "The watchlist is empty" in text


def test_a_chat_on_dev_null_ends_at_once() -> None:
    """epoll refuses /dev/null: the chat used to wait forever on `run < /dev/null`."""
    out = io.StringIO()
    chat = ConsoleChat(_NoScout())  # type: ignore[arg-type]  # only the greeting
    with Path(os.devnull).open() as stdin:
        asyncio.run(asyncio.wait_for(chat.run(stdin, out), 10))
    assert out.getvalue().endswith(f"{PROMPT}\n")


def test_tab_completes_commands_actions_and_options() -> None:
    assert completions("/fi") == ["/find ", "/find-influencer ", "/find-influencers "]
    assert completions("/he") == ["/help "]
    assert completions("/watchlist a") == ["add "]
    assert completions("/digest subscribe fitness t") == ["time:", "tz:"]
    assert completions("/find fitness ti") == ["tier:"]
    assert completions("/nope x") == []


class _NoScout:
    source = "sample"


_PTY_CHAT = """
import asyncio, sys
from pathlib import Path
from adapters.console.chat import PROMPT, ConsoleChat, completions, wrap_text

class NoScout:
    source = "sample"

asyncio.run(ConsoleChat(NoScout(), history=Path(sys.argv[1])).run())
"""


class _Terminal:
    """The chat on a real pseudo-terminal of `cols` columns, typed into like a person."""

    def __init__(self, history: Path, cols: int) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm", "INPUTRC": "/dev/null", "COLUMNS": ""}
        env.pop("COLUMNS")
        self.proc = subprocess.Popen(  # noqa: S603  this interpreter, a fixed script
            [sys.executable, "-c", _PTY_CHAT, str(history)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.seen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, text: str, count: int = 1) -> str:
        deadline = time.monotonic() + 20
        while self.seen.count(text) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r} x{count} in {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the chat has exited
                    chunk = b""
                assert chunk, f"chat ended before {text!r} x{count}: {self.seen!r}"
                self.seen += chunk.decode(errors="replace")
        return self.seen

    def exit_code(self) -> int:
        return self.proc.wait(timeout=20)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_the_terminal_chat_edits_lines_and_keeps_history_between_runs(tmp_path: Path) -> None:
    history = tmp_path / "data" / "chat-history"
    nearest = "Did you mean /find-influencers?"
    term = _Terminal(history, cols=60)
    try:
        greeting = term.wait_for(PROMPT).split(PROMPT)[0]
        # Wrapped to the terminal's 60 columns, at word boundaries.
        lines = [x for x in greeting.replace("\r", "").split("\n") if x]
        assert max(len(x) for x in lines) <= 60
        assert "Ctrl-D or /quit to leave." in " ".join(greeting.split())
        term.type("/fd\x1b[Dn\r")  # left arrow: "/fd" becomes "/fnd"
        term.wait_for(nearest)
        term.wait_for(PROMPT, 2)
        term.type("\x1b[A\r")  # up arrow: the same line again
        term.wait_for(nearest, 2)
        term.wait_for(PROMPT, 3)
        term.type("\x04")  # Ctrl-D leaves
        assert term.exit_code() == 0
    finally:
        term.kill()
    assert history.read_text().splitlines()[-1] == "/fnd"

    again = _Terminal(history, cols=80)
    try:
        again.wait_for(PROMPT)
        again.type("\x1b[A\r")  # the history of the last run
        again.wait_for(nearest)
        again.wait_for(PROMPT, 2)
        again.type("/quit\r")
        assert again.exit_code() == 0
    finally:
        again.kill()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("X_", "SLACK_", "DISCORD_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/cli.db", **extra)
    return env


async def _cli(tmp_path: Path, *args: str, stdin: bytes = b"", **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path, **env),
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    code = await proc.wait()  # it has exited: this is its status, as an int
    return code, out.decode(), err.decode()


async def test_run_without_tokens_opens_the_terminal_chat(tmp_path: Path) -> None:
    code, out, _ = await _cli(
        tmp_path, "run", stdin=b"/find-influencers running limit:2\n/watchlist\n/quit\n"
    )
    assert code == 0
    assert "SAMPLE DATA" in out
    assert 'Influencers for "running"' in out
    assert "The watchlist is empty" in out


async def test_find_json_on_sample_says_so(tmp_path: Path) -> None:
    code, out, _ = await _cli(tmp_path, "find", "fitness", "--json", "--limit", "3")
    assert code == 0
    payload = json.loads(out)
    assert payload["source"] == "sample"
    assert set(payload) >= {"niche", "query", "source", "results", "cost"}
    assert set(payload["cost"]) == {
        "requests",
        "posts_read",
        "users_read",
        "usd",
        "timeline_posts",
        "count_requests",
        "usd_posts",
        "usd_users",
        "usd_timelines",
        "usd_counts",
    }
    assert payload["like"] is None
    assert payload["seed"] is None
    assert payload["seed_terms"] == []
    assert isinstance(payload["left_out"], list)
    assert 0 < len(payload["results"]) <= 3
    for row in payload["results"]:
        assert {
            "username",
            "name",
            "followers",
            "tier",
            "engagement_rate",
            "relevance",
            "suspicion",
            "score",
            "reasons",
            "url",
            "suspicion_reasons",
            "sampled_posts",
            "niche_posts",
            "verified_on",
            "verified_on_niche",
            "mentioned_by",
            "small_sample",
            "sample_posts",
        } <= set(row)
        assert row["tier"] == "micro"
        assert 10_000 <= row["followers"] < 50_000


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("find", "((((", "--json"), 2, "at least one letter"),
        (("find", "fitness", "--tier", "huge"), 2, "Unknown tier"),
        (("watch", "add", "@bad-handle"), 2, "not an X handle"),
        (("watch", "add", "@nobody_at_all"), 2, "No X account found"),
        (("find",), 2, "which niche? For example: influencer-bot find fitness"),
        (("find", "--like", ""), 2, "influencer-bot find --like @jane_lifts"),
        (("find", "--like", "@@x"), 2, "--like: '@@x' is not an X handle"),
        (("find", "--like", "https://evil.com/x"), 2, "is not an X handle"),
        (("find", "--like", "nobody_at_all"), 2, "No X account found for @nobody_at_all"),
    ],
)
async def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    rc, out, err = await _cli(tmp_path, *args)
    assert rc == code
    assert message in err
    assert "Traceback" not in err
    assert out == ""


# Chat syntax a command-line answer must not show: `limit:`, `tier:nano`, `/watchlist`.
CHAT_SYNTAX = re.compile(
    r"(?<![\w/@.:-])(like|tier|min|max|lang|limit|day|time|tz|sample):"
    r"|(?<![\w/.:-])/(find-influencers|watchlist|digest|audit|influencer-help)\b"
)


@pytest.mark.parametrize(
    ("args", "code", "stream", "words"),
    [
        (("find", "fitness", "--limit", "99"), 2, "err", "--limit: must be between 1 and 50"),
        (("find", "fitness", "--tier", "nano", "--min-followers", "20k"), 2, "err", "--tier"),
        (("find", "fitness", "--tier", "mega"), 0, "out", "--tier"),
        (("watch", "list", "--channel", "empty"), 0, "out", "influencer-bot watch add"),
        (("watch", "add"), 2, "err", "influencer-bot watch"),
        (("digest", "subscribe", "fitness", "--day", "someday"), 2, "err", "Unknown day"),
    ],
)
async def test_the_command_line_speaks_in_flags_not_chat_syntax(
    tmp_path: Path, args: tuple[str, ...], code: int, stream: str, words: str
) -> None:
    rc, out, err = await _cli(tmp_path, *args)
    assert rc == code, err
    said = {"out": out, "err": err}[stream]
    assert words in said
    # The query line is X's own search syntax (`lang:en`): the only place it may show.
    shown = [line for line in (out + err).splitlines() if not line.startswith("Query:")]
    assert not [line for line in shown if CHAT_SYNTAX.search(line)], shown


async def test_bad_setting_exits_2_naming_it(tmp_path: Path) -> None:
    rc, _, err = await _cli(tmp_path, "find", "fitness", TIER_BOUNDARIES="micro=banana")
    assert rc == 2
    assert "TIER_BOUNDARIES" in err


async def test_x_api_without_token_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    rc, _, err = await _cli(tmp_path, "find", "fitness", X_SOURCE="x-api")
    assert rc == 1
    assert "X_BEARER_TOKEN" in err
    assert "Traceback" not in err


async def test_the_watchlist_shows_the_last_audit_on_sample_data(tmp_path: Path) -> None:
    code, out, err = await _cli(tmp_path, "audit", "@ineslifts", "--json")
    assert code == 0, err
    audit = json.loads(out)
    code, _, err = await _cli(tmp_path, "watch", "add", "@ineslifts", "@darafit")
    assert code == 0, err

    code, out, err = await _cli(tmp_path, "watch", "list", "--json")
    assert code == 0, err
    rows = {row["username"]: row for row in json.loads(out)["accounts"]}
    assert rows["ineslifts"]["last_audit"] == {
        "fake_share": audit["fake_share"],
        "ci_low": audit["ci_low"],
        "ci_high": audit["ci_high"],
        "at": audit["observed_at"],
        "share_low": audit["share_low"],
        "share_high": audit["share_high"],
    }
    assert rows["darafit"]["last_audit"] is None  # never audited
    assert {"username", "name", "followers", "tier", "added_at", "url"} <= set(rows["darafit"])

    code, out, _ = await _cli(tmp_path, "watch", "list")
    assert code == 0
    (line,) = [x for x in out.splitlines() if "@ineslifts" in x]
    low, high = audit["share_low"] * 100, audit["share_high"] * 100
    assert (
        f"last audit {audit['fake_share'] * 100:.1f}% likely fake "
        f"({low:.1f}%–{high:.1f}% allowing for the model's error)"
    ) in line
    assert "last audit" not in next(x for x in out.splitlines() if "@darafit" in x)


# The text a search renders to, piece by piece (no process needed)

SEED = XUser("77", "nadia_runs", "Nadia", 22_716, 300, 2_000)
SPLIT_COST = Cost(9, 100, 38, 1.885, 200, 1, 0.5, 0.38, 1.0, 0.005)


def _candidate(i: int, *, verified: bool = True, small: bool = False) -> Candidate:
    user = XUser(str(i), f"runner_{i}", f"Runner {i}", 24_000 + i, 300, 900)
    return Candidate(
        user,
        Tier.MICRO,
        0.021,
        0.9,
        0.05,
        78.4,
        (
            Reason(ReasonKind.STRENGTH, "engagement 2.1% over 20 posts (micro norm 1.0%)"),
            Reason(ReasonKind.STRENGTH, "18 of 20 latest posts on running"),
            Reason(ReasonKind.SUSPICION, "3 months old with 40K followers"),
        ),
        sampled_posts=20,
        niche_posts=5 if verified else 2,
        verified_on=20 if verified else 0,
        verified_on_niche=18 if verified else 0,
        mentioned_by=3,
        small_sample=small,
        sample_posts=(Post(f"18000{i}", str(i), "Hill repeats\ntoday, 18 km easy", likes=12),),
    )


def _lookalike(candidates: tuple[Candidate, ...], **overrides: object) -> SearchResult:
    values: dict[str, object] = {
        "niche": "running, marathon, trail",
        "query": "(running OR marathon OR trail) lang:en -is:retweet -is:reply",
        "source": "x-api",
        "results": candidates,
        "cost": SPLIT_COST,
        "left_out": (LeftOut(7, "relevance below 0.35"),),
        "niche_size": 10_382,
        "seed": SEED,
        "seed_terms": ("running", "marathon", "trail"),
        **overrides,
    }
    return SearchResult(**values)  # type: ignore[arg-type]


def test_a_lookalike_renders_its_header_evidence_left_out_and_split_cost() -> None:
    text = render(_lookalike((_candidate(1), _candidate(2, verified=False, small=True))))
    lines = text.splitlines()
    assert lines[:3] == [
        "Accounts like @nadia_runs: 2 found",
        "  Learned from @nadia_runs: running, marathon, trail",
        "  ~10,400 posts on running, marathon, trail this week",
    ]
    assert lines[3] == (" 1. @runner_1 (Runner 1): 24K followers, micro, score 78/100")
    assert "    why: engagement 2.1% over 20 posts (micro norm 1.0%); 18 of 20 latest" in text
    assert "    check: 3 months old with 40K followers" in lines
    assert "    evidence: verified on its 20 latest posts; 5 niche posts in search" in lines
    assert (
        "    sample post: https://x.com/i/status/180001 “Hill repeats today, 18 km easy”" in lines
    )
    assert " 2. @runner_2 (Runner 2): 24K followers, micro, score 78/100 (small sample)" in lines
    assert "    evidence: not verified on its timeline (judged on 2 search posts)" in lines
    assert "7 accounts left out: relevance below 0.35" in lines
    assert lines[-1] == (
        "X cost: 9 requests · 100 posts $0.50 · 38 users $0.38 · 200 timeline posts $1.00 · "
        "counts $0.005 = $1.89"
    )


def test_an_empty_lookalike_and_a_plain_search_read_as_such() -> None:
    empty = render(_lookalike((), left_out=(), niche_size=None))
    assert "Nobody in range posted like @nadia_runs in the last 7 days" in empty
    assert "aim it with a niche: /find-influencers <niche> like:@nadia_runs" in empty
    assert "this week" not in empty
    plain = render(_lookalike((_candidate(1),), seed=None, seed_terms=(), niche="running"))
    assert plain.splitlines()[0] == 'Influencers for "running": 1 found'
    assert "Learned from" not in plain
    assert "~10,400 posts on running this week" in plain


def test_console_help_names_the_budget_meter_and_xs_spending_cap() -> None:
    text = render(HelpView())
    assert "X_MONTHLY_BUDGET_USD in a calendar month" in text
    assert "X answers 402" in text
    assert "    e.g. /find-influencers like:@jane_lifts" in text
