"""The Slack front end through real HTTP: signed requests in, Web API and response_url out."""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.app import SLASH_COMMANDS
from adapters.slack.render import AUDIT_ACTION, MAX_BLOCKS, MAX_SECTION_CHARS, SHARE_ACTION
from adapters.x.client import TweepyXSource
from core.models import Post, Scope, XUser
from tests.fakes.slack_fixtures import (
    BOT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    TEAM,
    SlackBot,
    running_slack_bot,
)
from tests.fakes.slack_server import FakeSlack, signed_headers, slash_command_body
from tests.fakes.x_server import FakeXServer
from tests.fakes.x_source import FakeX

# --- helpers --------------------------------------------------------------------------


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in message.get("blocks", []):
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
        found.extend(e for e in block.get("elements", []) if e.get("type") == "button")
    return found


def track_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in buttons(message) if b["action_id"].startswith("track")]


def share_button(message: dict[str, Any]) -> dict[str, Any] | None:
    return next((b for b in buttons(message) if b["action_id"] == SHARE_ACTION), None)


def audit_button(message: dict[str, Any]) -> dict[str, Any] | None:
    return next((b for b in buttons(message) if b["action_id"] == AUDIT_ACTION), None)


def followers_read(fake_x: FakeXServer) -> int:
    return sum(1 for r in fake_x.requests_to("/2/users/") if r.path.endswith("/followers"))


def all_text(message: dict[str, Any]) -> str:
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts.extend(e.get("text", "") for e in block.get("elements", []) if e["type"] == "mrkdwn")
    return "\n".join(parts)


