"""The first ten minutes of a new user, walked end to end (issue 11's "done when").

Two real processes on the bundled sample, as the README's quick start leaves them: no
tokens, no `DATABASE_URL` (the per-user data folder, pointed at a temporary one), a
working directory away from the repository. The terminal chat is fed a script through
a pipe, as `influencer-bot run < file` would be; the command line is run command by
command. Every step names what a new user saw go wrong in the trial the issue reports,
so a step that fails says which trip came back.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.console.chat import PROMPT
from adapters.x.sample_gen import sample_dataset
from core.commands import COMMANDS

BANNER = "[SAMPLE DATA: offline sample, not live X"
# A cost on the sample is what it would cost: never a bare `Cost: ≈ $0.02`.
REAL_COST = re.compile(r"^(Cost|What this cost)\b", re.MULTILINE)


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("X_", "SLACK_", "DISCORD_")) and k != "DATABASE_URL"
    }
    env.update(INFLUENCER_BOT_DATA_DIR=str(data), **extra)
    return env


def _bot(cwd: Path, data: Path, *args: str, stdin: str = "", **extra: str) -> tuple[int, str, str]:
    done = subprocess.run(  # noqa: S603  our own entry point, our own arguments
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(data, **extra),
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _answers(transcript: str) -> Iterator[tuple[str, str]]:
    """(line typed, answer) for each prompt in a piped chat's transcript."""
    for part in transcript.split(PROMPT)[1:]:
        typed, _, answer = part.partition("\n")
        yield typed.strip(), answer.strip()


def _help_examples() -> list[str]:
    return [example for spec in COMMANDS for example in spec.examples]


# (what is typed, what the answer must say): every trip the trial reported.
CHAT_STEPS: list[tuple[str, str]] = [
    # 1. The help's own examples work on the sample (all of them run below as well).
    ("/find-influencers home workout tier:nano limit:5", "nano"),
    ("/watchlist add @jane_lifts @runwithraj", "@jane_lifts"),
    ("/audit @jane_lifts", "Follower audit of @jane_lifts"),
    # ... and an uncovered niche is answered with the niches the sample has.
    ("/find-influencers vegan baking", "it covers fitness"),
    # 2. Every answer says it is sample data (checked on every answer below).
    ("/watchlist list", "@runwithraj"),
    ("/digest subscribe fitness day:tue time:08:30 tz:america/new_york", "America/New_York"),
    # 8. Re-subscribing with no options keeps the day, time and zone.
    ("/digest subscribe fitness", "America/New_York"),
    ("/digest list", "America/New_York"),
    ("/digest preview", "/digest preview fitness"),
    # 3. The audit asks before a dear one, and goes ahead when confirmed.
    ("/audit @jane_lifts sample:500", "would cost up to $5.00 on X"),
    ("/audit @jane_lifts sample:500 confirm", "of the 500 most recent followers"),
    # 4. A contradiction is refused with its reason.
    ("/find-influencers fitness tier:nano min:20k", "min:20k is above it"),
    # 5. The obvious aliases, and the nearest command for a typo.
    ("/help", "/find-influencers <niche>"),
    ("/find fitness limit:2", 'Influencers for "fitness": 2 found'),
    ("/find-influencer running limit:1", 'Influencers for "running"'),
    ("/findd fitness", "Did you mean /find-influencers?"),
]
# Answers that are errors, not answers on sample data: they carry no banner.
ERRORS = {"/digest preview", "/find-influencers fitness tier:nano min:20k", "/findd fitness"}


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, Path]:
    """A folder to start from (not the repository) and the per-user data folder."""
    cwd, data = tmp_path / "somewhere", tmp_path / "data"
    cwd.mkdir()
    return cwd, data


def test_the_terminal_chat_walks_the_first_ten_minutes(home: tuple[Path, Path]) -> None:
    cwd, data = home
    typed = [step for step, _ in CHAT_STEPS] + _help_examples() + ["/quit"]
    code, out, err = _bot(cwd, data, "run", stdin="\n".join(typed) + "\n")
    assert code == 0, err
    assert "Traceback" not in out + err
    assert out.startswith(BANNER), "the chat opens under the sample banner"

    answers = list(_answers(out))
    assert [line for line, _ in answers] == typed, "each typed line is echoed and answered"
    said = dict(answers[: len(CHAT_STEPS)])
    for line, expected in CHAT_STEPS:
        assert expected in said[line], f"{line!r} answered:\n{said[line]}"
    for line, answer in answers[:-1]:  # every answer but /quit's
        is_error = line in ERRORS
        assert answer.startswith("Error:") == is_error, f"{line!r} answered:\n{answer}"
        if not is_error:
            assert answer.startswith(BANNER), f"{line!r} has no sample banner:\n{answer}"
            assert not REAL_COST.search(answer), f"{line!r} shows a real cost:\n{answer}"
    for example in _help_examples():
        answer = dict(answers)[example]
        assert " 0 found" not in answer, f"the help example {example!r} finds nobody"
        assert "No X account found" not in answer, example

    # 5. A pipe is not wrapped (a program reads it); wrapping to a terminal's width, line
    # editing and history are walked on a real pseudo-terminal in test_console.py.
    assert max(len(line) for line in out.splitlines()) > 100
    # 7. The data lives in the per-user folder, not where the bot was started.
    assert (data / "influencer-bot.db").is_file()
    assert list(cwd.iterdir()) == []


