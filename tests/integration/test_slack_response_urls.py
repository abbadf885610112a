"""Answers posted to response_urls share one HTTP session (kept-alive connections).

Bolt's own `respond` opens a session and a TCP connection for every post; the bot's
`ResponseUrls` keeps one session, so the fake Slack sees every answer arrive from the
same client address, and a response_url it refuses neither breaks that session nor
leaves the bot with a failed task.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack_fixtures import (
    CHANNEL,
    SIGNING_SECRET,
    TEAM,
    SlackBot,
    running_slack_bot,
)
from tests.fakes.slack_server import FakeSlack, signed_headers, slash_command_body


def peers(slack: FakeSlack) -> list[tuple[object, ...]]:
    """The client address of every post to a response_url, in order."""
    return [peer for _, peer in slack.hook_peers]


@pytest.fixture
async def eager_bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackBot]:
    """A bot that shows "Searching…" at once: a search answers twice on one URL."""
    async with running_slack_bot(fake_slack, tmp_path, progress_after=0.0) as bot:
        yield bot


async def test_answers_to_several_commands_reuse_one_connection(slack_bot: SlackBot) -> None:
    help_answer = await slack_bot.answer(await slack_bot.command("/influencer-help"))
    listing = await slack_bot.answer(await slack_bot.command("/watchlist", "list"))

    assert help_answer["text"]
    assert listing["text"]
    seen = peers(slack_bot.slack)
    assert len(seen) == 2
    assert seen[0] == seen[1], "each answer came over a new connection"
    assert slack_bot.responses is not None
    assert slack_bot.responses.sessions_opened == 1


async def test_progress_and_answer_of_one_search_share_the_connection(eager_bot: SlackBot) -> None:
    sent = await eager_bot.command("/find-influencers", "fitness")
    posts = await eager_bot.answers(sent, 2)

    assert posts[0]["text"].startswith("Searching X")
    assert posts[-1]["replace_original"] is True  # the answer takes the note's place
    assert "influencers for “fitness”" in posts[-1]["text"]
    assert posts[-1]["response_type"] == "ephemeral"
    seen = peers(eager_bot.slack)
    assert len(seen) == 2
    assert len(set(seen)) == 1


async def test_a_refused_response_url_is_logged_and_later_answers_still_go_out(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    gone = f"{slack_bot.slack.base_url}hooks/expired"  # the fake knows no such hook: 404
    body = slash_command_body("/influencer-help", "", team=TEAM, channel=CHANNEL, response_url=gone)
    with caplog.at_level(logging.WARNING):
        sent = await slack_bot.post(body, signed_headers(SIGNING_SECRET, body), gone)
        await slack_bot.settle()

    assert sent.status == 200  # Slack got its ack; only the answer could not be posted
    assert "response_url refused the answer: HTTP 404" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    # The session outlives the refusal: the next answer goes out, on the same connection.
    answer = await slack_bot.answer(await slack_bot.command("/watchlist", "list"))
    assert answer["text"]
    seen = peers(slack_bot.slack)
    assert next(hook for hook, _ in slack_bot.slack.hook_peers) == "expired"
    assert len(seen) == 2
    assert seen[0] == seen[1]


async def test_a_used_up_response_url_stops_the_answer_without_failing(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    sent = await slack_bot.command("/watchlist", "list")
    await slack_bot.answer(sent)
    hook = sent.response_url.rsplit("/", 1)[-1]
    slack_bot.slack.hooks[hook].extend([{}] * 4)  # Slack allows 5 posts per URL: all used
    body = slash_command_body(
        "/influencer-help", "", team=TEAM, channel=CHANNEL, response_url=sent.response_url
    )
    with caplog.at_level(logging.WARNING):
        again = await slack_bot.post(body, signed_headers(SIGNING_SECRET, body), sent.response_url)
        await slack_bot.settle()

    assert again.status == 200
    assert "response_url refused the answer: HTTP 404" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert len(slack_bot.slack.hooks[hook]) == 5  # nothing past Slack's limit
