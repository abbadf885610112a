"""`SlackSink` against the fake Slack Web API: tokens per workspace, errors per kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.oauth import sql_stores
from adapters.slack.sink import SlackSink, installation_tokens, single_token
from adapters.storage.database import Database
from bot.slack_entry import build_slack_sink
from core.errors import ChannelGone, DeliveryRejected, DeliveryRetryLater
from core.models import AccountNotice, Cost, Digest, Scope, Tier, TierAlert
from core.ports import MessageSink
from tests.fakes.slack_fixtures import BOT_TOKEN, CHANNEL, TEAM, slack_settings
from tests.fakes.slack_server import FakeSlack

SCOPE = Scope("slack", TEAM, CHANNEL)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def alert(scope: Scope = SCOPE) -> TierAlert:
    return TierAlert(
        scope=scope,
        user_id="42",
        username="ineslifts",
        name="Ines <!channel>",
        before_tier=Tier.MICRO,
        after_tier=Tier.MID,
        before_followers=49_200,
        after_followers=51_300,
        observed_at=NOW,
        growth_7d=0.041,
    )


@pytest.fixture
def sink(fake_slack: FakeSlack) -> SlackSink:
    return SlackSink(AsyncWebClient(base_url=fake_slack.api_url), single_token(BOT_TOKEN))


@pytest.fixture
async def sink_database(database_url: str) -> AsyncIterator[Database]:
    """The bot's database, on SQLite and on PostgreSQL."""
    db = await Database.connect(database_url)
    yield db
    await db.aclose()


async def test_sink_is_a_message_sink_for_slack(sink: SlackSink) -> None:
    port: MessageSink = sink
    assert port.platform == "slack"


async def test_tier_alert_is_posted_to_the_channel_with_the_bot_token(
    sink: SlackSink, fake_slack: FakeSlack
) -> None:
    await sink.deliver(SCOPE, alert())

    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == CHANNEL
    text = call.args["blocks"][0]["text"]["text"]
    assert "micro" in text
    assert "mid" in text
    assert "51.3K" in text
    assert "<!channel>" not in text  # X names cannot ping the channel
    assert "ineslifts" in call.args["text"]


async def test_digest_and_account_notice_are_posted(sink: SlackSink, fake_slack: FakeSlack) -> None:
    digest = Digest(SCOPE, "fitness", (), "x-api", Cost(1, 100, 40, 0.9), preview=False)
    await sink.deliver(SCOPE, digest)
    await sink.deliver(SCOPE, AccountNotice(SCOPE, "42", "gone_user", "suspended"))

    first, second = fake_slack.calls_to("chat.postMessage")
    assert "Weekly digest" in first.args["text"]
    assert "suspended" in second.args["text"]


async def test_rate_limit_becomes_retry_later_with_slacks_retry_after(
    sink: SlackSink, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=7)
    with pytest.raises(DeliveryRetryLater) as caught:
        await sink.deliver(SCOPE, alert())
    assert caught.value.retry_after == 7


@pytest.mark.parametrize(
    "error",
    ["channel_not_found", "not_in_channel", "is_archived", "account_inactive", "token_revoked"],
)
async def test_a_channel_that_is_gone(sink: SlackSink, fake_slack: FakeSlack, error: str) -> None:
    fake_slack.fail_next("chat.postMessage", error)
    with pytest.raises(ChannelGone):
        await sink.deliver(SCOPE, alert())


async def test_other_refusals_are_rejections(sink: SlackSink, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", "invalid_blocks")
    with pytest.raises(DeliveryRejected) as caught:
        await sink.deliver(SCOPE, alert())
    assert BOT_TOKEN not in str(caught.value)


async def test_server_errors_are_retried_later(sink: SlackSink, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", "internal_error", status=500)
    with pytest.raises(DeliveryRetryLater):
        await sink.deliver(SCOPE, alert())


async def test_each_workspace_gets_its_own_installed_token(
    fake_slack: FakeSlack, sink_database: Database
) -> None:
    fake_slack.add_team("T2", "xoxb-T2-token")
    installs, _ = await sql_stores(sink_database.engine, fake_slack.client_id)
    for team, token in ((TEAM, BOT_TOKEN), ("T2", "xoxb-T2-token")):
        await installs.async_save(
            Installation(
                app_id="A1",
                team_id=team,
                user_id="U0",
                bot_token=token,
                bot_id=f"B{team}",
                bot_user_id=f"UB{team}",
                bot_scopes="chat:write",
                installed_at=NOW.timestamp(),
            )
        )
    sink = SlackSink(AsyncWebClient(base_url=fake_slack.api_url), installation_tokens(installs))

    await sink.deliver(Scope("slack", "T2", "C9"), alert(Scope("slack", "T2", "C9")))
    await sink.deliver(SCOPE, alert())
    with pytest.raises(ChannelGone):
        await sink.deliver(Scope("slack", "T404", "C1"), alert(Scope("slack", "T404", "C1")))

    tokens = [(c.token, c.args["channel"]) for c in fake_slack.calls_to("chat.postMessage")]
    assert tokens == [("xoxb-T2-token", "C9"), (BOT_TOKEN, CHANNEL)]


async def test_build_slack_sink_from_settings(
    fake_slack: FakeSlack, sink_database: Database, tmp_path: Path
) -> None:
    sink = await build_slack_sink(slack_settings(fake_slack, tmp_path), sink_database)
    assert sink is not None
    await sink.deliver(SCOPE, alert())
    assert fake_slack.calls_to("chat.postMessage")[0].token == BOT_TOKEN

    unconfigured = slack_settings(fake_slack, tmp_path, slack_bot_token=None)
    assert await build_slack_sink(unconfigured, sink_database) is None
