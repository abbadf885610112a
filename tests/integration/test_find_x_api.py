"""`influencer-bot find` end to end: the real CLI process, tweepy, HTTP, the local X API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.x_fixtures import X_TEST_TOKEN, x_world_small
from tests.fakes.x_server import FakeXServer
from tests.fakes.x_world import XWorld


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
    code = await proc.wait()  # it has exited: this is its status, as an int
    payload = json.loads(out) if code == 0 else None
    return code, payload, err.decode()


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
        assert row["relevance"] > 0
        assert any("fitness" in r for r in row["reasons"]), row["reasons"]
    scores = [row["score"] for row in results]
    assert scores == sorted(scores, reverse=True)
    # The cost matches what the server saw and what it billed.
    cost = payload["cost"]
    assert cost["requests"] == len(fake_x.requests)
    assert cost["usd"] == pytest.approx(fake_x.billing().usd)
    assert cost["usd"] == pytest.approx(
        cost["usd_posts"] + cost["usd_users"] + cost["usd_timelines"] + cost["usd_counts"]
    )
    assert cost["count_requests"] == len(fake_x.requests_to("/2/tweets/counts/recent")) == 1
    # Posts went out without their authors; only some authors were looked up, by id.
    searches = fake_x.requests_to("/2/tweets/search/recent")
    assert searches
    sent = searches[0].query
    assert sent["query"].startswith(payload["query"])
    assert "expansions" not in sent
    assert "entities" in sent["tweet.fields"]
    lookups = [r for r in fake_x.requests if r.path == "/2/users"]
    assert lookups
    assert cost["users_read"] == sum(len(r.query["ids"].split(",")) for r in lookups)


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
    assert {k: second["cost"][k] for k in ("requests", "posts_read", "users_read", "usd")} == {
        "requests": 0,
        "posts_read": 0,
        "users_read": 0,
        "usd": 0.0,
    }
    assert second["cost"]["timeline_posts"] == 0
    assert second["from_cache"] is True
    assert [r["username"] for r in second["results"]] == [r["username"] for r in first["results"]]


async def test_budget_stops_the_search_early_and_says_so(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    # Counts $0.005, a 10-post page $0.05 at most, then lookups and timelines: a $0.20
    # budget cannot pay for all of them, and is never exceeded.
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
    assert payload["cost"]["requests"] == len(fake_x.requests)
    assert "budget" in payload["stopped_early"]
    assert payload["cost"]["usd"] <= 0.20
    assert fake_x.billing().usd <= 0.20
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
    fake_x: FakeXServer, tmp_path: Path, *, status: int, times: int, code: int, message: str
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


async def test_402_ends_the_search_at_once_with_a_plain_line(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    fake_x.fail_next("/2/tweets/search/recent", 402)
    rc, _, err = await find(fake_x, tmp_path / "bot.db", "fitness")
    assert rc == 1
    assert "402" in err
    assert "spending cap" in err
    assert "Traceback" not in err
    assert X_TEST_TOKEN not in err
    assert len(fake_x.requests_to("/2/tweets/search/recent")) == 1  # not retried
    assert not fake_x.requests_to("/2/users")  # and nothing after it


async def test_402_after_the_posts_keeps_what_was_found_and_says_why(
    fake_x: FakeXServer, tmp_path: Path
) -> None:
    fake_x.fail_next("/2/users/", 402, times=10)  # every timeline answers 402
    rc, payload, err = await find(fake_x, tmp_path / "bot.db", "fitness")
    assert rc == 0, err
    assert payload is not None
    assert payload["results"]
    assert "402" in payload["stopped_early"]
    # Timelines are read 4 at a time: those already sent may answer, no new one is sent.
    assert len(fake_x.requests_to("/2/users/")) <= 4


# --- a realistic X: mostly small accounts and spam, a few dozen creators per niche ---------


async def test_realistic_world_top_results_are_authentic_micro_creators(
    realistic_x: FakeXServer, tmp_path: Path
) -> None:
    world: XWorld = x_world_small()
    code, payload, err = await find(realistic_x, tmp_path / "bot.db", "coffee", "--limit", "20")
    assert code == 0, err
    assert payload is not None
    ids = {r["username"]: r["url"] for r in payload["results"]}
    by_handle = {u["username"]: u["id"] for u in world.dataset["users"]}
    top = [by_handle[h] for h in list(ids)[:10]]
    authentic = world.authentic_micro("coffee")
    assert len(top) >= 5
    assert sum(uid in authentic for uid in top) >= 0.8 * len(top)
    assert not set(top[:5]) & world.bought_audience
    # Every post read came through the likes band, and the product's cost is X's bill.
    sent = realistic_x.requests_to("/2/tweets/search/recent")[0].query["query"]
    assert payload["niche_size"] > 300  # more than 3 pages of 100 could read: banded
    assert "min_likes:" in sent
    assert payload["cost"]["usd"] == pytest.approx(realistic_x.billing().usd)
    verified = [r for r in payload["results"] if r["verified_on"]]
    assert verified
    assert any(" latest posts on coffee" in reason for r in verified for reason in r["reasons"])


async def test_min_likes_refused_by_x_falls_back_for_the_day(
    realistic_x: FakeXServer, tmp_path: Path
) -> None:
    realistic_x.reject_operators({"min_likes"})
    db = tmp_path / "bot.db"
    code, payload, err = await find(realistic_x, db, "gaming")
    assert code == 0, err
    assert payload is not None
    assert payload["results"]
    queries = [r.query["query"] for r in realistic_x.requests_to("/2/tweets/search/recent")]
    assert payload["niche_size"] > 300
    assert "min_likes:" in queries[0]  # tried once, refused with a 400
    assert all("min_likes:" not in q for q in queries[1:])
    before = len(realistic_x.requests_to("/2/tweets/search/recent"))
    code, _, err = await find(realistic_x, db, "gaming", "--tier", "nano")
    assert code == 0, err
    later = [r.query["query"] for r in realistic_x.requests_to("/2/tweets/search/recent")]
    assert all("min_likes:" not in q for q in later[before:])  # remembered for the day
