"""`bot.slack_entry.run_slack`: the start-up path `influencer-bot run` takes for Slack."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import inspect

from bot.slack_entry import run_slack
from bot.wiring import services
from core.errors import ScoutError
from tests.fakes.slack_fixtures import CHANNEL, SIGNING_SECRET, TEAM, slack_settings
from tests.fakes.slack_server import (
    FakeSlack,
    signed_headers,
    slash_command_body,
    slash_command_payload,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_socket_mode_when_an_app_token_is_set(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = slack_settings(
        fake_slack, tmp_path, slack_app_token=fake_slack.app_token, slack_signing_secret=None
    )
    async with services(settings) as svc:
        started = asyncio.Event()
        task = asyncio.create_task(run_slack(svc, started=started))
        try:
            await asyncio.wait_for(started.wait(), 5)
            await fake_slack.wait_for_socket()
            hook = fake_slack.response_url()
            payload = slash_command_payload(
                "/watchlist", "add @ineslifts", team=TEAM, channel=CHANNEL, response_url=hook
            )
            await fake_slack.socket_send(
                {"envelope_id": "e1", "type": "slash_commands", "payload": payload}
            )
            posts = await fake_slack.wait_for_posts(hook)
        finally:
            await stop(task)
    assert "Now tracking" in posts[-1]["text"]


async def test_http_mode_on_port(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    settings = slack_settings(fake_slack, tmp_path, port=port)
    async with services(settings) as svc:
        started = asyncio.Event()
        task = asyncio.create_task(run_slack(svc, started=started))
        try:
            await asyncio.wait_for(started.wait(), 5)
            hook = fake_slack.response_url()
            body = slash_command_body(
                "/influencer-help", "", team=TEAM, channel=CHANNEL, response_url=hook
            )
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}"
                async with http.get(url + "/healthz") as resp:
                    assert resp.status == 200
                async with http.post(
                    url + "/slack/events", data=body, headers=signed_headers(SIGNING_SECRET, body)
                ) as resp:
                    assert resp.status == 200
            posts = await fake_slack.wait_for_posts(hook)
        finally:
            await stop(task)
    assert "/find-influencers" in str(posts[-1]["blocks"])


async def test_oauth_creates_the_installation_tables(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = slack_settings(
        fake_slack,
        tmp_path,
        port=free_port(),
        slack_bot_token=None,
        slack_client_id=fake_slack.client_id,
        slack_client_secret=fake_slack.client_secret,
    )
    async with services(settings) as svc:
        started = asyncio.Event()
        task = asyncio.create_task(run_slack(svc, started=started))
        try:
            await asyncio.wait_for(started.wait(), 5)
            async with svc.database.engine.connect() as conn:
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        finally:
            await stop(task)
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables


async def test_refuses_to_start_without_a_way_in(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = slack_settings(fake_slack, tmp_path, slack_signing_secret=None)
    async with services(settings) as svc:
        with pytest.raises(ScoutError, match="SLACK_APP_TOKEN"):
            await run_slack(svc)
