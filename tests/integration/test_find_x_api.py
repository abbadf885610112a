"""`influencer-bot find` end to end: the real CLI process, tweepy, HTTP, the local X API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.x_fixtures import X_TEST_TOKEN
from tests.fakes.x_server import FakeXServer


async def find(
    fake_x: FakeXServer, db: Path, *args: str, **env: str
) -> tuple[int, dict[str, Any] | None, str]:
    """Run `influencer-bot find ... --json` against the fake X server."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("X_", "SLACK_", "DISCORD_"))
    }
    environ.update(
        DATABASE_URL=f"sqlite:///{db}",
        X_BEARER_TOKEN=X_TEST_TOKEN,
        X_API_BASE_URL=fake_x.base_url,
        X_MAX_RETRIES="2",
        X_MAX_RATE_LIMIT_WAIT_SECONDS="0",
        **env,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "find",
        *args,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        cwd=db.parent,  # away from the repository, so a developer's .env is not read
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    payload = json.loads(out) if proc.returncode == 0 else None
    return proc.returncode, payload, err.decode()


async def test_find_fitness_gives_micro_accounts_that_post_on_fitness(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    code, payload, err = await find(fake_x, tmp_path / "bot.db", "fitness", "--limit", "50")
    assert code == 0, err
    assert payload is not None
    assert payload["source"] == "x-api"
    results = payload["results"]
    assert results, "expected fitness accounts in the dataset"
    for row in results:
        assert row["tier"] == "micro"
        assert 10_000 <= row["followers"] < 50_000
        assert any("fitness" in r for r in row["reasons"]) or row["relevance"] > 0
    scores = [row["score"] for row in results]
    assert scores == sorted(scores, reverse=True)
    # The cost matches what the server saw.
    searches = fake_x.requests_to("/2/tweets/search/recent")
    assert payload["cost"]["requests"] == len(searches) >= 1
    assert payload["cost"]["posts_read"] > 0
    assert payload["cost"]["usd"] == pytest.approx(
        payload["cost"]["posts_read"] * 0.005 + payload["cost"]["users_read"] * 0.010
    )
    # The query was the safe one and went out with author expansion.
    sent = searches[0].query
    assert sent["query"] == payload["query"]
    assert sent["expansions"] == "author_id"
    assert "public_metrics" in sent["user.fields"]


async def test_bought_audiences_rank_below_or_are_flagged(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    code, payload, err = await find(
        fake_x, tmp_path / "bot.db", "fitness", "--tier", "any", "--limit", "50"
    )
    assert code == 0, err
    assert payload is not None
    ids = {u["username"]: str(u["id"]) for u in fake_x.users_by_id.values()}
    bought = [r for r in payload["results"] if ids[r["username"]] in fake_x.bought]
    genuine = [r for r in payload["results"] if ids[r["username"]] not in fake_x.bought]
    assert bought, "the dataset has bought-audience fitness accounts"
    assert genuine
    for row in bought:
        assert row["suspicion_reasons"], row
        assert row["suspicion"] >= 0.3
    median_genuine = sorted(r["score"] for r in genuine)[len(genuine) // 2]
    assert all(r["score"] < median_genuine for r in bought)


async def test_second_identical_search_the_same_day_reads_nothing_new(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    _, first, _ = await find(fake_x, db, "running")
    sent = len(fake_x.requests)
    code, second, err = await find(fake_x, db, "running")
    assert code == 0, err
    assert first is not None
    assert second is not None
    assert len(fake_x.requests) == sent
    assert second["cost"] == {"requests": 0, "posts_read": 0, "users_read": 0, "usd": 0.0}
    assert second["from_cache"] is True
    assert [r["username"] for r in second["results"]] == [r["username"] for r in first["results"]]


async def test_budget_stops_the_search_early_and_says_so(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    # A 10-post page may cost 10 * 0.005 + 10 * 0.010 = 0.15: a 0.20 budget pays for one.
    code, payload, err = await find(
        fake_x,
        tmp_path / "bot.db",
        "fitness",
        X_MONTHLY_BUDGET_USD="0.20",
        X_SEARCH_PAGE_SIZE="10",
        X_SEARCH_MAX_PAGES="5",
    )
    assert code == 0, err
    assert payload is not None
    assert payload["cost"]["requests"] == len(fake_x.requests) == 1
    assert "budget" in payload["stopped_early"]
    assert payload["cost"]["usd"] <= 0.20
    assert payload["budget_left_usd"] >= 0


async def test_no_budget_at_all_is_a_clear_failure(fake_x: FakeXServer, tmp_path: Path) -> None:
    code, _, err = await find(fake_x, tmp_path / "bot.db", "fitness", X_MONTHLY_BUDGET_USD="0")
    assert code == 1
    assert "budget" in err
    assert "Traceback" not in err
    assert fake_x.requests == []


@pytest.mark.parametrize(
    ("status", "times", "code", "message"),
    [
        (429, 1, 1, "rate limit"),
        (503, 10, 1, "503"),
        (401, 1, 1, "X_BEARER_TOKEN"),
        (503, 1, 0, ""),  # one 503 is retried and the search succeeds
    ],
)
async def test_x_faults_become_clear_errors_or_are_retried(
    fake_x: FakeXServer, tmp_path: Path, status: int, times: int, code: int, message: str
) -> None:
    fake_x.fail_next("/2/tweets/search/recent", status, times=times)
    rc, payload, err = await find(fake_x, tmp_path / "bot.db", "fitness")
    assert rc == code, err
    assert message in err
    assert "Traceback" not in err
    assert X_TEST_TOKEN not in err
    if code == 0:
        assert payload is not None
        assert payload["results"]
