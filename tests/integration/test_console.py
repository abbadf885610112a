"""The terminal chat and the command line, on the bundled sample and a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.chat import ConsoleChat
from bot.settings import Settings
from bot.wiring import Services, services


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
    assert found.count("https://x.com/") == 3
    assert "What this would cost on X" in found
    handle = found.split("https://x.com/")[1].split()[0]
    added = await chat.answer(f"/watchlist add @{handle}")
    assert added == f"Now tracking @{handle}."
    listed = await chat.answer("/watchlist")
    assert listed is not None
    assert f"@{handle}" in listed


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/find-influencers", "Which niche"),
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
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


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
    assert set(payload["cost"]) == {"requests", "posts_read", "users_read", "usd"}
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
        (("find",), 2, "the following arguments are required"),
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
    }
    assert rows["darafit"]["last_audit"] is None  # never audited
    assert {"username", "name", "followers", "tier", "added_at", "url"} <= set(rows["darafit"])

    code, out, _ = await _cli(tmp_path, "watch", "list")
    assert code == 0
    (line,) = [x for x in out.splitlines() if "@ineslifts" in x]
    assert f"last audit {audit['fake_share'] * 100:.1f}% likely fake (95% " in line
    assert "last audit" not in next(x for x in out.splitlines() if "@darafit" in x)
