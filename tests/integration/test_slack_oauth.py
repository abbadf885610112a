"""HTTP mode with the OAuth install flow: many workspaces, installations in the database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.render import SHARE_ACTION
from core.models import Scope
from tests.fakes.slack_fixtures import CHANNEL, SlackBot, running_slack_bot
from tests.fakes.slack_server import FakeSlack

# slack_sdk exchanges the OAuth code with aiohttp's BasicAuth, which aiohttp 3.14 deprecates;
# nothing of ours to fix (and aiohttp < 4 is pinned), so only that warning is let through.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

NEW_TEAM = "T9"
NEW_TOKEN = "xoxb-T9-installed-through-oauth"


@pytest.fixture
async def oauth_bot(
    fake_slack: FakeSlack, tmp_path: Path, database_url: str
) -> AsyncIterator[SlackBot]:
    """The bot in OAuth mode, on SQLite and on PostgreSQL (installations in its database)."""
    async with running_slack_bot(
        fake_slack,
        tmp_path,
        database_url=database_url,
        slack_bot_token=None,
        slack_client_id=fake_slack.client_id,
        slack_client_secret=fake_slack.client_secret,
    ) as bot:
        yield bot


async def start_install(bot: SlackBot) -> tuple[str, str]:
    """Open /slack/install like a browser; return (state, the state cookie)."""
    async with bot.http.get(bot.url + "/slack/install", allow_redirects=False) as resp:
        page = await resp.text()
        assert resp.status == 200
        cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    match = re.search(r"state=([^&\"']+)", page)
    assert match, page
    assert f"client_id={bot.slack.client_id}" in page
    assert bot.slack.base_url + "oauth/v2/authorize" in page  # the configured Slack host
    return match.group(1), cookie


async def finish_install(bot: SlackBot, code: str, state: str, cookie: str) -> int:
    url = f"{bot.url}/slack/oauth_redirect?code={code}&state={state}"
    async with bot.http.get(url, headers={"Cookie": cookie}) as resp:
        return resp.status


async def test_install_then_use_from_the_new_workspace(
    oauth_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    fake_slack.add_install("code-1", NEW_TEAM, NEW_TOKEN)
    state, cookie = await start_install(oauth_bot)

    assert await finish_install(oauth_bot, "code-1", state, cookie) == 200
    exchanged = fake_slack.calls_to("oauth.v2.access")
    assert len(exchanged) == 1

    # The new workspace can use the bot, and the bot answers it with that workspace's token.
    answer = await oauth_bot.answer(
        await oauth_bot.command("/find-influencers", "fitness", team=NEW_TEAM)
    )
    share = next(e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert share["action_id"] == SHARE_ACTION
    await oauth_bot.click(SHARE_ACTION, share["value"], team=NEW_TEAM)
    posts = await fake_slack.wait_for_calls("chat.postMessage")
    await oauth_bot.settle()
    assert posts[0].token == NEW_TOKEN


async def test_a_workspace_that_did_not_install_gets_told_and_nothing_runs(
    oauth_bot: SlackBot,
) -> None:
    sent = await oauth_bot.command("/watchlist", "add @ineslifts", team="T404")
    told = await oauth_bot.answer(sent)
    assert "not installed in this workspace" in told["text"]
    assert await oauth_bot.svc.storage.watchlist(Scope("slack", "T404", CHANNEL)) == []


async def test_a_forged_oauth_state_installs_nothing(
    oauth_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    fake_slack.add_install("code-2", NEW_TEAM, NEW_TOKEN)
    _, cookie = await start_install(oauth_bot)

    status = await finish_install(oauth_bot, "code-2", "forged-state", cookie)

    assert status == 400  # the state in the link is not the one in this browser's cookie
    assert fake_slack.calls_to("oauth.v2.access") == []
    sent = await oauth_bot.command("/watchlist", "list", team=NEW_TEAM)
    assert "not installed" in (await oauth_bot.answer(sent))["text"]
