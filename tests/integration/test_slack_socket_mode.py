"""Socket Mode against a local websocket: no public URL, no signing secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from adapters.slack.app import BackgroundWork, build_slack_app
from adapters.slack.server import socket_mode
from bot.wiring import services
from core.models import Scope
from tests.fakes.slack_fixtures import CHANNEL, TEAM, slack_settings
from tests.fakes.slack_server import (
    FakeSlack,
    block_action_payload,
    slash_command_payload,
)


@asynccontextmanager
async def socket_bot(slack: FakeSlack, tmp_path: Path) -> AsyncIterator[BackgroundWork]:
    settings = slack_settings(
        slack, tmp_path, slack_app_token=slack.app_token, slack_signing_secret=None
    )
    work = BackgroundWork()
    async with services(settings) as svc:
        app = build_slack_app(svc.scout, settings, work=work, socket_mode=True)
        async with socket_mode(app, slack.app_token):
            await slack.wait_for_socket()
            yield work
        await work.drain(grace=10)


async def test_slash_command_over_the_socket_is_acked_and_answered(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with socket_bot(fake_slack, tmp_path) as work:
        hook = fake_slack.response_url()
        await fake_slack.socket_send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": slash_command_payload(
                    "/find-influencers", "fitness", team=TEAM, channel=CHANNEL, response_url=hook
                ),
            }
        )
        ack = await fake_slack.wait_for_socket_message("env-1")
        posts = await fake_slack.wait_for_posts(hook)
        await work.drain(grace=10)

    assert ack == {"envelope_id": "env-1"}
    assert "Influencers for “fitness”" in posts[-1]["blocks"][0]["text"]["text"]
    opened = fake_slack.calls_to("apps.connections.open")
    assert opened
    assert opened[0].token == fake_slack.app_token


async def test_bad_input_is_answered_in_the_socket_ack(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with socket_bot(fake_slack, tmp_path):
        hook = fake_slack.response_url()
        await fake_slack.socket_send(
            {
                "envelope_id": "env-2",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": slash_command_payload(
                    "/find-influencers",
                    "fitness tier:huge",
                    team=TEAM,
                    channel=CHANNEL,
                    response_url=hook,
                ),
            }
        )
        ack = await fake_slack.wait_for_socket_message("env-2")

    assert ack["envelope_id"] == "env-2"
    assert "Unknown tier 'huge'" in ack["payload"]["text"]
    assert fake_slack.posted_to(hook) == []


async def test_track_button_over_the_socket(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = slack_settings(
        fake_slack, tmp_path, slack_app_token=fake_slack.app_token, slack_signing_secret=None
    )
    work = BackgroundWork()
    async with services(settings) as svc:
        app = build_slack_app(svc.scout, settings, work=work, socket_mode=True)
        async with socket_mode(app, fake_slack.app_token):
            await fake_slack.wait_for_socket()
            hook = fake_slack.response_url()
            await fake_slack.socket_send(
                {
                    "envelope_id": "env-3",
                    "type": "interactive",
                    "accepts_response_payload": False,
                    "payload": block_action_payload(
                        "track:ineslifts",
                        "ineslifts",
                        team=TEAM,
                        channel=CHANNEL,
                        response_url=hook,
                    ),
                }
            )
            await fake_slack.wait_for_socket_message("env-3")
            posts = await fake_slack.wait_for_posts(hook)
            await work.drain(grace=10)
        tracked = await svc.storage.watchlist(Scope("slack", TEAM, CHANNEL))

    assert "Now tracking" in posts[-1]["text"]
    assert [e.username for e in tracked] == ["ineslifts"]
