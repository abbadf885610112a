"""`influencer-bot doctor` against the local X, Slack and Discord servers and real databases.

Each test runs the real command line (`bot.cli.main`) in a worker thread, so the fake
servers keep serving on the test's event loop while the command runs its own.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.storage.migrate import migrate, upgrade
from adapters.storage.urls import to_async_url
from bot.cli import main
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import DEFAULT_SCOPES, FakeSlack
from tests.fakes.x_server import FakeXServer

X_TOKEN = "x-bearer-SECRET-4f1c9a"
SLACK_BOT = "xoxb-T1-SECRET-bot-7a2b"
SLACK_APP = "xapp-1-A1-SECRET-app-9c3d"
SLACK_SIGNING = "signing-SECRET-5e6f"
SLACK_CLIENT_SECRET = "client-SECRET-8a9b"
DISCORD_TOKEN = "discord-SECRET-token-1d2e"
DB_PASSWORD = "db-SECRET-pw-3c4d"
SECRETS = (X_TOKEN, SLACK_BOT, SLACK_APP, SLACK_SIGNING, SLACK_CLIENT_SECRET, DISCORD_TOKEN)

# The newest migration's revision (they are numbered 0001, 0002, ...).
LATEST = max(
    path.name[:4]
    for path in (Path(__file__).parents[2] / "adapters/storage/migrations/versions").glob("0*.py")
)


@dataclass
class Report:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def line(self, name: str) -> str:
        """The one line about `name` ("X", "Slack", ...)."""
        (found,) = [line for line in self.lines if line[5:].startswith(f"{name}:")]
        return found


Doctor = Callable[..., Awaitable[Report]]


@dataclass
class Fakes:
    x: FakeXServer
    slack: FakeSlack
    discord: FakeDiscord


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    discord = FakeDiscord(token=DISCORD_TOKEN)
    await discord.start()
    try:
        async with FakeXServer(bearer=X_TOKEN) as x, FakeSlack(app_token=SLACK_APP) as slack:
            slack.add_team("T1", SLACK_BOT, "Acme Marketing")
            yield Fakes(x, slack, discord)
    finally:
        await discord.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def doctor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Doctor:
    """Run `influencer-bot doctor ARGS` with the settings given as keyword arguments."""
    monkeypatch.chdir(tmp_path)
    # `main` configures logging for a process; here it would leak into later tests.
    monkeypatch.setattr("bot.cli.entry.setup_logging", lambda _level: None)

    async def run(*argv: str, **env: str) -> Report:
        for name, value in env.items():
            monkeypatch.setenv(name.upper(), value)
        capsys.readouterr()
        code = await asyncio.to_thread(main, ["doctor", *argv])
        captured = capsys.readouterr()
        return Report(code, captured.out, captured.err)

    return run


def configured(fakes: Fakes, db_url: str) -> dict[str, str]:
    """Every piece configured, and configured right."""
    return {
        "database_url": db_url,
        "x_bearer_token": X_TOKEN,
        "x_api_base_url": fakes.x.base_url,
        "slack_bot_token": SLACK_BOT,
        "slack_app_token": SLACK_APP,
        "slack_api_base_url": fakes.slack.api_url,
        "discord_bot_token": DISCORD_TOKEN,
        "discord_api_base_url": fakes.discord.api_base,
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_everything_configured_and_fine(doctor: Doctor, fakes: Fakes, db_url: str) -> None:
    await migrate(db_url)
    fakes.x.set_rate_limit("usage", remaining=31, reset_in=600)

    report = await doctor(**configured(fakes, db_url))

    assert report.code == 0, report.out
    assert all(line.startswith("ok   ") for line in report.lines), report.out
    database = report.line("Database")
    assert db_url in database
    assert f"migrated to {LATEST} (the latest)" in database
    x = report.line("X")
    assert "token valid" in x
    assert "rate limit 30 of 50 requests left, resets in 10 min" in x
    assert "0 of 2,000,000 posts read this billing month" in x
    slack = report.line("Slack")
    assert "team 'Acme Marketing' (T1)" in slack
    assert "bot user @influencer-scout (UBOTT1)" in slack
    assert "scopes commands, chat:write, chat:write.public" in slack
    assert "SLACK_APP_TOKEN accepted" in report.line("Slack Socket Mode")
    discord = report.line("Discord")
    assert f"application {fakes.discord.application_id}" in discord
    assert "no privileged intents (none needed)" in discord
    assert "public bot" in discord
    assert "in 2 servers" in discord
    assert report.err == ""
    # One free request to X: the usage endpoint returns no posts or users, so no bill.
    assert [r.path for r in fakes.x.requests] == ["/2/usage/tweets"]
    assert fakes.x.billing().usd == 0
    assert sorted(c.method for c in fakes.slack.calls) == ["apps.connections.open", "auth.test"]


async def test_no_tokens_means_the_sample_and_nothing_to_fix(
    doctor: Doctor, tmp_path: Path, db_url: str
) -> None:
    report = await doctor(database_url=db_url)

    assert report.code == 0
    assert report.lines[1] == (
        "--   X: not configured — using the bundled sample (set X_BEARER_TOKEN)"
    )
    assert report.line("Slack").startswith("--   Slack: not configured")
    assert report.line("Discord").startswith("--   Discord: not configured")
    database = report.line("Database")
    assert database.startswith("--   Database: none yet at")
    assert str(tmp_path / "bot.db") in database
    # Doctor only looks: it creates no database.
    assert not (tmp_path / "bot.db").exists()


async def test_a_wrong_x_token_says_the_token_is_wrong(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    await migrate(db_url)
    report = await doctor(**{**configured(fakes, db_url), "x_bearer_token": "not-the-token"})

    assert report.code == 1
    x = report.line("X")
    assert x.startswith("FIX  X: X rejected the token (401 Unauthorized)")
    assert "X_BEARER_TOKEN" in x
    assert report.line("Slack").startswith("ok")


async def test_a_slack_token_missing_a_scope_names_it(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    narrow = tuple(s for s in DEFAULT_SCOPES if s != "chat:write.public")
    fakes.slack.add_team("T2", "xoxb-T2-narrow", "Narrow", scopes=narrow)
    report = await doctor(
        **{
            **configured(fakes, db_url),
            "slack_bot_token": "xoxb-T2-narrow",
            "slack_app_token": "",
            "slack_signing_secret": SLACK_SIGNING,
        }
    )

    assert report.code == 1
    slack = report.line("Slack")
    assert slack.startswith("FIX  Slack: token valid")
    assert "lacks the scope chat:write.public:" in slack
    assert "commands," not in slack.split("lacks")[1]
    assert "manifest.yml" in slack
    assert report.line("Slack HTTP mode").startswith("ok")


async def test_a_slack_token_without_the_history_scopes_passes_with_a_warning(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    """History scopes only close the crash double-send window: an install without them works."""
    narrow = tuple(s for s in DEFAULT_SCOPES if s not in ("channels:history", "groups:history"))
    fakes.slack.add_team("T3", "xoxb-T3-nohistory", "Old install", scopes=narrow)
    report = await doctor(
        **{
            **configured(fakes, db_url),
            "slack_bot_token": "xoxb-T3-nohistory",
            "slack_app_token": "",
            "slack_signing_secret": SLACK_SIGNING,
        }
    )

    slack = report.line("Slack")
    assert slack.startswith("ok   Slack: token valid"), slack
    assert "without channels:history, groups:history" in slack
    assert "posted twice" in slack
    assert report.code == 0


async def test_slack_without_a_way_to_receive_commands_or_with_a_wrong_token(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    report = await doctor(
        **{**configured(fakes, db_url), "slack_bot_token": "xoxb-wrong", "slack_app_token": ""}
    )

    assert report.code == 1
    assert report.line("Slack").startswith(
        "FIX  Slack: Slack rejected SLACK_BOT_TOKEN (invalid_auth)"
    )
    assert "neither SLACK_APP_TOKEN" in report.line("Slack commands")


async def test_slack_oauth_mode_is_named(doctor: Doctor, fakes: Fakes, db_url: str) -> None:
    await migrate(db_url)
    env = {**configured(fakes, db_url), "slack_bot_token": "", "slack_app_token": ""}
    report = await doctor(
        **env,
        slack_client_id="1111.2222",
        slack_client_secret=SLACK_CLIENT_SECRET,
        slack_signing_secret=SLACK_SIGNING,
    )

    assert report.code == 0, report.out
    assert "OAuth mode (many workspaces), client id 1111.2222" in report.line("Slack OAuth")
    assert report.line("Slack HTTP mode").startswith("ok")


async def test_a_wrong_discord_token_says_the_token_is_wrong(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    report = await doctor(**{**configured(fakes, db_url), "discord_bot_token": "nope"})

    assert report.code == 1
    assert report.line("Discord").startswith(
        "FIX  Discord: Discord rejected DISCORD_BOT_TOKEN (401)"
    )


async def test_discord_application_settings_are_reported(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    await migrate(db_url)
    fakes.discord.application_flags = 1 << 18  # Message Content, which the bot never asks for
    fakes.discord.bot_public = False
    fakes.discord.guilds = {}

    report = await doctor(**configured(fakes, db_url))

    assert report.code == 0, report.out
    discord = report.line("Discord")
    assert "privileged intents on: Message Content (not needed)" in discord
    assert "private bot" in discord
    invite = report.line("Discord invite")
    assert invite.startswith("--   Discord invite: in no server yet")
    assert f"client_id={fakes.discord.application_id}&" in invite


async def test_a_database_behind_on_migrations_says_what_to_run(
    doctor: Doctor, db_url: str
) -> None:
    engine = create_async_engine(to_async_url(db_url))
    try:
        await upgrade(engine, "0003")
    finally:
        await engine.dispose()

    report = await doctor(database_url=db_url)

    assert report.code == 1
    database = report.line("Database")
    assert database.startswith("FIX  Database:")
    behind = int(LATEST) - 3
    assert f"is at revision 0003, latest is {LATEST} ({behind} migrations to apply)" in database
    assert "influencer-bot run" in database


async def test_a_database_from_a_newer_bot_says_so(
    doctor: Doctor, tmp_path: Path, db_url: str
) -> None:
    await migrate(db_url)
    with sqlite3.connect(tmp_path / "bot.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")

    report = await doctor(database_url=db_url)

    assert report.code == 1
    assert "at revision 0099, which this influencer-bot does not know" in report.line("Database")


async def test_an_unreachable_database_is_one_line_without_its_password(doctor: Doctor) -> None:
    url = f"postgresql://scout:{DB_PASSWORD}@127.0.0.1:{closed_port()}/scout"

    report = await doctor(database_url=url)

    assert report.code == 1
    database = report.line("Database")
    assert database.startswith("FIX  Database: cannot open postgresql://scout:***@127.0.0.1:")
    assert DB_PASSWORD not in report.out + report.err


async def test_a_bad_database_url_is_a_bad_setting(doctor: Doctor) -> None:
    report = await doctor(database_url="mysql://somewhere/db")

    assert report.code == 2
    assert report.line("Database").startswith("FIX  Database: DATABASE_URL scheme 'mysql'")


async def test_a_check_that_hangs_times_out_while_the_others_finish(
    doctor: Doctor, fakes: Fakes, db_url: str
) -> None:
    await migrate(db_url)
    fakes.x.set_latency(3.0)

    started = time.monotonic()
    report = await doctor("--timeout", "0.5", **configured(fakes, db_url))

    assert time.monotonic() - started < 2.5
    assert report.code == 1
    assert report.line("X") == f"FIX  X: no answer from {fakes.x.base_url} within 0.5 s"
    assert report.line("Slack").startswith("ok")
    assert report.line("Discord").startswith("ok")


async def test_no_secret_is_ever_printed(doctor: Doctor, fakes: Fakes, tmp_path: Path) -> None:
    everything = {
        **configured(fakes, f"sqlite:///{tmp_path / 'bot.db'}"),
        "slack_signing_secret": SLACK_SIGNING,
        "slack_client_id": "1111.2222",
        "slack_client_secret": SLACK_CLIENT_SECRET,
    }
    fine = await doctor("--json", **everything)
    # The same secrets, each refused: error paths print no more than success does.
    fakes.x.bearer = "another"
    fakes.slack.teams.clear()
    fakes.slack.app_token = "xapp-another"
    fakes.discord.token = "another"
    refused = await doctor(**everything)
    # Even a server that echoes a token back has it scrubbed from what is printed.
    fakes.x.fail_next("/2/usage", 403, body={"detail": f"token {X_TOKEN} is not enrolled"})
    echoed = await doctor(**everything)
    unreachable = await doctor(
        database_url=f"postgresql://u:{DB_PASSWORD}@127.0.0.1:{closed_port()}/db"
    )

    checks = json.loads(fine.out)["checks"]
    assert {c["status"] for c in checks} <= {"ok", "not configured"}, checks
    assert refused.out.count("FIX") >= 4, refused.out
    assert echoed.line("X") == "FIX  X: X answered 403: token *** is not enrolled"
    for report in (fine, refused, echoed, unreachable):
        printed = report.out + report.err
        for secret in (*SECRETS, DB_PASSWORD):
            assert secret not in printed


async def test_json_has_one_entry_per_line(doctor: Doctor, fakes: Fakes, db_url: str) -> None:
    text = await doctor(**configured(fakes, db_url))
    as_json = await doctor("--json", **configured(fakes, db_url))

    payload: dict[str, Any] = json.loads(as_json.out)
    assert payload["ok"] is True  # the database does not exist yet: nothing to fix
    assert as_json.code == text.code == 0
    assert payload["checks"][0]["status"] == "not configured"
    assert [c["name"] for c in payload["checks"]] == [line[5:].split(":")[0] for line in text.lines]
    assert set(payload["checks"][0]) == {"name", "status", "detail"}