def assert_within_slack_limits(message: dict[str, Any]) -> None:
    assert message["text"], "every message needs a plain-text fallback"
    assert len(message["blocks"]) <= MAX_BLOCKS
    for block in message["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


# --- the happy path -------------------------------------------------------------------


async def test_find_acks_at_once_then_answers_privately_through_response_url(
    slack_bot: SlackBot,
) -> None:
    sent = await slack_bot.command("/find-influencers", "fitness")

    assert sent.status == 200
    assert sent.body == ""  # an empty ack: the answer follows through response_url
    assert sent.elapsed < 1.0
    answer = await slack_bot.answer(sent)
    assert answer["response_type"] == "ephemeral"
    assert_within_slack_limits(answer)
    text = all_text(answer)
    assert "Influencers for “fitness”" in text
    assert "Sample data" in text
    assert "<https://x.com/" in text
    assert "followers" in text
    assert "engagement" in text
    assert "relevance" in text
    assert "Query: `" in text
    assert "What this would cost on X: " in text  # the sample: what X would have charged
    assert re.search(r"\*\d{1,3}/100\*", text)
    assert track_buttons(answer), "each account has a Track button"
    share = share_button(answer)
    assert share is not None
    assert share["value"].startswith("fitness ")


async def test_done_when_find_then_track_then_see_the_watchlist(slack_bot: SlackBot) -> None:
    """The issue's acceptance path: /find-influencers fitness, click Track, see the watchlist."""
    answer = await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness"))
    first = track_buttons(answer)[0]

    click = await slack_bot.click(first["action_id"], first["value"])
    assert click.status == 200
    tracked = await slack_bot.answer(click)
    assert "Now tracking" in all_text(tracked)
    assert tracked["replace_original"] is False  # the results stay on screen

    listing = await slack_bot.answer(await slack_bot.command("/watchlist", "list"))
    assert f"@{first['value']}" in all_text(listing)
    assert_within_slack_limits(listing)


async def test_watchlist_add_remove_list_in_one_channel(slack_bot: SlackBot) -> None:
    added = await slack_bot.answer(await slack_bot.command("/watchlist", "add @ineslifts @darafit"))
    assert "Now tracking" in all_text(added)
    again = await slack_bot.answer(await slack_bot.command("/watchlist", "add ineslifts"))
    assert "Already tracked" in all_text(again)
    removed = await slack_bot.answer(await slack_bot.command("/watchlist", "remove @darafit"))
    assert "Stopped tracking" in all_text(removed)
    listing = all_text(await slack_bot.answer(await slack_bot.command("/watchlist", "")))
    assert "@ineslifts" in listing
    assert "@darafit" not in listing


async def test_handles_typed_as_slack_links_are_understood(slack_bot: SlackBot) -> None:
    # Slack wraps a pasted URL in <...>: the grammar must still see the handle.
    sent = await slack_bot.command("/watchlist", "add <https://x.com/ineslifts>")
    assert "Now tracking" in all_text(await slack_bot.answer(sent))


async def test_post_to_channel_posts_the_same_answer_with_chat_post_message(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    private = await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness"))
    share = share_button(private)
    assert share is not None

    click = await slack_bot.click(SHARE_ACTION, share["value"], user="U7")
    assert click.status == 200
    posts = await fake_slack.wait_for_calls("chat.postMessage")
    await slack_bot.settle()

    assert len(posts) == 1
    post = posts[0]
    assert post.token == BOT_TOKEN
    assert post.args["channel"] == CHANNEL
    assert [b["value"] for b in track_buttons(post.args)] == [
        b["value"] for b in track_buttons(private)
    ]
    assert share_button(post.args) is None  # sharing is for the private answer only
    assert "Shared by <@U7>" in all_text(post.args)
    assert_within_slack_limits(post.args)
    assert not fake_slack.posted_to(click.response_url)  # nothing to say: the post shows


async def test_post_to_channel_falls_back_to_response_url_where_the_bot_is_not_a_member(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    private = await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness"))
    share = share_button(private)
    assert share is not None
    fake_slack.fail_next("chat.postMessage", "not_in_channel")

    click = await slack_bot.click(SHARE_ACTION, share["value"])
    posted = await slack_bot.answer(click)

    assert posted["response_type"] == "in_channel"
    assert track_buttons(posted)


async def test_help_lists_every_command(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(await slack_bot.command("/influencer-help"))
    text = all_text(answer)
    for name in ("/find-influencers", "/watchlist", "/digest", "/influencer-help"):
        assert name in text
    assert "tier:" in text


async def test_a_slow_x_gets_a_progress_message_and_the_ack_does_not_wait(
    fake_slack: FakeSlack, fake_x: FakeXServer, x_source: TweepyXSource, tmp_path: Path
) -> None:
    fake_x.set_latency(0.6)
    async with running_slack_bot(
        fake_slack, tmp_path, x=x_source, x_source="x-api", progress_after=0.05
    ) as bot:
        started = time.perf_counter()
        sent = await bot.command("/find-influencers", "fitness")
        assert sent.status == 200
        assert sent.elapsed < 0.3, "ack must not wait for X"

        posts = await bot.answers(sent, count=2)
        progress, final = posts[0], posts[-1]
        assert "Searching X" in all_text(progress)
        assert final["replace_original"] is True  # the progress message becomes the answer
        assert "Influencers for “fitness”" in all_text(final)
        assert "Sample data" not in all_text(final)
        assert time.perf_counter() - started >= 0.6


# --- /audit ---------------------------------------------------------------------------


async def test_audit_shows_the_estimate_with_its_cost_and_the_watchlist_shows_it(
    slack_bot: SlackBot,
) -> None:
    """The issue's path: `/audit @handle`, then the watchlist shows the last audit."""
    sent = await slack_bot.command("/audit", "@ineslifts")
    assert sent.status == 200
    assert sent.body == ""  # answered through response_url, like every command
    answer = await slack_bot.answer(sent)

    assert answer["response_type"] == "ephemeral"
    assert_within_slack_limits(answer)
    text = all_text(answer)
    assert "Follower audit of @ineslifts" in text
    assert "<https://x.com/ineslifts|@ineslifts>" in text
    assert "followers" in text
    assert "of the 200 most recent followers" in text
    assert "95% interval" in text
    assert "Allowing for the model's own error: *" in text
    assert (
        "At that line the model flags about 1 real person in 50 on accounts unlike the ones "
        "it learned from" in text
    )
    assert "Most common signs among them" in text
    assert "Sample data" in text
    assert "What this would cost on X: 2 requests" in text
    assert "Served from today's audit" not in text
    assert audit_button(answer) is None  # $2.00 is below the $2.50 that asks first

    again = all_text(await slack_bot.answer(await slack_bot.command("/audit", "ineslifts")))
    assert "Served from today's audit" in again
    assert "What this would cost on X: 0 requests" in again

    await slack_bot.answer(await slack_bot.command("/watchlist", "add @ineslifts"))
    listing = await slack_bot.answer(await slack_bot.command("/watchlist", "list"))
    assert_within_slack_limits(listing)
    share = re.search(r"most recent followers = \*(\d+\.\d%)\*", text)
    assert share is not None
    assert "@ineslifts> · Ines Selwick · " in all_text(listing)
    assert f"last audit *{share.group(1)}* likely fake (" in all_text(listing)
    assert "allowing for the model's error) on" in all_text(listing)


async def test_a_costly_audit_asks_first_and_reads_no_followers_until_clicked(
    fake_slack: FakeSlack, fake_x: FakeXServer, x_source: TweepyXSource, tmp_path: Path
) -> None:
    async with running_slack_bot(
        fake_slack, tmp_path, x=x_source, x_source="x-api", audit_confirm_above_usd=0.5
    ) as bot:
        question = await bot.answer(await bot.command("/audit", "@fitwithanya sample:100"))
        assert_within_slack_limits(question)
        text = all_text(question)
        assert "may cost up to *$1.00*" in text
        assert "more than the $0.50" in text
        button = audit_button(question)
        assert button is not None
        assert button["value"] == "fitwithanya:100"
        assert button["text"]["text"] == "Audit anyway (up to $1.00)"
        assert followers_read(fake_x) == 0

        forged = await bot.click(AUDIT_ACTION, button["value"], secret="forged")
        await bot.settle()
        assert forged.status == 401
        assert followers_read(fake_x) == 0

        click = await bot.click(AUDIT_ACTION, button["value"], channel="C9")
        assert click.status == 200
        result = await bot.answer(click)

    assert result["replace_original"] is True  # the answer takes the question's place
    assert_within_slack_limits(result)
    text = all_text(result)
    assert "Follower audit of @fitwithanya" in text
    assert "of the 100 most recent followers" in text
    assert "X cost: " in text
    assert "Sample data" not in text
    assert audit_button(result) is None
    assert followers_read(fake_x) == 1


async def test_a_costly_sample_audit_asks_as_on_x_and_its_button_runs_it(
    slack_bot: SlackBot,
) -> None:
    """Issue 11: the sample shows the real flow, its cost worded as what X would charge."""
    question = await slack_bot.answer(await slack_bot.command("/audit", "@jane_lifts sample:500"))
    assert_within_slack_limits(question)
    text = all_text(question)
    assert "Sample data" in text
    assert "would cost up to *$5.00* on X" in text
    assert "more than the $2.50" in text
    button = audit_button(question)
    assert button is not None
    assert button["value"] == "jane_lifts:500"

    result = await slack_bot.answer(await slack_bot.click(AUDIT_ACTION, button["value"]))
    assert result["replace_original"] is True
    text = all_text(result)
    assert "Follower audit of @jane_lifts" in text
    assert "of the 500 most recent followers" in text
    assert "Sample data" in text
    assert "What this would cost on X: " in text
    assert audit_button(result) is None


async def test_audit_of_an_unknown_handle_is_a_plain_answer(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(await slack_bot.command("/audit", "@nobody_xyz_123"))
    assert "No X account found for @nobody_xyz_123" in all_text(answer)
    assert "Traceback" not in all_text(answer)


async def test_a_tampered_audit_button_is_checked_like_typed_text(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(await slack_bot.click(AUDIT_ACTION, "not a handle!:100"))
    assert "is not an X handle" in all_text(answer)
    assert answer["replace_original"] is False


# --- signatures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "stale timestamp", "future timestamp", "tampered body", "no signature"],
)
async def test_forged_or_stale_requests_get_401_and_change_nothing(
    slack_bot: SlackBot, fake_slack: FakeSlack, forgery: str
) -> None:
    hook = fake_slack.response_url()
    body = slash_command_body(
        "/watchlist", "add @ineslifts", team=TEAM, channel=CHANNEL, response_url=hook
    )
    now = int(time.time())
    headers = signed_headers(SIGNING_SECRET, body, now)
    match forgery:
        case "wrong secret":
            headers = signed_headers("not-the-secret", body, now)
        case "stale timestamp":
            headers = signed_headers(SIGNING_SECRET, body, now - 5 * 60 - 1)
        case "future timestamp":
            headers = signed_headers(SIGNING_SECRET, body, now + 5 * 60 + 1)
        case "tampered body":
            body = body.replace("ineslifts", "darafit")
        case "no signature":
            del headers["X-Slack-Signature"]

    sent = await slack_bot.post(body, headers, hook)
    await slack_bot.settle()

    assert sent.status == 401
    assert "Traceback" not in sent.body
    assert fake_slack.posted_to(hook) == []
    assert await slack_bot.svc.storage.watchlist(Scope("slack", TEAM, CHANNEL)) == []
    assert not fake_slack.calls_to("chat.postMessage")


async def test_a_forged_track_click_changes_nothing(slack_bot: SlackBot) -> None:
    sent = await slack_bot.click("track:ineslifts", "ineslifts", secret="forged")
    await slack_bot.settle()
    assert sent.status == 401
    assert await slack_bot.svc.storage.watchlist(Scope("slack", TEAM, CHANNEL)) == []


# --- isolation ------------------------------------------------------------------------


async def test_workspaces_never_see_or_change_each_others_watchlists(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    fake_slack.add_team("T2", "xoxb-T2-other-workspace")
    # Same channel id in both workspaces (a Slack Connect channel looks exactly like this).
    await slack_bot.answer(await slack_bot.command("/watchlist", "add @ineslifts", team=TEAM))

    other = await slack_bot.answer(await slack_bot.command("/watchlist", "list", team="T2"))
    assert "@ineslifts" not in all_text(other)
    removed = await slack_bot.answer(
        await slack_bot.command("/watchlist", "remove @ineslifts", team="T2")
    )
    assert "Not on this watchlist" in all_text(removed)
    await slack_bot.answer(await slack_bot.click("track:darafit", "darafit", team="T2"))

    mine = all_text(await slack_bot.answer(await slack_bot.command("/watchlist", "list")))
    assert "@ineslifts" in mine
    assert "@darafit" not in mine
    theirs = all_text(
        await slack_bot.answer(await slack_bot.command("/watchlist", "list", team="T2"))
    )
    assert "@darafit" in theirs
    assert "@ineslifts" not in theirs


async def test_channels_of_one_workspace_have_their_own_watchlists(slack_bot: SlackBot) -> None:
    await slack_bot.answer(await slack_bot.command("/watchlist", "add @ineslifts", channel="C1"))
    other = await slack_bot.answer(await slack_bot.command("/watchlist", "list", channel="C2"))
    assert "empty" in all_text(other)


async def test_digest_subscriptions_are_scoped_to_workspace_and_channel(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    if slack_bot.svc.scout.digests is None:
        pytest.skip("digests are not wired into the Scout yet")
    fake_slack.add_team("T2", "xoxb-T2-other-workspace")
    subscribed = await slack_bot.answer(
        await slack_bot.command("/digest", "subscribe fitness day:tue time:08:30 tz:Europe/Berlin")
    )
    assert "Tuesdays at 08:30 Europe/Berlin" in all_text(subscribed)
    theirs = await slack_bot.answer(await slack_bot.command("/digest", "list", team="T2"))
    assert "No weekly digests" in all_text(theirs)
    await slack_bot.answer(await slack_bot.command("/digest", "unsubscribe fitness", team="T2"))
    elsewhere = await slack_bot.answer(await slack_bot.command("/digest", "list", channel="C2"))
    assert "No weekly digests" in all_text(elsewhere)
    mine = await slack_bot.answer(await slack_bot.command("/digest", "list"))
    assert "Tuesdays at 08:30 Europe/Berlin" in all_text(mine)


async def test_digest_preview_renders_candidates(slack_bot: SlackBot) -> None:
    if slack_bot.svc.scout.digests is None:
        pytest.skip("digests are not wired into the Scout yet")
    answer = await slack_bot.answer(await slack_bot.command("/digest", "preview fitness"))
    assert_within_slack_limits(answer)
    assert "Digest preview" in all_text(answer)


# --- errors in the user's words -------------------------------------------------------


async def test_unknown_option_is_answered_in_the_ack(slack_bot: SlackBot) -> None:
    sent = await slack_bot.command("/find-influencers", "fitness colour:blue")
    assert sent.status == 200
    reply = sent.json()
    assert reply["response_type"] == "ephemeral"
    assert "Unknown option colour:" in reply["text"]
    await slack_bot.settle()
    assert slack_bot.slack.posted_to(sent.response_url) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("((( ))) !!!", "at least one letter or number"),
        ("x" * 300, "too long"),
        ("one two three four five six seven", "at most 6 words"),
    ],
)
async def test_hostile_or_unusable_niches_get_a_plain_answer(
    slack_bot: SlackBot, text: str, expected: str
) -> None:
    sent = await slack_bot.command("/find-influencers", text)
    assert sent.status == 200
    message = sent.json() or await slack_bot.answer(sent)
    assert expected in all_text(message)
    assert "Traceback" not in all_text(message)


async def test_operator_injection_stays_a_niche(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(
        await slack_bot.command("/find-influencers", "fitness) OR (from:nasa tier:any")
    )
    query = next(
        e["text"]
        for b in answer["blocks"]
        if b["type"] == "context"
        for e in b["elements"]
        if e["text"].startswith("Query:")
    )
    assert "from:" not in query
    assert "fitness" in query


async def test_x_rate_limit_reached(
    fake_slack: FakeSlack, fake_x: FakeXServer, x_source: TweepyXSource, tmp_path: Path
) -> None:
    fake_x.set_rate_limit("search", remaining=0, reset_in=3600)
    async with running_slack_bot(fake_slack, tmp_path, x=x_source, x_source="x-api") as bot:
        answer = await bot.answer(await bot.command("/find-influencers", "fitness"))
    text = all_text(answer)
    assert "rate limit is reached" in text
    assert "UTC" in text


async def test_x_unavailable(
    fake_slack: FakeSlack, fake_x: FakeXServer, x_source: TweepyXSource, tmp_path: Path
) -> None:
    fake_x.fail_next("/2/tweets/search/recent", 503, times=10)
    async with running_slack_bot(fake_slack, tmp_path, x=x_source, x_source="x-api") as bot:
        answer = await bot.answer(await bot.command("/find-influencers", "fitness"))
    assert "X is not answering right now" in all_text(answer)


async def test_budget_spent(
    fake_slack: FakeSlack, fake_x: FakeXServer, x_source: TweepyXSource, tmp_path: Path
) -> None:
    async with running_slack_bot(
        fake_slack, tmp_path, x=x_source, x_source="x-api", x_monthly_budget_usd=0
    ) as bot:
        answer = await bot.answer(await bot.command("/find-influencers", "fitness"))
    assert "monthly X budget is spent" in all_text(answer)
    assert not fake_x.requests_to("/2/tweets/search"), "a spent budget reads nothing from X"


async def test_unknown_handle(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(await slack_bot.command("/watchlist", "add @nobody_xyz_123"))
    assert "No X account found for @nobody_xyz_123" in all_text(answer)


async def test_unknown_handle_on_a_track_button(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(await slack_bot.click("track:x", "not a handle!"))
    assert "is not an X handle" in all_text(answer)


async def test_unexpected_failures_leak_neither_traceback_nor_token(
    slack_bot: SlackBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom with {BOT_TOKEN} and {SIGNING_SECRET}")

    monkeypatch.setattr(slack_bot.svc.scout.discovery, "search", explode)
    with caplog.at_level(logging.ERROR):
        answer = await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness"))
    text = all_text(answer)
    assert "Something went wrong on our side" in text
    for secret in (BOT_TOKEN, SIGNING_SECRET, "Traceback", "RuntimeError", "boom"):
        assert secret not in str(answer)
    assert "command failed" in caplog.text  # the operator gets the details in the log


async def test_no_token_or_secret_reaches_the_logs(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    # The bot's own loggers at DEBUG; Slack's libraries at INFO, as bot.logs sets them.
    for name in ("slack_bolt", "slack_sdk", "aiohttp.access"):
        caplog.set_level(logging.INFO, logger=name)
    caplog.set_level(logging.DEBUG)  # last: it also sets the capturing handler's level
    answer = await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness"))
    first = track_buttons(answer)[0]
    await slack_bot.answer(await slack_bot.click(first["action_id"], first["value"]))
    assert caplog.records
    assert BOT_TOKEN not in caplog.text
    assert SIGNING_SECRET not in caplog.text


# --- Block Kit limits -----------------------------------------------------------------


def crowded_x() -> FakeX:
    """An X whose recent search finds 60 fitness accounts (the sample has fewer).

    Each account has a timeline of five fitness posts; search finds the newest of each.
    """
    now = datetime.now(UTC)
    users = [
        XUser(
            str(5000 + i),
            f"fit_{i:02d}",
            f"Coach {i} <!channel>",
            12_000 + 500 * i,
            400,
            3_000,
            description="fitness coach",
            created_at=now - timedelta(days=2000),
        )
        for i in range(60)
    ]
    timelines = {
        u.id: [
            Post(
                str(9000 + 100 * i + k),
                u.id,
                f"my fitness workout today, day {k} #fitness",
                now - timedelta(hours=i + 24 * k),
                "en",
                likes=300 + i,
                reposts=20,
                replies=10,
            )
            for k in range(5)
        ]
        for i, u in enumerate(users)
    }
    return FakeX(users, [posts[0] for posts in timelines.values()], timelines=timelines)


async def test_fifty_results_stay_within_block_kit_limits(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(fake_slack, tmp_path, x=crowded_x(), x_source="x-api") as bot:
        sent = await bot.command("/find-influencers", "fitness tier:any limit:50")
        await fake_slack.wait_for_posts(sent.response_url)
        await bot.settle()
        messages = fake_slack.posted_to(sent.response_url)
        handles = [b["value"] for m in messages for b in track_buttons(m)]

        assert len(handles) == 50
        assert len(set(handles)) == 50
        assert 2 <= len(messages) <= 4  # split, within response_url's 5 uses
        for message in messages:
            assert_within_slack_limits(message)
            assert "<!channel>" not in str(message)
        assert share_button(messages[-1]) is not None

        # "Post to channel" sends every part, each within the limits (the fake refuses >50).
        share = share_button(messages[-1])
        assert share is not None
        await bot.click(SHARE_ACTION, share["value"])
        posts = await fake_slack.wait_for_calls("chat.postMessage", len(messages))
        await bot.settle()
        assert len(posts) == len(messages)
        assert sum(len(track_buttons(p.args)) for p in posts) == 50


@pytest.mark.parametrize("command", SLASH_COMMANDS)
async def test_every_command_of_the_table_is_registered(slack_bot: SlackBot, command: str) -> None:
    sent = await slack_bot.command(command, "")
    assert sent.status == 200
    message = sent.json() or await slack_bot.answer(sent)
    assert message["text"]
    assert "Traceback" not in all_text(message)
