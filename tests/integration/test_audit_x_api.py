"""Follower audits end to end: tweepy and HTTP against the local X API, real storage, and
the `influencer-bot audit` / `audit-users` commands as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from adapters.storage.audits import SqlAuditStore
from adapters.storage.database import Database
from adapters.storage.migrate import alembic_config, upgrade
from adapters.storage.store import SqlStorage
from adapters.storage.tables import metadata
from adapters.x.client import TweepyXSource
from core.audit import Audits, AuditSettings
from core.costs import CostMeter, Prices
from core.errors import XRateLimited
from core.fake_followers import FakeClassifier
from core.models import AuditResult
from tests.fakes.x_fixtures import X_TEST_TOKEN, RecordingSleep, x_dataset
from tests.fakes.x_server import FakeXServer

FOLLOWERS = "/2/users/"
T_OLD = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # an audit stored before migration 0011


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _pick(dataset: dict[str, Any], *, bought: bool) -> str:
    """A handle with at least 3,000 followers, from a bought audience or not."""
    labelled = set(dataset["labels"]["bought_audience"])
    for user in dataset["users"]:
        if (user["id"] in labelled) is bought and user["public_metrics"][
            "followers_count"
        ] >= 3_000:
            return str(user["username"])
    raise AssertionError("the dataset has no such account")


DATASET = x_dataset()
GENUINE = _pick(DATASET, bought=False)
BOUGHT = _pick(DATASET, bought=True)


@pytest.fixture
async def x_server() -> AsyncIterator[FakeXServer]:
    """The local X API with up to 3,000 followers an account (three full pages)."""
    async with FakeXServer(DATASET, bearer=X_TEST_TOKEN, follower_limit=3_000) as server:
        yield server


@pytest.fixture
async def source(x_server: FakeXServer) -> AsyncIterator[TweepyXSource]:
    client = TweepyXSource(
        X_TEST_TOKEN,
        base_url=x_server.base_url,
        timeout=5.0,
        max_retries=1,
        backoff_base=0.01,
        max_rate_limit_wait=0.0,
        sleep=RecordingSleep(),
    )
    yield client
    await client.aclose()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database, for tests that are about X rather than storage."""
    db = await Database.connect(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        yield db
    finally:
        await db.aclose()


def _audits(source: TweepyXSource, database: Database, **settings: Any) -> Audits:
    storage = SqlStorage(database)
    clock = SystemClock()
    meter = CostMeter(storage, clock, Prices(), 1_000.0)
    return Audits(
        source,
        storage,
        SqlAuditStore(database),
        meter,
        clock,
        settings=AuditSettings(**{"confirm_above_usd": None, **settings}),
    )


def _followers_requests(server: FakeXServer) -> list[Any]:
    return [r for r in server.requests_to(FOLLOWERS) if r.path.endswith("/followers")]


# --- in process: tweepy, HTTP, SQL ------------------------------------------------------


async def test_audit_pages_through_followers_and_asks_for_the_classifier_fields(
    x_server: FakeXServer, source: TweepyXSource, sqlite_db: Database
) -> None:
    audits = _audits(source, sqlite_db)
    result = await audits.audit(GENUINE, 2_500)
    assert isinstance(result, AuditResult)
    sent = _followers_requests(x_server)
    assert [r.query["max_results"] for r in sent] == ["1000", "1000", "500"]
    assert "pagination_token" not in sent[0].query
    assert all("pagination_token" in r.query for r in sent[1:])
    fields = set(sent[0].query["user.fields"].split(","))
    assert {"created_at", "description", "public_metrics", "profile_image_url", "url"} <= fields
    assert result.sample_size == 2_500
    assert result.pages_read == 3
    assert result.cost.requests == len(x_server.requests) == 4  # lookup + 3 pages
    assert result.cost.users_read == 2_501
    assert result.cost.usd == pytest.approx(25.01)
    assert result.source == "x-api"


async def test_a_bought_audience_stands_out(source: TweepyXSource, sqlite_db: Database) -> None:
    audits = _audits(source, sqlite_db)
    bought = await audits.audit(BOUGHT, 300)
    genuine = await audits.audit(GENUINE, 300)
    assert isinstance(bought, AuditResult)
    assert isinstance(genuine, AuditResult)
    assert bought.fake_share > 0.6
    assert genuine.fake_share < 0.25
    assert bought.ci_low > genuine.ci_high
    assert bought.top_reasons
    assert bought.top_reasons[0].count <= bought.fake_count


async def test_a_repeat_the_same_day_sends_nothing_and_the_watchlist_sees_it(
    x_server: FakeXServer, source: TweepyXSource, database: Database
) -> None:
    audits = _audits(source, database)
    first = await audits.audit(GENUINE, 300)
    sent = len(x_server.requests)
    again = await audits.audit(GENUINE, 300)
    assert len(x_server.requests) == sent
    assert isinstance(first, AuditResult)
    assert isinstance(again, AuditResult)
    assert again.from_cache
    assert again.cost.requests == 0
    assert (again.fake_count, again.top_reasons) == (first.fake_count, first.top_reasons)
    kept = ("share_low", "share_high", "people_flagged", "fakes_caught")
    assert [getattr(again, k) for k in kept] == [getattr(first, k) for k in kept]
    assert first.share_low is not None
    # a new instance (say, after a restart) finds it in the database too
    fresh = await _audits(source, database).audit(GENUINE.upper(), 300)
    assert isinstance(fresh, AuditResult)
    assert fresh.from_cache
    assert len(x_server.requests) == sent
    last = await audits.last_audits([first.user_id, "404"])
    assert list(last) == [first.user_id]
    assert last[first.user_id].fake_share == first.fake_share
    assert last[first.user_id].observed_at.tzinfo is not None


async def test_rate_limit_on_a_later_page_gives_a_partial_result(
    x_server: FakeXServer, source: TweepyXSource, sqlite_db: Database
) -> None:
    x_server.set_rate_limit("followers", limit=1, remaining=1)
    result = await _audits(source, sqlite_db).audit(GENUINE, 2_500)
    assert isinstance(result, AuditResult)
    assert result.sample_size == 1_000
    assert result.partial is not None
    assert "rate limit" in result.partial
    # The first page's headers said the window was spent: the client did not even send
    # the second request (X would have answered 429), and the audit kept what it had.
    assert len(_followers_requests(x_server)) == 1


async def test_rate_limit_on_the_first_page_is_an_error(
    x_server: FakeXServer, source: TweepyXSource, sqlite_db: Database
) -> None:
    x_server.fail_next(FOLLOWERS, 429)
    audits = _audits(source, sqlite_db)
    with pytest.raises(XRateLimited, match="rate limit"):
        await audits.audit(GENUINE, 300)
    assert await audits.last_audits([u["id"] for u in DATASET["users"]]) == {}


async def test_the_audits_migration_matches_the_model(database: Database) -> None:
    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, metadata) if "audits" in repr(d)]

    async with database.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision("0003").down_revision == "0002"
    assert version in {r.revision for r in script.walk_revisions(base="0003", head="heads")}