def _handles_300() -> list[str]:
    known = [str(user["username"]) for user in sample_dataset()["users"]]
    return known + [f"nobody_{i:03d}" for i in range(300 - len(known))]


def test_the_command_line_walks_the_first_ten_minutes(home: tuple[Path, Path]) -> None:
    cwd, data = home

    # 6. --help and argparse errors are one screen and one line.
    code, out, _ = _bot(cwd, data, "--help")
    assert code == 0
    assert "find" in out
    code, out, err = _bot(cwd, data, "find", "fitness", "--limit", "many")
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1, err
    assert "--limit" in err

    # 7. --version says where the data lives.
    code, out, _ = _bot(cwd, data, "--version")
    assert code == 0
    assert str(data) in out

    # 1 and 2. The help's search on the sample: found, under the banner on stdout.
    code, out, err = _bot(cwd, data, "find", "home workout", "--tier", "nano", "--limit", "5")
    assert code == 0, err
    assert out.startswith(BANNER)
    assert "What this would cost on X" in out
    assert " 0 found" not in out

    # 4. A contradiction, in command-line words.
    code, out, err = _bot(cwd, data, "find", "fitness", "--tier", "nano", "--min-followers", "20k")
    assert code == 2
    assert "--min-followers" in err or "--tier" in err
    assert "min:" not in err
    assert "tier:" not in err

    # 3. The audit asks first (banner on stdout, the question on stderr), then goes ahead.
    code, out, err = _bot(cwd, data, "audit", "@jane_lifts", "--sample", "500")
    assert code == 2
    assert out.startswith(BANNER)
    assert "would cost up to $5.00 on X" in err
    assert "influencer-bot audit jane_lifts --sample 500 --yes" in err
    code, out, err = _bot(cwd, data, "audit", "@jane_lifts", "--sample", "500", "--yes")
    assert code == 0, err
    assert out.startswith(BANNER)
    assert "of the 500 most recent followers" in out

    # 9. 300 handles in one `watch add`: asked of X 100 at a time.
    handles = _handles_300()
    code, out, err = _bot(cwd, data, "watch", "add", *handles)
    assert code == 0, err
    assert out.startswith(BANNER)
    assert "What this would cost on X: 3 requests" in out
    assert "Not found on X: @nobody_000" in out
    # ... and `watch import` of a CSV with a handle column reports each outcome.
    sheet = cwd / "creators.csv"
    with sheet.open("w", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerows([["name", "handle"], ["Jane", "@jane_lifts"], ["Who", "@nobody_new"]])
    code, out, err = _bot(cwd, data, "watch", "import", str(sheet))
    assert code == 0, err
    assert out.startswith(BANNER)
    assert "1 already tracked" in out
    assert "1 not found" in out
    code, out, err = _bot(cwd, data, "watch", "list")
    assert code == 0, err
    assert out.startswith(BANNER)
    known = len(sample_dataset()["users"])
    assert f"Watchlist ({known} accounts)" in out

    # 2. Refresh on the sample says it is sample data and what it would cost.
    code, out, err = _bot(cwd, data, "refresh")
    assert code == 0, err
    assert out.startswith(BANNER)
    assert not REAL_COST.search(out)
    assert "would cost" in out

    # 6. A bad DATABASE_URL: one line naming it, exit 2; a database that is down: exit 1.
    code, out, err = _bot(cwd, data, "find", "fitness", DATABASE_URL="banana")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert "DATABASE_URL" in err
    down = "postgresql://someone@127.0.0.1:1/nothing"
    code, out, err = _bot(cwd, data, "find", "fitness", DATABASE_URL=down)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err
    assert "cannot reach the database" in err

    assert list(cwd.iterdir()) == [sheet], "nothing but the user's own file where it started"
