"""Alert mentions and alert charts end to end: `/watchlist notify` sets who a channel's
tier alerts ping, a refresh that crosses a tier delivers an alert that pings exactly
them (Discord: `allowed_mentions` limited to that role; Slack: the user group) with the
account's growth chart attached, and `notify off` stops it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.discord.sink import DiscordSink
from adapters.slack.sink import SlackSink, single_token
from bot.wiring import Services, services
from core.commands import parse_command
from core.errors import BadInput
from core.models import NotifyChange, Scope
from tests.fakes.discord_fixtures import running_bot, settings_for
from tests.fakes.discord_server import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.schedule_fixtures import FixedClock, person
from tests.fakes.slack_fixtures import BOT_TOKEN, CHANNEL, TEAM, running_slack_bot
from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_source import FakeX

T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
GUILD = 1_200_000_000_000_000_001
DISCORD_CHANNEL = 1_300_000_000_000_000_001
DISCORD = Scope("discord", str(GUILD), str(DISCORD_CHANNEL))
SLACK = Scope("slack", TEAM, CHANNEL)
ROLE = "<@&1600000000000000777>"
ROLE_ID = "1600000000000000777"
GROUP = "<!subteam^S0123TEAM|@marketing-team>"


def _text(message: FakeMessage) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
    return "\n".join(parts)


def _shown(interaction: FakeInteraction) -> str:
    return "\n".join(_text(m) for m in interaction.messages)


@pytest.fixture
def x() -> FakeX:
    return FakeX(users=[person("1", 9_000, "jane")])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def svc(
    fake_discord: FakeDiscord, tmp_path: Path, x: FakeX, clock: FixedClock
) -> AsyncIterator[Services]:
    """The production wiring on X (the fake), with the time under the test's control."""
    settings = settings_for(fake_discord, tmp_path, x_source="x-api", x_monthly_budget_usd=None)
    async with services(settings, clock=clock, x=x) as built:
        assert built.scheduled is not None
        built.scheduled.delivery.pacing = {}  # tests do not wait a real second per post
        yield built


async def _track(svc: Services, x: FakeX, scope: Scope) -> None:
    await svc.storage.save_users([x.users["1"]], svc.clock.now())
    await svc.storage.watch(scope, [x.users["1"]], added_at=svc.clock.now())


async def _cross(svc: Services, x: FakeX, clock: FixedClock, days: int, followers: int) -> int:
    """Jump to a later refresh in which @jane has `followers`; return the alerts decided."""
    clock.current = T0 + timedelta(days=days)
    x.set_followers("1", followers)
    report = await svc.work.refresher.run()
    return len(report.alerts)


async def _notify(fake: FakeDiscord, mention: str) -> FakeInteraction:
    interaction = await fake.command(
        "watchlist",
        {"handles": mention},
        subcommand="notify",
        guild_id=GUILD,
        channel_id=DISCORD_CHANNEL,
    )
    return await fake.answered(interaction)


async def test_a_discord_role_is_pinged_on_tier_alerts_and_nobody_else(
    fake_discord: FakeDiscord, svc: Services, x: FakeX, clock: FixedClock
) -> None:
    async with running_bot(svc, fake_discord) as client:
        svc.sinks["discord"] = DiscordSink(client)  # as the Discord entry point does
        set_role = await _notify(fake_discord, ROLE)
        assert f"Tier alerts in this channel will mention {ROLE}." in _shown(set_role)
        await _track(svc, x, DISCORD)
        await svc.work.refresher.run()  # baseline: nano at 9K
        assert await _cross(svc, x, clock, 1, 12_000) == 1  # nano -> micro
        report = await svc.work.delivery.deliver_due()
        assert report.delivered == 1
        (post,) = fake_discord.channel_posts
        assert post.content == ROLE
        assert post.pinged_roles == {ROLE_ID}
        assert post.pinged_users == set()
        assert not post.pings_everyone
        assert post.allowed_mentions is not None
        assert "everyone" not in (post.allowed_mentions.get("parse") or [])
        assert [str(r) for r in post.allowed_mentions["roles"]] == [ROLE_ID]
        # The chart of the two snapshots, attached and shown in the alert's embed.
        (chart,) = post.attachments
        assert chart.filename == "jane-followers-90d.png"
        assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert post.embeds[0]["image"]["url"] == "attachment://jane-followers-90d.png"
        assert "moved nano → micro" in post.embeds[0]["title"]

        # Off: the next alert pings nobody (and still carries its chart).
        off = await _notify(fake_discord, "off")
        assert "Tier alerts in this channel will mention nobody." in _shown(off)
        assert await svc.storage.mentions([DISCORD]) == {}
        assert await _cross(svc, x, clock, 2, 60_000) == 1  # micro -> mid
        await svc.work.delivery.deliver_due()
        later = fake_discord.channel_posts[-1]
        assert later is not post
        assert later.content == ""
        assert later.pinged_roles == set()
        assert [a.filename for a in later.attachments] == ["jane-followers-90d.png"]


async def test_a_typed_name_is_refused_in_one_line_and_nothing_is_stored(
    fake_discord: FakeDiscord, svc: Services
) -> None:
    async with running_bot(svc, fake_discord):
        await _notify(fake_discord, ROLE)
        refused = await _notify(fake_discord, "@Marketing")
    (message,) = refused.messages
    assert message.flags & (1 << 6)  # only the user who typed it sees it
    assert "\n" not in message.content.strip()
    assert "user group or role" in message.content
    assert await svc.storage.mentions([DISCORD]) == {DISCORD: ROLE}  # kept, not replaced


