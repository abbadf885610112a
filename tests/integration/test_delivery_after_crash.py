"""A crash after the platform accepted a message, before the outbox heard: sent once.

The real `SlackSink` and `DiscordSink` post to the local fakes through the SQL outbox.
The "crash" is a `BaseException` raised right after the platform answered: the row stays
leased, as when the process is killed there. A second process (new sink, new owner) takes
the row over once the lease has run out on the fake clock, and delivers it again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.discord.sink import NONCE_LENGTH, discord_sink, message_nonce
from adapters.slack.history import OUTBOX_EVENT
from adapters.slack.sink import SlackSink, single_token
from adapters.storage.database import Database
from adapters.storage.outbox import SqlOutboxStore
from core.models import (
    Delivery,
    FileAnswer,
    Notice,
    OutboxMessage,
    OutboxStatus,
    Scope,
    Tier,
    TierAlert,
)
from core.outbox import OutboxDelivery
from core.ports import MessageSink
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.memory import FixedClock
from tests.fakes.slack_fixtures import BOT_TOKEN, CHANNEL, TEAM
from tests.fakes.slack_server import DEFAULT_SCOPES, FakeSlack

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SLACK = Scope("slack", TEAM, CHANNEL)
GUILD, DISCORD_CHANNEL = "1200000000000000001", "1300000000000000001"
DISCORD = Scope("discord", GUILD, DISCORD_CHANNEL)
NO_HISTORY = tuple(s for s in DEFAULT_SCOPES if not s.endswith(":history"))
CHART = FileAnswer("ineslifts-followers-90d.png", "image/png", b"\x89PNG chart", "chart")


class Crash(BaseException):
    """The process stops here (not an `Exception`: the outbox must not catch it)."""


class DiesAfterPosting:
    """The real sink posts `posts` messages; then the process dies before the outbox
    marks the last one delivered."""

    def __init__(self, inner: MessageSink, posts: int = 1) -> None:
        self._inner = inner
        self._left = posts

    @property
    def platform(self) -> str:
        return self._inner.platform

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        await self._inner.deliver(scope, notice, extras=extras, key=key, recheck=recheck)
        self._left -= 1
        if self._left <= 0:
            raise Crash


class WithChart:
    """The real sink, each notice carrying a chart (as `AlertExtras` would decide)."""

    def __init__(self, inner: MessageSink) -> None:
        self._inner = inner

    @property
    def platform(self) -> str:
        return self._inner.platform

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        del extras
        chart = Delivery(attachment=CHART)
        await self._inner.deliver(scope, notice, extras=chart, key=key, recheck=recheck)


def alert(scope: Scope, followers: int = 51_300) -> TierAlert:
    return TierAlert(
        scope=scope,
        user_id="42",
        username="ineslifts",
        name="Ines",
        before_tier=Tier.MICRO,
        after_tier=Tier.MID,
        before_followers=49_200,
        after_followers=followers,
        observed_at=T0,
        growth_7d=0.041,
    )


async def _no_sleep(_seconds: float) -> None:
    return None


def delivery(
    store: SqlOutboxStore, sink: MessageSink, clock: FixedClock, owner: str
) -> OutboxDelivery:
    return OutboxDelivery(
        store, {sink.platform: sink}, clock, owner=owner, pacing={}, sleep=_no_sleep
    )


async def crash_then_redeliver(
    database: Database,
    messages: list[OutboxMessage],
    new_sink: Callable[[], MessageSink],
    clock: FixedClock,
) -> SqlOutboxStore:
    """Process a leases the messages, posts the first and dies; process b takes them all
    over after the lease (the first went out, the others did not)."""
    store = SqlOutboxStore(database)
    await store.enqueue(messages, clock.now())
    with pytest.raises(Crash):
        await delivery(store, DiesAfterPosting(new_sink()), clock, "a").deliver_due()
    clock.advance(minutes=11)  # a's 10-minute leases run out
    report = await delivery(store, new_sink(), clock, "b").deliver_due()
    assert report.delivered == len(messages), report.errors
    assert set(await store.outbox_counts()) >= {OutboxStatus.DELIVERED}
    return store


def slack_sink(slack: FakeSlack) -> Callable[[], MessageSink]:
    return lambda: SlackSink(AsyncWebClient(base_url=slack.api_url), single_token(BOT_TOKEN))


def outbox_keys(slack: FakeSlack) -> list[str]:
    return [
        m["metadata"]["event_payload"]["key"]
        for m in slack.messages_in(TEAM, CHANNEL)
        if m.get("metadata", {}).get("event_type") == OUTBOX_EVENT
    ]


# --- Slack ------------------------------------------------------------------------------


async def test_slack_with_the_history_scope_shows_the_message_once(
    fake_slack: FakeSlack, database: Database
) -> None:
    await crash_then_redeliver(
        database,
        [OutboxMessage("alert-1", SLACK, alert(SLACK))],
        slack_sink(fake_slack),
        FixedClock(T0),
    )

    assert outbox_keys(fake_slack) == ["alert-1"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    [looked] = fake_slack.calls_to("conversations.history")
    assert looked.token == BOT_TOKEN
    assert looked.args["channel"] == CHANNEL
    assert looked.args["include_all_metadata"] in ("1", "true")
    assert float(looked.args["oldest"]) > 0


async def test_slack_looks_once_per_channel_for_several_taken_over_messages(
    fake_slack: FakeSlack, database: Database
) -> None:
    messages = [OutboxMessage(f"alert-{n}", SLACK, alert(SLACK, 51_000 + n)) for n in range(3)]
    await crash_then_redeliver(database, messages, slack_sink(fake_slack), FixedClock(T0))

    assert outbox_keys(fake_slack) == ["alert-0", "alert-1", "alert-2"]
    assert len(fake_slack.calls_to("conversations.history")) == 1


async def test_slack_recognises_a_shared_chart_by_its_file_and_comment(
    fake_slack: FakeSlack, database: Database
) -> None:
    def charted() -> MessageSink:
        return WithChart(slack_sink(fake_slack)())

    await crash_then_redeliver(
        database, [OutboxMessage("alert-1", SLACK, alert(SLACK))], charted, FixedClock(T0)
    )

    assert len(fake_slack.files) == 1
    assert len(fake_slack.messages_in(TEAM, CHANNEL)) == 1
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_slack_without_the_history_scope_posts_twice_and_says_why_once(
    fake_slack: FakeSlack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.set_scopes(BOT_TOKEN, NO_HISTORY)
    messages = [OutboxMessage(f"alert-{n}", SLACK, alert(SLACK, 51_000 + n)) for n in range(2)]
    with caplog.at_level(logging.WARNING, logger="adapters.slack.history"):
        await crash_then_redeliver(database, messages, slack_sink(fake_slack), FixedClock(T0))

    # At most twice: the one the dead process posted goes out again; the other once.
    assert outbox_keys(fake_slack) == ["alert-0", "alert-0", "alert-1"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "missing_scope, needs channels:history" in warnings[0]
    assert "may show twice" in warnings[0]


async def test_slack_in_a_channel_the_bot_has_not_joined_posts_twice(
    fake_slack: FakeSlack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.teams[BOT_TOKEN].bot_channels = set()  # posts via chat:write.public only
    with caplog.at_level(logging.WARNING, logger="adapters.slack.history"):
        await crash_then_redeliver(
            database,
            [OutboxMessage("alert-1", SLACK, alert(SLACK))],
            slack_sink(fake_slack),
            FixedClock(T0),
        )

    assert outbox_keys(fake_slack) == ["alert-1", "alert-1"]
    assert "not_in_channel" in caplog.text


async def test_slack_history_rate_limited_holds_the_message_back(
    fake_slack: FakeSlack, database: Database
) -> None:
    store = SqlOutboxStore(database)
    clock = FixedClock(T0)
    await store.enqueue([OutboxMessage("alert-1", SLACK, alert(SLACK))], clock.now())
    with pytest.raises(Crash):
        await delivery(store, DiesAfterPosting(slack_sink(fake_slack)()), clock, "a").deliver_due()
    clock.advance(minutes=11)
    fake_slack.fail_next("conversations.history", "ratelimited", status=429, retry_after=60)
    report = await delivery(store, slack_sink(fake_slack)(), clock, "b").deliver_due()
    assert (report.delivered, report.retrying) == (0, 1)
    clock.advance(minutes=2)
    assert (await delivery(store, slack_sink(fake_slack)(), clock, "c").deliver_due()).delivered
    assert outbox_keys(fake_slack) == ["alert-1"]


# --- Discord ----------------------------------------------------------------------------


@asynccontextmanager
async def discord_processes(fake: FakeDiscord) -> AsyncIterator[Callable[[], MessageSink]]:
    """A fresh logged-in client per "process", all closed at the end."""
    async with (
        discord_sink(fake.token, fake.api_base) as first,
        discord_sink(fake.token, fake.api_base) as second,
    ):
        sinks = iter([first, second])
        yield lambda: next(sinks)


async def test_discord_answers_the_repeat_by_its_nonce_and_posts_once(
    fake_discord: FakeDiscord, database: Database
) -> None:
    async with discord_processes(fake_discord) as new_sink:
        await crash_then_redeliver(
            database,
            [OutboxMessage("alert-1", DISCORD, alert(DISCORD))],
            new_sink,
            FixedClock(T0),
        )

    assert len(fake_discord.channel_posts) == 1
    sent = [r.body for r in fake_discord.requests_to("POST", r"/channels/\d+/messages")]
    assert len(sent) == 2  # the platform was asked twice, and created one message
    assert [b["nonce"] for b in sent] == [message_nonce("alert-1", 0)] * 2
    assert all(b["enforce_nonce"] is True for b in sent)


async def test_discord_past_its_nonce_window_posts_again(
    fake_discord: FakeDiscord, database: Database
) -> None:
    fake_discord.nonce_window = 0.0  # the successor came back after Discord forgot
    async with discord_processes(fake_discord) as new_sink:
        await crash_then_redeliver(
            database,
            [OutboxMessage("alert-1", DISCORD, alert(DISCORD))],
            new_sink,
            FixedClock(T0),
        )

    assert len(fake_discord.channel_posts) == 2


def test_discord_nonces_fit_and_differ_by_key_and_part() -> None:
    long_key = "alert:" + "x" * 500
    nonces = {message_nonce(k, p) for k in ("a", "b", long_key) for p in (0, 1)}
    assert len(nonces) == 6
    assert all(len(n) <= NONCE_LENGTH for n in nonces)
    assert message_nonce("a", 0) == message_nonce("a", 0)