async def test_audits_from_before_migration_0011_load_with_the_sampling_interval_only(
    database_url: str,
) -> None:
    db = await Database.connect(database_url, migrate=False)
    try:
        await upgrade(db.engine, "0010")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audits (user_id, username, name, followers, requested_sample,"
                    " day, source, observed_at, sample_size, fake_count, fake_share, ci_low,"
                    " ci_high, mean_probability, threshold, top_reasons, requests, posts_read,"
                    " users_read, usd, pages_read) VALUES ('42', 'old_audit', 'Old', 20000,"
                    " 200, :day, 'x-api', :at, 200, 23, 0.115, 0.078, 0.166, 0.2, 0.73, '[]',"
                    " 2, 0, 201, 2.01, 1)"
                ),
                {"day": T_OLD.date(), "at": T_OLD},
            )
        await upgrade(db.engine)
        (old,) = (await SqlAuditStore(db).last_audits(["42"])).values()
    finally:
        await db.aclose()
    assert (old.fake_count, old.ci_low, old.ci_high) == (23, 0.078, 0.166)
    assert (old.share_low, old.share_high, old.people_flagged, old.fakes_caught) == (None,) * 4
    assert old.summary.share_low is None  # the watchlist falls back to the sampling interval


# --- the command line, as a real process -------------------------------------------------