async def test_a_waiting_alert_takes_the_mention_set_after_it_was_decided(
    fake_discord: FakeDiscord, svc: Services, x: FakeX, clock: FixedClock
) -> None:
    await _track(svc, x, DISCORD)
    await svc.work.refresher.run()
    assert await _cross(svc, x, clock, 1, 12_000) == 1
    async with running_bot(svc, fake_discord) as client:
        svc.sinks["discord"] = DiscordSink(client)
        await _notify(fake_discord, ROLE)
        await svc.work.delivery.deliver_due()
    (post,) = fake_discord.channel_posts
    assert post.pinged_roles == {ROLE_ID}


@pytest.fixture
def delivered_in() -> list[str]:
    """The workspaces the Slack sink told it posted in (the Home tab's refresh hook)."""
    return []


@pytest.fixture
def slack_sink(svc: Services, fake_slack: FakeSlack, delivered_in: list[str]) -> SlackSink:
    sink = SlackSink(
        AsyncWebClient(base_url=fake_slack.api_url),
        single_token(BOT_TOKEN),
        on_delivered=delivered_in.append,
    )
    svc.sinks["slack"] = sink
    return sink


async def _slack_notify(svc: Services, text: str) -> Any:
    # The command as Slack sends a user group picked from the @ menu.
    return await svc.scout.handle(parse_command("watchlist", f"notify {text}"), SLACK)


async def test_a_slack_user_group_opens_the_alert_posted_with_its_chart(
    svc: Services,
    slack_sink: SlackSink,
    fake_slack: FakeSlack,
    x: FakeX,
    clock: FixedClock,
    delivered_in: list[str],
) -> None:
    del slack_sink
    change = await _slack_notify(svc, GROUP)
    assert change == NotifyChange(SLACK, GROUP, source="x-api")
    await _track(svc, x, SLACK)
    await svc.work.refresher.run()
    assert await _cross(svc, x, clock, 1, 12_000) == 1
    assert (await svc.work.delivery.deliver_due()).delivered == 1
    # One post: the chart shared with the alert as its comment, the group pinged first.
    (shared,) = await fake_slack.wait_for_files(1)
    assert shared.channel == CHANNEL
    assert shared.filename == "jane-followers-90d.png"
    assert shared.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert shared.initial_comment is not None
    assert shared.initial_comment.startswith("<!subteam^S0123TEAM> ")
    assert "moved from *nano* to *micro*" in shared.initial_comment
    assert fake_slack.calls_to("chat.postMessage") == []
    assert delivered_in == [TEAM]

    await _slack_notify(svc, "off")
    assert await _cross(svc, x, clock, 2, 60_000) == 1
    await svc.work.delivery.deliver_due()
    assert len(fake_slack.files) == 2
    latest = list(fake_slack.files.values())[-1]
    assert latest.initial_comment is not None
    assert "subteam" not in latest.initial_comment


async def test_a_file_slack_refuses_leaves_the_alert_without_its_chart(
    svc: Services,
    slack_sink: SlackSink,
    fake_slack: FakeSlack,
    x: FakeX,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    del slack_sink
    await _slack_notify(svc, GROUP)
    await _track(svc, x, SLACK)
    await svc.work.refresher.run()
    assert await _cross(svc, x, clock, 1, 12_000) == 1
    fake_slack.fail_next("files.getUploadURLExternal", "missing_scope")
    with caplog.at_level(logging.WARNING, logger="adapters.slack.sink"):
        assert (await svc.work.delivery.deliver_due()).delivered == 1
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert post.args["text"].startswith("<!subteam^S0123TEAM> ")
    assert post.args["blocks"][0]["text"]["text"].startswith("<!subteam^S0123TEAM> ")
    assert fake_slack.files == {}
    assert "missing_scope" in caplog.text


async def test_a_mention_of_another_platform_is_not_sent_to_slack(
    svc: Services, slack_sink: SlackSink, fake_slack: FakeSlack, x: FakeX, clock: FixedClock
) -> None:
    """A Discord role typed into Slack cannot ping anyone there: it is refused when set, and
    one stored before that check (an older bot) is left out of the alert."""
    del slack_sink
    with pytest.raises(BadInput, match="not one Slack can deliver"):
        await _slack_notify(svc, ROLE)
    assert await svc.storage.mentions([SLACK]) == {}
    await svc.storage.set_mention(SLACK, ROLE, at=clock.now())
    await _track(svc, x, SLACK)
    await svc.work.refresher.run()
    assert await _cross(svc, x, clock, 1, 12_000) == 1
    await svc.work.delivery.deliver_due()
    (shared,) = await fake_slack.wait_for_files(1)
    assert shared.initial_comment is not None
    assert "<@&" not in shared.initial_comment


async def test_slack_notify_through_the_slash_command_keeps_the_group_and_pings_no_one(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(fake_slack, tmp_path) as bot:
        answer = await bot.answer(await bot.command("/watchlist", f"notify {GROUP}"))
        stored = await bot.svc.storage.mentions([SLACK])
        refused = await bot.command("/watchlist", "notify @marketing-team")
    # Confirmed by name, as plain text: the confirmation itself pings nobody.
    assert "Tier alerts in this channel will mention @marketing-team." in answer["text"]
    assert "subteam" not in str(answer["blocks"])
    assert stored == {SLACK: GROUP}
    assert "user group or role" in refused.body
