"""Fixtures for the Slack tests: the fake Slack, and the bot's real HTTP endpoint.

`slack_bot` runs the whole stack (real `Scout` on SQLite with the bundled sample data,
the Bolt app behind aiohttp on 127.0.0.1) and talks to it the way Slack does: signed
form posts, `response_url`s served by the fake Slack.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp

from adapters.slack.app import EVENTS_PATH, BackgroundWork, build_slack_app, uses_oauth
from adapters.slack.home_publisher import SlackHome
from adapters.slack.oauth import sql_stores
from adapters.slack.response_urls import ResponseUrls
from adapters.slack.server import serve_http
from bot.settings import Settings
from bot.slack_entry import slack_home
from bot.wiring import Services, services
from core.ports import XSource
from tests.fakes.slack_server import (
    FakeSlack,
    block_action_body,
    signed_headers,
    slash_command_body,
)

__all__ = [
    "BOT_TOKEN",
    "CHANNEL",
    "SIGNING_SECRET",
    "TEAM",
    "Sent",
    "SlackBot",
    "fake_slack",
    "running_slack_bot",
    "slack_bot",
    "slack_settings",
]

SIGNING_SECRET = "slack-signing-secret-for-tests-7d1e"
BOT_TOKEN = "xoxb-T1-bot-token-for-tests-SECRET"
TEAM = "T1"
CHANNEL = "C1"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack with workspace `TEAM` using `BOT_TOKEN`."""
    async with FakeSlack() as slack:
        slack.add_team(TEAM, BOT_TOKEN)
        yield slack


def slack_settings(slack: FakeSlack, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a bot on the sample data, pointed at the fake Slack (no `.env`)."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'slack.db'}",
        "x_source": "sample",
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "slack_api_base_url": slack.api_url,
        "port": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass(frozen=True)
class Sent:
    """What the bot's endpoint answered to one request, and how fast."""

    status: int
    body: str
    elapsed: float
    response_url: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


@dataclass
class SlackBot:
    """The bot under test, reached through its real HTTP endpoint."""

    url: str
    slack: FakeSlack
    http: aiohttp.ClientSession
    svc: Services
    app: AsyncApp
    work: BackgroundWork
    secret: str = SIGNING_SECRET
    home: SlackHome | None = None
    responses: ResponseUrls | None = None

    async def post(self, body: str, headers: dict[str, str], response_url: str = "") -> Sent:
        started = time.perf_counter()
        async with self.http.post(self.url + EVENTS_PATH, data=body, headers=headers) as resp:
            text = await resp.text()
            return Sent(resp.status, text, time.perf_counter() - started, response_url)

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        team: str = TEAM,
        channel: str = CHANNEL,
        user: str = "U1",
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> Sent:
        """A signed slash command (sign with a wrong `secret` or old `timestamp` to forge)."""
        hook = self.slack.response_url()
        body = slash_command_body(
            command, text, team=team, channel=channel, user=user, response_url=hook
        )
        headers = signed_headers(secret or self.secret, body, timestamp)
        return await self.post(body, headers, hook)

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        team: str = TEAM,
        channel: str = CHANNEL,
        user: str = "U1",
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> Sent:
        """A signed button click."""
        hook = self.slack.response_url()
        body = block_action_body(
            action_id, value, team=team, channel=channel, user=user, response_url=hook
        )
        headers = signed_headers(secret or self.secret, body, timestamp)
        return await self.post(body, headers, hook)

    async def answers(self, sent: Sent, count: int = 1) -> list[dict[str, Any]]:
        """What the bot posted to the request's `response_url` once its work is done."""
        await self.slack.wait_for_posts(sent.response_url, count)
        await self.work.drain(grace=10)
        return self.slack.posted_to(sent.response_url)

    async def answer(self, sent: Sent) -> dict[str, Any]:
        """The final message posted to the `response_url`."""
        return (await self.answers(sent))[-1]

    async def settle(self) -> None:
        await self.work.drain(grace=10)


@asynccontextmanager
async def running_slack_bot(
    slack: FakeSlack,
    tmp_path: Path,
    *,
    x: XSource | None = None,
    progress_after: float = 1.0,
    **overrides: Any,
) -> AsyncIterator[SlackBot]:
    """The whole bot (Scout, SQLite, Bolt, aiohttp endpoint) on a free local port."""
    settings = slack_settings(slack, tmp_path, **overrides)
    work = BackgroundWork()
    async with services(settings, x=x) as svc:
        stores: dict[str, Any] = {}
        if uses_oauth(settings):
            assert settings.slack_client_id is not None
            installs, states = await sql_stores(svc.database.engine, settings.slack_client_id)
            stores = {"installation_store": installs, "state_store": states}
        # Home tabs republish at most every 50 ms here (seconds in production).
        installs_or_none = stores.get("installation_store")
        home = slack_home(svc, work, installation_store=installs_or_none, every=0.05)
        responses = ResponseUrls()
        app = build_slack_app(
            svc.scout,
            settings,
            work=work,
            progress_after=progress_after,
            home=home,
            responses=responses,
            **stores,
        )
        try:
            async with (
                serve_http(app, "127.0.0.1", 0) as url,
                aiohttp.ClientSession() as http,
            ):
                yield SlackBot(url, slack, http, svc, app, work, home=home, responses=responses)
        finally:
            await work.drain(grace=10)
            await responses.aclose()


@pytest.fixture
async def slack_bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackBot]:
    async with running_slack_bot(fake_slack, tmp_path) as bot:
        yield bot
