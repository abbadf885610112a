"""The terminal chat and the command line, on the bundled sample and a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.chat import ConsoleChat
from adapters.console.render import render
from bot.settings import Settings
from bot.wiring import Services, services
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
    assert added == f"Now tracking @{handle}."
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
        (("find", "--like", "@@x"), 2, "Option like: '@@x' is not an X handle"),
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
    assert "No account in range posted like @nadia_runs in the last 7 days" in empty
    assert "add a niche" in empty
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
