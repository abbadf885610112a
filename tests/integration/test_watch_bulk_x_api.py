"""Bulk watchlists on the command line: the real CLI process, tweepy, HTTP, the local X API.

`watch add` takes any number of handles and asks X for 100 a request; `watch import`
reads them from a CSV or a plain list and says what was tracked, already tracked and
not found.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from tests.fakes.x_fixtures import X_TEST_TOKEN, x_dataset
from tests.fakes.x_server import FakeXServer

LOOKUP = "/2/users/by"


async def cli(
    fake_x: FakeXServer, tmp_path: Path, *args: str, stdin: bytes = b""
) -> tuple[int, str, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("X_", "SLACK_", "DISCORD_"))
    }
    environ.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        X_BEARER_TOKEN=X_TEST_TOKEN,
        X_API_BASE_URL=fake_x.base_url,
        X_MAX_RETRIES="0",
        X_MAX_RATE_LIMIT_WAIT_SECONDS="0",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        cwd=tmp_path,  # away from the repository, so a developer's .env is not read
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    return await proc.wait(), out.decode(), err.decode()


def known_handles() -> list[str]:
    return [str(u["username"]) for u in x_dataset()["users"]]


def three_hundred() -> tuple[list[str], list[str]]:
    """300 handles: every account the fake X has, then made-up ones it does not know."""
    known = known_handles()
    unknown = [f"nobody_{i:03d}" for i in range(300 - len(known))]
    assert len(known) >= 100, "the dataset should hold enough accounts to matter"
    return known, unknown


def json_of(out: str) -> dict[str, Any]:
    payload = json.loads(out)
    assert isinstance(payload, dict)
    return payload


async def test_a_300_handle_watch_add_asks_x_three_times(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    known, unknown = three_hundred()
    handles = [f"@{h}" for h in known + unknown]

    code, out, err = await cli(fake_x, tmp_path, "watch", "add", *handles, "--json")

    assert code == 0, err
    lookups = fake_x.requests_to(LOOKUP)
    assert len(lookups) == 3  # ceil(300 / 100)
    sent = [h for r in lookups for h in r.query["usernames"].split(",")]
    assert sorted(sent, key=str.lower) == sorted(known + unknown, key=str.lower)
    payload = json_of(out)
    assert sorted(payload["added"], key=str.lower) == sorted(known, key=str.lower)
    assert sorted(payload["not_found"]) == sorted(unknown)
    assert payload["already"] == []
    assert payload["cost"]["requests"] == 3
    assert payload["cost"]["users_read"] == len(known)

    # Again: the accounts are stored, so only the unknown ones go to X (140: 2 requests).
    code, out, err = await cli(fake_x, tmp_path, "watch", "add", *handles, "--json")
    assert code == 0, err
    assert len(fake_x.requests_to(LOOKUP)) == 3 + 2
    again = json_of(out)
    assert again["added"] == []
    assert len(again["already"]) == len(known)

    code, out, err = await cli(fake_x, tmp_path, "watch", "list", "--json")
    assert code == 0, err
    assert len(json_of(out)["accounts"]) == len(known)


async def test_watch_import_reads_a_csv_and_reports_each_outcome(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    known = known_handles()
    code, _, err = await cli(fake_x, tmp_path, "watch", "add", known[0])
    assert code == 0, err
    rows = ["name,Screen_Name,followers", f"First,@{known[0]},1"]
    rows += [f"Row {i},{h},2" for i, h in enumerate(known[1:120])]
    rows += ["Ghost,nobody_here,3", "Broken,not a handle!,4"]
    csv_file = tmp_path / "export.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = len(fake_x.requests_to(LOOKUP))

    code, out, err = await cli(fake_x, tmp_path, "watch", "import", str(csv_file), "--json")

    assert code == 2  # a line without a handle was skipped, and said so
    assert f"{csv_file} line {len(rows)}: 'not a handle!' is not an X handle" in err
    payload = json_of(out)
    assert payload["handles"] == 121
    assert payload["already"] == [known[0]]
    assert sorted(payload["added"]) == sorted(known[1:120])
    assert payload["not_found"] == ["nobody_here"]
    assert payload["invalid"] == [
        {"line": len(rows), "text": "not a handle!", "error": payload["invalid"][0]["error"]}
    ]
    assert len(fake_x.requests_to(LOOKUP)) - before == 2  # 120 not stored yet: 2 lookups


async def test_watch_import_from_stdin_one_handle_a_line_in_text(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    known = known_handles()
    text = (
        f"# our creators\n@{known[0]}\nhttps://x.com/{known[1]}\n\n{known[0].upper()}\nzz_unknown\n"
    )

    code, out, err = await cli(fake_x, tmp_path, "watch", "import", "-", stdin=text.encode())

    assert code == 0, err
    assert f"Now tracking @{known[0]}, @{known[1]}." in out
    assert "Not found on X: @zz_unknown." in out
    assert "standard input: 3 handles: 2 tracked, 0 already tracked, 1 not found." in out


async def test_watch_import_of_a_missing_or_empty_file_is_one_line(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    code, out, err = await cli(fake_x, tmp_path, "watch", "import", "nope.csv")
    assert (code, out) == (2, "")
    assert err == "influencer-bot: nope.csv: no such file\n"

    (tmp_path / "cols.csv").write_text("name,followers\nJane,1\n", encoding="utf-8")
    code, out, err = await cli(fake_x, tmp_path, "watch", "import", "cols.csv")
    assert (code, out) == (2, "")
    assert err.startswith("influencer-bot: cols.csv: the first line names no handle column")
    assert err.count("\n") == 1
    assert fake_x.requests_to(LOOKUP) == []
