"""The command line and its database: where it lives, and one line when it cannot be used."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.paths import DATA_DIR_ENV, DATABASE_FILE

PASSWORD = "pw-Sekr1t-Zq"


async def cli(where: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """`influencer-bot ARGS` started in `where`, on the sample, with `env` on top."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("X_", "SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    environ.update(X_SOURCE="sample", **env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        cwd=where,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return await proc.wait(), out.decode(), err.decode()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://somewhere/db", "DATABASE_URL scheme 'mysql' is not supported: use sqlite:///"),
        ("sqlite://data/bot.db", "A SQLite DATABASE_URL takes three slashes"),
        ("postgresql://host", "names no database"),
        ("::::", "is not a database URL"),
    ],
)
async def test_a_bad_database_url_is_one_line_naming_it_exit_2(
    tmp_path: Path, url: str, said: str
) -> None:
    code, out, err = await cli(tmp_path, "watch", "list", DATABASE_URL=url)
    assert code == 2
    assert out == ""
    assert err.startswith("influencer-bot: ")
    assert said in err
    assert "DATABASE_URL" in err
    assert err.count("\n") == 1, err


async def test_a_database_that_refuses_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://scout:{PASSWORD}@127.0.0.1:1/scout"
    code, out, err = await cli(tmp_path, "watch", "list", DATABASE_URL=url)
    assert code == 1
    assert out == ""
    assert err == (
        "influencer-bot: cannot reach the database at "
        "postgresql://scout:***@127.0.0.1:1/scout (connection refused)\n"
    )


async def test_a_sqlite_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    code, _, err = await cli(tmp_path, "refresh", DATABASE_URL=f"sqlite:///{folder}")
    assert code == 1
    assert err == (
        f"influencer-bot: cannot open the database at sqlite:///{folder} "
        "(unable to open database file)\n"
    )


async def test_started_from_any_folder_it_keeps_one_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    code, _, err = await cli(one, "watch", "add", "@nadia_runs", **{DATA_DIR_ENV: str(data)})
    assert code == 0, err
    code, out, err = await cli(two, "watch", "list", **{DATA_DIR_ENV: str(data)})
    assert code == 0, err
    assert "@nadia_runs" in out
    assert (data / DATABASE_FILE).is_file()
    assert list(one.iterdir()) == list(two.iterdir()) == []  # nothing left behind


async def test_version_says_where_the_data_lives_and_hides_the_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, err = await cli(tmp_path, "--version", **{DATA_DIR_ENV: str(data)})
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("influencer-bot ")
    assert lines[1] == f"data:     {data.resolve()} (from {DATA_DIR_ENV})"
    assert lines[2] == f"database: sqlite:///{(data / DATABASE_FILE).resolve()}"
    assert not data.exists()  # --version only looks

    url = f"postgresql://scout:{PASSWORD}@db.example:5432/scout"
    code, out, _ = await cli(tmp_path, "--version", DATABASE_URL=url)
    assert code == 0
    assert "database: postgresql://scout:***@db.example:5432/scout" in out
    assert PASSWORD not in out
