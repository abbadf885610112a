"""Files to take away in Slack: a CSV export and a growth chart, uploaded with the real
slack_sdk `files_upload_v2` to the local Slack server, through the real Bolt app."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.csv_export import SEARCH_COLUMNS, WATCHLIST_COLUMNS
from core.wording import SAMPLE_HEAD
from tests.fakes.slack_fixtures import BOT_TOKEN, CHANNEL, TEAM, SlackBot
from tests.fakes.slack_server import FakeSlack


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


async def test_a_search_export_is_a_csv_file_in_the_channel(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    answer = await slack_bot.answer(
        await slack_bot.command("/find-influencers", "fitness export:csv")
    )
    [shared] = await fake_slack.wait_for_files()

    reader = csv.reader(io.StringIO(shared.data.decode("utf-8")))
    assert next(reader) == [c.name for c in SEARCH_COLUMNS]
    rows = rows_of(shared.data)
    assert rows
    assert all(r["followers"].isdigit() for r in rows)
    assert all(r["source"] == "sample" for r in rows)
    assert shared.filename.endswith(".csv")
    assert shared.channel == CHANNEL
    assert shared.team_id == TEAM
    assert fake_slack.calls_to("files.getUploadURLExternal")[0].token == BOT_TOKEN
    # The text beside it: the sample banner and what the search would cost on X.
    assert shared.initial_comment is not None
    assert SAMPLE_HEAD in shared.initial_comment
    assert "would cost" in shared.initial_comment
    # The user is told privately where the file went.
    assert "Shared" in answer["text"]
    assert f"{len(rows)} row" in answer["blocks"][0]["text"]["text"]


async def test_a_watchlist_export_and_a_growth_chart(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    await slack_bot.answer(await slack_bot.command("/watchlist", "add @jane_lifts @runwithraj"))
    storage = slack_bot.svc.storage
    jane = (await storage.users_by_username(["jane_lifts"]))["jane_lifts"]
    now = datetime.now(UTC)
    await storage.save_users(
        [replace(jane, followers=jane.followers - 900)], now - timedelta(days=20)
    )
    await storage.save_users([jane], now)

    await slack_bot.answer(await slack_bot.command("/watchlist", "export"))
    await slack_bot.answer(await slack_bot.command("/watchlist", "chart @jane_lifts days:30"))
    export, chart = await fake_slack.wait_for_files(2)

    header = next(csv.reader(io.StringIO(export.data.decode("utf-8"))))
    assert header == [c.name for c in WATCHLIST_COLUMNS]
    assert {r["username"] for r in rows_of(export.data)} == {"jane_lifts", "runwithraj"}
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.filename.endswith(".png")
    assert chart.initial_comment is not None
    assert "@jane_lifts" in chart.initial_comment
    assert SAMPLE_HEAD in chart.initial_comment


@pytest.mark.usefixtures("sample_without_history")
async def test_one_snapshot_is_not_enough_history(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    await slack_bot.answer(await slack_bot.command("/watchlist", "add @runwithraj"))
    answer = await slack_bot.answer(await slack_bot.command("/watchlist", "chart @runwithraj"))

    assert "not enough history" in answer["text"].lower()
    assert fake_slack.files == {}


async def test_a_channel_the_app_is_not_in_gets_a_friendly_answer_and_loses_nothing(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    [team] = [t for t in fake_slack.teams.values() if t.team_id == TEAM]
    team.bot_channels = {"C-other"}

    answer = await slack_bot.answer(
        await slack_bot.command("/find-influencers", "fitness export:csv")
    )

    assert fake_slack.files == {}
    assert "not a member of this conversation" in answer["text"]
    assert "/invite" in answer["text"]
    # Invited: the same command works (nothing was lost but the one try).
    team.bot_channels = None
    await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness export:csv"))
    assert len(await fake_slack.wait_for_files()) == 1


async def test_fail_next_refuses_the_upload_like_slack(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("files.completeUploadExternal", "channel_not_found")

    answer = await slack_bot.answer(await slack_bot.command("/watchlist", "export"))

    assert "Invite it" in answer["text"]
    assert fake_slack.files == {}
