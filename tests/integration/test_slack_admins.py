"""Who may change workspace settings: `users.info` on the local Slack server, real slack_sdk."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.admins import admin_caller, caller_of, needs_admin
from core.commands import SettingsAction, SettingsCommand, parse_command
from core.models import Caller
from tests.fakes.slack_fixtures import BOT_TOKEN
from tests.fakes.slack_server import FakeSlack, block_action_payload, slash_command_payload


@pytest.mark.parametrize(
    ("flags", "admin"),
    [
        ({}, False),
        ({"is_admin": True}, True),
        ({"is_owner": True}, True),
        ({"is_primary_owner": True}, True),
    ],
)
async def test_workspace_admins_and_owners_are_admins(
    fake_slack: FakeSlack, flags: dict[str, bool], admin: bool
) -> None:
    fake_slack.add_user(
        BOT_TOKEN,
        "U7",
        real_name="Ada Admin",
        is_admin=flags.get("is_admin", False),
        is_owner=flags.get("is_owner", False),
        is_primary_owner=flags.get("is_primary_owner", False),
    )
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)

    caller, why = await admin_caller(client, Caller("U7", "ada"))

    assert caller == Caller("U7", "Ada Admin", admin)
    assert why == ""
    assert fake_slack.calls_to("users.info")[0].args["user"] == "U7"


async def test_a_failed_lookup_means_not_admin_and_says_why(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(BOT_TOKEN, "U7", is_admin=True)
    fake_slack.fail_next("users.info", "missing_scope")
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)

    caller, why = await admin_caller(client, Caller("U7", "ada"))

    assert not caller.is_admin
    assert "missing_scope" in why
    unknown, why = await admin_caller(client, Caller("U404", "who"))
    assert not unknown.is_admin
    assert "user_not_found" in why


def test_the_caller_comes_from_the_command_or_the_click() -> None:
    command = slash_command_payload(
        "/watchlist", "", team="T1", channel="C1", user="U5", response_url=""
    )
    click = block_action_payload(
        "track", "jane", team="T1", channel="C1", user="U6", response_url=""
    )

    assert caller_of(command) == Caller("U5", "ann")
    assert caller_of(click) == Caller("U6", "ann")


def test_only_changing_settings_asks_slack_who_is_admin() -> None:
    assert needs_admin(SettingsCommand(SettingsAction.SET, (("margin", "0.05"),)))
    assert needs_admin(SettingsCommand(SettingsAction.RESET))
    assert not needs_admin(SettingsCommand(SettingsAction.SHOW))
    assert not needs_admin(parse_command("/watchlist", "list"))