async def cli(
    *args: str, server: FakeXServer | None = None, db: Path | None = None, **env: str
) -> tuple[int, str, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("X_", "SLACK_", "DISCORD_"))
    }
    environ.pop("DATABASE_URL", None)
    if server is not None:
        environ.update(
            X_BEARER_TOKEN=X_TEST_TOKEN,
            X_API_BASE_URL=server.base_url,
            X_MAX_RETRIES="1",
            X_MAX_RATE_LIMIT_WAIT_SECONDS="0",
        )
    if db is not None:
        environ["DATABASE_URL"] = f"sqlite:///{db}"
    environ.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        # Away from the repository, so a developer's .env is not read.
        cwd=db.parent if db is not None else tempfile.gettempdir(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    code = await proc.wait()  # it has exited: this is its status, as an int
    return code, out.decode(), err.decode()


FAKE_USER = {
    "id": "101",
    "username": "anna84726152",
    "name": "Anna",
    "created_at": "2026-10-01T00:00:00.000Z",
    "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
    "public_metrics": {"followers_count": 4, "following_count": 2300, "tweet_count": 0},
}
REAL_USER = {
    "id": "102",
    "username": "jane_lifts",
    "name": "Jane",
    "created_at": "2017-03-01T00:00:00.000Z",
    "description": "Physio and runner.",
    "url": "https://example.org",
    "public_metrics": {
        "followers_count": 900,
        "following_count": 350,
        "post_count": 5400,
        "listed_count": 12,
        "like_count": 3100,
    },
}


def _lines(tmp_path: Path) -> Path:
    path = tmp_path / "users.jsonl"
    lines = [
        json.dumps(FAKE_USER),
        "{not json",
        "",
        json.dumps({"user": REAL_USER, "observed_at": "2026-11-22T00:00:00Z"}),
        json.dumps(["a", "list"]),
        json.dumps({"user": {"id": "103"}}),
        json.dumps({"user": REAL_USER, "observed_at": "last tuesday"}),
        json.dumps({"user": {**FAKE_USER, "id": "104"}, "observed_at": "2026-10-02T00:00:00Z"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_audit_users_scores_good_lines_and_names_bad_ones(tmp_path: Path) -> None:
    path = _lines(tmp_path)
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps(REAL_USER) + "\n", encoding="utf-8")
    (
        (code, out, err),
        (jcode, jout, jerr),
        (ccode, cout, cerr),
        (mcode, mout, merr),
    ) = await asyncio.gather(
        cli("audit-users", str(path), db=tmp_path / "unused.db"),
        cli("audit-users", str(path), "--json"),
        cli("audit-users", str(clean), "--json"),
        cli("audit-users", str(tmp_path / "nope.jsonl")),
    )
    # one JSON object per good line, in order; bad lines named on stderr
    assert code == 2
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == ["101", "102", "104"]
    for r in records:
        # the promised keys, and the decision added (issue 14): "likely fake" from 50 %
        assert set(r) == {"id", "fake_probability", "reasons", "likely_fake"}
        assert 0.0 <= r["fake_probability"] <= 1.0
        assert r["likely_fake"] is (r["fake_probability"] >= 0.5)
        assert r["reasons"]
    assert records[0]["fake_probability"] > 0.9
    assert "follows 2,300 accounts but has 4 followers" in records[0]["reasons"]
    assert records[1]["fake_probability"] < 0.1
    # observed_at matters: one day after creation it is "1 day old"
    assert "account is 1 day old" in records[2]["reasons"]
    for number in (2, 5, 6, 7):
        assert f"line {number}:" in err
    assert "line 3" not in err  # blank lines are not errors
    assert "last tuesday" in err
    assert '"id" and "username"' in err
    assert "Traceback" not in err
    # offline: no database was created, no X source built
    assert not (tmp_path / "unused.db").exists()
    assert "SAMPLE DATA" not in err

    # --json: the same records as one array
    assert jcode == 2, jerr
    assert json.loads(jout) == records
    assert jerr.count("line ") == err.count("line ")

    # all lines good: exit 0, nothing on stderr
    assert ccode == 0, cerr
    assert [r["id"] for r in json.loads(cout)] == ["102"]
    assert cerr == ""

    # a file that cannot be read
    assert mcode == 2
    assert mout == ""
    assert "cannot read" in merr


async def test_audit_command_end_to_end_with_cost_and_same_day_cache(
    x_server: FakeXServer, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    code, out, err = await cli("audit", f"@{BOUGHT}", "--sample", "300", "--json", "--yes",
                               server=x_server, db=db)  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert payload["handle"] == BOUGHT
    assert payload["sample_size"] == 300
    assert payload["fake_share"] > 0.6
    assert payload["ci_low"] <= payload["fake_share"] <= payload["ci_high"]
    # additions (issue 14): the share with the model's error, and the rates behind it
    errors = FakeClassifier().errors
    # a bought audience: with the fakes the model misses, more than it flagged may be fake
    assert 0 < payload["share_low"] < payload["fake_share"] < payload["ci_high"]
    assert payload["share_high"] > payload["ci_high"]
    assert payload["model_error"] == {
        "people_flagged": list(errors.people_flagged),
        "fakes_caught": list(errors.fakes_caught),
    }
    assert payload["threshold"] == 0.5
    assert payload["top_reasons"][0]["count"] > 0
    assert payload["cost"]["requests"] == len(x_server.requests) == 2
    assert payload["cost"]["users_read"] == 301
    assert payload["cost"]["usd"] == pytest.approx(3.01)
    assert payload["from_cache"] is False
    assert payload["partial"] is None

    code, out, err = await cli("audit", BOUGHT, "--sample", "300", server=x_server, db=db)
    assert code == 0, err
    assert len(x_server.requests) == 2  # nothing new sent
    assert "Likely fake:" in out
    assert "of the 300 most recent followers" in out
    # read back from the database: the interval with the model's error came with it
    low, high = (f"{payload[k] * 100:.1f}%" for k in ("share_low", "share_high"))
    assert f"Allowing for the model's own error: {low}–{high} of them are likely fake." in out
    assert "At that line the model flags about 1 real person in 50 on accounts unlike" in out
    assert "X cost: 0 requests" in out
    assert "served from today's cache" in out


async def test_a_dear_audit_needs_yes(x_server: FakeXServer, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    code, out, err = await cli(
        "audit", GENUINE, "--sample", "500", "--json",
        server=x_server, db=db, AUDIT_CONFIRM_ABOVE_USD="1.50",
    )  # fmt: skip
    assert code == 2
    asked = json.loads(out)
    assert asked["needs_confirmation"] is True
    assert asked["estimated_cost_usd"] == pytest.approx(5.00)
    assert asked["limit_usd"] == 1.50
    assert "--yes" in err
    assert _followers_requests(x_server) == []
    code, out, err = await cli(
        "audit", GENUINE, "--sample", "500", "--json", "--yes",
        server=x_server, db=db, AUDIT_CONFIRM_ABOVE_USD="1.50",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["sample_size"] == 500


async def test_a_dear_sample_audit_needs_yes_as_on_x(tmp_path: Path) -> None:
    """Issue 11: on the bundled sample (no token) a $5 audit asks first, like on X."""
    db = tmp_path / "bot.db"
    code, out, err = await cli("audit", "@jane_lifts", "--sample", "500", db=db)
    assert code == 2
    assert "would cost up to $5.00 on X" in err
    assert "influencer-bot audit jane_lifts --sample 500 --yes" in err
    code, out, err = await cli("audit", "@jane_lifts", "--sample", "500", "--yes", "--json", db=db)
    assert code == 0, err
    done = json.loads(out)
    assert (done["sample_size"], done["source"]) == (500, "sample")
    assert 0.05 <= done["fake_share"] <= 0.2  # a real creator's audience


async def test_a_rate_limited_audit_fails_friendly(x_server: FakeXServer, tmp_path: Path) -> None:
    x_server.fail_next(FOLLOWERS, 429, times=5)
    code, _, err = await cli(
        "audit", GENUINE, "--sample", "100", server=x_server, db=tmp_path / "bot.db"
    )
    assert code == 1
    assert "rate limit" in err
    assert "Traceback" not in err
