"""The command line's parser: light to import, one-line mistakes, command-line words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.flags import COMMAND_WORDS, FLAGS, cli_words, command_of
from bot.cli.parser import build_parser
from core.commands import COMMANDS, DIGEST, HELP, DigestCommand

REPO = Path(__file__).resolve().parents[2]
# What `--help` and a mistake must not load: the database, X, chat and scheduler
# libraries (and pydantic, which only the settings need).
HEAVY = (
    "sqlalchemy",
    "tweepy",
    "slack_bolt",
    "slack_sdk",
    "discord",
    "aiohttp",
    "apscheduler",
    "pydantic",
    "alembic",
    "matplotlib",  # charts: imported on the first one drawn
    "numpy",
)

_PROBE = """
import json, sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps(heavy))
"""


def _loaded(where: Path, *argv: str) -> list[str]:
    """The heavy top-level modules a fresh interpreter has loaded after `main(argv)`.

    Run in `where` (no developer's `.env`), with this checkout first on the path.
    """
    done = subprocess.run(  # noqa: S603  this interpreter, a fixed script
        [sys.executable, "-c", _PROBE, *argv],
        input=json.dumps(HEAVY),
        capture_output=True,
        text=True,
        cwd=where,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(loaded, list)
    return loaded


def test_building_the_parser_imports_no_heavy_library() -> None:
    script = (
        "import sys, json\n"
        "from bot.cli.parser import build_parser\n"
        "build_parser()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(  # noqa: S603  this interpreter, a fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert "bot" in loaded  # the probe did import the parser
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["find", "--help"],
        ["watch", "import", "--help"],
        ["watch", "chart", "--help"],
        ["digest", "subscribe", "--help"],
        ["find", "--limit", "x"],  # argparse refuses it
        ["find"],  # the check before settings
        ["no-such-command"],
    ],
)
def test_help_and_mistakes_load_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    assert _loaded(tmp_path, *argv) == []


def test_a_command_that_runs_does_load_them(tmp_path: Path) -> None:
    # The probe can see a heavy import: a command that runs makes one. (Its database is
    # in the test's data folder: conftest points INFLUENCER_BOT_DATA_DIR there.)
    assert "sqlalchemy" in _loaded(tmp_path, "watch", "list")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["find", "--limit", "x"], "argument --limit: invalid int value: 'x'"),
        (["nonsense"], "argument COMMAND: invalid choice: 'nonsense'"),
        (["watch"], "the following arguments are required: ACTION"),
        (["find", "fitness", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_argparse_mistakes_are_one_line_with_exit_2(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("influencer-bot: error: ")
    assert said in err
    assert "usage:" not in err
    assert "--help)" in err


def test_day_and_weekday_are_the_same_flag() -> None:
    parse = build_parser().parse_args
    by_day = command_of(parse(["digest", "subscribe", "fitness", "--day", "fri"]))
    by_weekday = command_of(parse(["digest", "subscribe", "fitness", "--weekday", "fri"]))
    assert by_day == by_weekday
    assert isinstance(by_day, DigestCommand)
    assert by_day.weekday == 4


def test_every_chat_option_reads_as_its_flag() -> None:
    for name, flag in FLAGS.items():
        word = f"--{name}" if f"--{name}" in flag.spellings else flag.flag
        assert cli_words(f"Option {name}: must be between 1 and 50.") == (
            f"{word}: must be between 1 and 50."
        )
        assert cli_words(f"try {name}:abc instead") == f"try {word} abc instead"
        assert cli_words(f"Options: {name}:, x") == f"Options: {word}, x"
    assert cli_words("min:20,000 is above max:5,000.") == (
        "--min-followers 20,000 is above --max-followers 5,000."
    )
    assert cli_words("Option day: needs a value, e.g. day:mon") == (
        "--day: needs a value, e.g. --day mon"
    )


def test_every_chat_command_reads_as_the_command_line() -> None:
    for spec in COMMANDS:
        cli = (
            "influencer-bot --help"
            if spec is HELP
            else f"influencer-bot {COMMAND_WORDS[spec.name]}"
        )
        for name in (spec.name, *spec.aliases):
            assert cli_words(f"Use /{name} now.") == f"Use {cli} now."
    assert cli_words(DIGEST.examples[0]) == (
        "influencer-bot digest subscribe fitness --day mon --time 09:00 --tz Europe/Berlin"
    )


def test_cli_words_leave_urls_times_and_plain_words_alone() -> None:
    text = "See https://x.com/find and x.com/watchlist at 09:00; the limit is fine: yes."
    assert cli_words(text) == text


def test_every_table_command_has_a_subcommand_of_that_name() -> None:
    parser = build_parser()
    for spec in COMMANDS:
        if spec is HELP:
            continue
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([COMMAND_WORDS[spec.name], "--help"])
        assert exited.value.code == 0
