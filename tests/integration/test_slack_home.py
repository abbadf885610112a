"""The Slack App Home through real HTTP: `app_home_opened` in, `views.publish` out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from adapters.storage.home_viewers import SqlHomeViewers
from core.models import OutboxMessage, Scope, Tier, TierAlert
from core.wording import SAMPLE_HEAD
from tests.fakes.slack_fixtures import CHANNEL, SIGNING_SECRET, TEAM, SlackBot
from tests.fakes.slack_server import app_home_opened_body, signed_json_headers

OTHER_TEAM = "T2"


async def open_home(bot: SlackBot, *, team: str = TEAM, user: str = "U1") -> int:
    body = app_home_opened_body(team=team, user=user)
    sent = await bot.post(body, signed_json_headers(SIGNING_SECRET, body))
    return sent.status


async def test_opening_the_home_tab_shows_this_workspace_and_not_another(
    slack_bot: SlackBot,
) -> None:
    svc = slack_bot.svc
    for text, team in (("add @jane_lifts", TEAM), ("add @runwithraj", OTHER_TEAM)):
        await slack_bot.answer(await slack_bot.command("/watchlist", text, team=team))
    for niche, team in (("fitness", TEAM), ("running", OTHER_TEAM)):
        sent = await slack_bot.command("/digest", f"subscribe {niche}", team=team)
        await slack_bot.answer(sent)
    now = datetime.now(UTC)
    alerts = [
        OutboxMessage(
            f"test-alert-{team}",
            Scope("slack", team, CHANNEL),
            TierAlert(
                Scope("slack", team, CHANNEL),
                f"u{team}",
                who,
                "",
                Tier.MICRO,
                Tier.MID,
                49_000,
                51_000,
                now,
            ),
        )
        for team, who in ((TEAM, "jane_lifts"), (OTHER_TEAM, "runwithraj"))
    ]
    await svc.work.store.enqueue(alerts, now)

    assert await open_home(slack_bot) == 200
    views = await slack_bot.slack.wait_for_views(TEAM, "U1")
    await slack_bot.settle()
    view = views[-1]
    text = json.dumps(view)

    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert f"<#{CHANNEL}>" in text
    assert "@jane_lifts" in text
    assert "*fitness*" in text
    assert "next <!date^" in text
    assert "jane_lifts micro -&gt; mid" in text
    assert SAMPLE_HEAD in text  # no X token: the tab says it runs on the sample
    assert "would cost" in text
    for theirs in ("runwithraj", "running"):
        assert theirs not in text
    # The visit is remembered, so the tab can be republished when the data changes.
    viewers = SqlHomeViewers(svc.database)
    assert await viewers.recent_viewers(TEAM, since=now - timedelta(minutes=5), limit=5) == ["U1"]
    assert await viewers.recent_viewers(OTHER_TEAM, since=now - timedelta(minutes=5), limit=5) == []


async def test_a_watchlist_change_republishes_the_tabs_of_recent_viewers(
    slack_bot: SlackBot,
) -> None:
    assert await open_home(slack_bot, user="U1") == 200
    assert await open_home(slack_bot, user="U2") == 200
    await slack_bot.slack.wait_for_views(TEAM, "U2")
    await slack_bot.settle()
    before = {u: len(slack_bot.slack.published(TEAM, u)) for u in ("U1", "U2")}

    await slack_bot.answer(await slack_bot.command("/watchlist", "add @jane_lifts"))
    for user in ("U1", "U2"):
        views = await slack_bot.slack.wait_for_views(TEAM, user, before[user] + 1)
        assert "@jane_lifts" in json.dumps(views[-1])
    await slack_bot.settle()
    # Another team's change republishes nothing here.
    after = {u: len(slack_bot.slack.published(TEAM, u)) for u in ("U1", "U2")}
    await slack_bot.answer(
        await slack_bot.command("/watchlist", "add @runwithraj", team=OTHER_TEAM)
    )
    await slack_bot.settle()
    assert {u: len(slack_bot.slack.published(TEAM, u)) for u in ("U1", "U2")} == after


async def test_changes_in_a_burst_republish_once(slack_bot: SlackBot) -> None:
    assert slack_bot.home is not None
    slack_bot.home.every = 0.5
    assert await open_home(slack_bot) == 200
    await slack_bot.slack.wait_for_views(TEAM, "U1")
    await slack_bot.settle()
    count = len(slack_bot.slack.published(TEAM, "U1"))

    for _ in range(5):
        slack_bot.home.refresh(TEAM)
    await slack_bot.settle()

    assert len(slack_bot.slack.published(TEAM, "U1")) == count + 1
