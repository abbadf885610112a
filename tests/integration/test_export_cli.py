"""`influencer-bot find --csv`, `watch export` and `watch chart`: the real command line
on the sample, writing files a spreadsheet and an image viewer open."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.render import SAMPLE_BANNER
from adapters.storage.database import Database
from adapters.storage.store import SqlStorage
from core.csv_export import SEARCH_COLUMNS, WATCHLIST_COLUMNS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: these tests are about the files, and each CLI run takes a second."""
    return f"sqlite:///{tmp_path / 'bot.db'}"


async def cli(where: Path, url: str, *args: str) -> tuple[int, bytes, str]:
    """`influencer-bot ARGS` in `where` on the sample and `url`: (status, stdout bytes, stderr)."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("X_", "SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    environ.update(X_SOURCE="sample", DATABASE_URL=url, PYTHONPATH=str(REPO))
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
    return await proc.wait(), out, err.decode()


def _csv(data: bytes) -> csv.DictReader[str]:
    return csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))


async def test_find_csv_writes_a_valid_csv_to_stdout_and_the_rest_to_stderr(
    tmp_path: Path, database_url: str
) -> None:
    code, out, err = await cli(tmp_path, database_url, "find", "fitness", "--csv")
    assert code == 0, err
    reader = _csv(out)
    rows = list(reader)
    assert reader.fieldnames == [c.name for c in SEARCH_COLUMNS]
    assert rows
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert all(r["source"] == "sample" and r["niche"] == "fitness" for r in rows)
    assert all(int(r["followers"]) > 0 and r["url"].startswith("https://x.com/") for r in rows)
    # The sample banner and the cost are on stderr, not in the file.
    assert SAMPLE_BANNER in err
    assert f"{len(rows)} rows · What this would cost on X:" in err
    assert b"SAMPLE" not in out


async def test_a_search_that_finds_nobody_writes_no_file_and_says_why(
    tmp_path: Path, database_url: str
) -> None:
    code, out, err = await cli(
        tmp_path, database_url, "find", "underwater basket weaving", "--export", "csv"
    )
    assert code == 0
    assert out == b""
    assert "0 found" in err


async def _history(url: str, handle: str, days_ago: list[int], now: datetime) -> None:
    """Follower snapshots of a stored account, written through the storage API."""
    database = await Database.connect(url)
    try:
        storage = SqlStorage(database)
        user = (await storage.users_by_username([handle]))[handle]
        for n, days in enumerate(days_ago):
            followers = user.followers - 100 * (len(days_ago) - n)
            await storage.save_users(
                [replace(user, followers=followers)], now - timedelta(days=days)
            )
    finally:
        await database.aclose()


async def test_a_watchlist_exports_and_charts_from_stored_history(
    tmp_path: Path, database_url: str
) -> None:
    code, _, err = await cli(tmp_path, database_url, "watch", "add", "@jane_lifts")
    assert code == 0, err
    # The sample brings its own made-up history (X keeps none), so a chart shows at once;
    # "not enough history" on live X is tested in tests/unit/test_exports.py.
    code, out, err = await cli(tmp_path, database_url, "watch", "chart", "@jane_lifts")
    assert code == 0, err
    assert " in 90 days" in out.decode()
    await _history(database_url, "jane_lifts", [60, 35, 20, 8, 3], datetime.now(UTC))

    code, out, err = await cli(tmp_path, database_url, "watch", "export")
    assert code == 0, err
    reader = _csv(out)
    (row,) = list(reader)
    assert reader.fieldnames == [c.name for c in WATCHLIST_COLUMNS]
    assert row["username"] == "jane_lifts"
    # Six stored snapshots (the add's and five written), the sample's before them.
    assert int(row["snapshots"]) > 6
    assert float(row["growth_7d"]) > 0
    assert float(row["growth_30d"]) > float(row["growth_7d"])
    assert row["growth_90d"] != ""
    assert row["source"] == "sample"
    assert SAMPLE_BANNER in err

    png = tmp_path / "jane.png"
    code, out, err = await cli(
        tmp_path, database_url, "watch", "chart", "jane_lifts", "--days", "90", "--out", str(png)
    )
    assert code == 0, err
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    lines = out.decode().splitlines()
    assert lines[0] == SAMPLE_BANNER
    assert lines[1].startswith("@jane_lifts: ")
    assert " in 7 days · " in lines[1]
    assert " in 90 days" in lines[1]
    assert lines[2] == f"Chart saved to {png}"


async def test_charting_an_unknown_account_is_one_line_exit_2(
    tmp_path: Path, database_url: str
) -> None:
    code, out, err = await cli(tmp_path, database_url, "watch", "chart", "@nobody_here")
    assert code == 2
    assert out == b""
    assert err == (
        "influencer-bot: @nobody_here is not on this channel's watchlist: "
        "influencer-bot watch add @nobody_here first.\n"
    )
