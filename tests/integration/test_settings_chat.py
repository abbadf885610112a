"""`/influencer-settings` from Slack through the real Bolt app and the local Slack server.

Slack's `users.info` says who is a workspace admin: a member who is not is refused in
words and nothing is stored; an admin's change is stored, logged under their name, and
shown; another workspace's settings do not move.
"""

from __future__ import annotations

from tests.fakes.slack_fixtures import BOT_TOKEN, TEAM, SlackBot
from tests.fakes.slack_server import FakeSlack


async def test_a_member_is_refused_and_an_admin_changes_this_workspace_only(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(BOT_TOKEN, "U0MEMBER", real_name="Mo Member")
    fake_slack.add_user(BOT_TOKEN, "U0ADMIN", real_name="Ada Admin", is_admin=True)
    storage = slack_bot.svc.storage

    refused = await slack_bot.answer(
        await slack_bot.command("/influencer-settings", "set margin:0.05", user="U0MEMBER")
    )
    assert "only workspace admins" in refused["text"].lower()
    assert "nothing was changed" in refused["text"].lower()
    assert await storage.workspace_settings("slack", TEAM) is None
    assert fake_slack.calls_to("users.info"), "admin rights come from Slack"

    done = await slack_bot.answer(
        await slack_bot.command(
            "/influencer-settings", "set margin:0.05 min_relevance:0.5", user="U0ADMIN"
        )
    )
    assert "only workspace admins" not in done["text"].lower()
    saved = await storage.workspace_settings("slack", TEAM)
    assert saved is not None
    assert saved.margin == 0.05
    assert saved.min_relevance == 0.5
    log = await storage.settings_log("slack", TEAM)
    assert {entry.by_user_id for entry in log} == {"U0ADMIN"}
    assert len(log) == 2  # one entry per setting changed
    assert await storage.workspace_settings("slack", "T0OTHER") is None

    # Anyone may look; showing asks Slack nothing about admins.
    before = len(fake_slack.calls_to("users.info"))
    shown = await slack_bot.answer(
        await slack_bot.command("/influencer-settings", "show", user="U0MEMBER")
    )
    assert "0.05" in str(shown["blocks"])
    assert len(fake_slack.calls_to("users.info")) == before
