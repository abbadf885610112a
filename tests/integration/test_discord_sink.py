"""`DiscordSink`: scheduled notices posted through discord.py's REST client to the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.discord.sink import DiscordSink, discord_sink
from core.errors import ChannelGone, DeliveryRejected, DeliveryRetryLater
from core.models import (
    AccountNotice,
    Candidate,
    Cost,
    Digest,
    Reason,
    ReasonKind,
    Scope,
    Tier,
    TierAlert,
    XUser,
)
from tests.fakes.discord_server import FakeDiscord

GUILD = "1200000000000000001"
CHANNEL = "1300000000000000001"
SCOPE = Scope("discord", GUILD, CHANNEL)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MESSAGES = r"/channels/\d+/messages"


def alert(scope: Scope = SCOPE) -> TierAlert:
    return TierAlert(
        scope=scope,
        user_id="42",
        username="jane_lifts",
        name="Jane",
        before_tier=Tier.MICRO,
        after_tier=Tier.MID,
        before_followers=49_000,
        after_followers=51_500,
        observed_at=NOW,
        growth_7d=0.051,
    )


def candidate(i: int) -> Candidate:
    user = XUser(
        id=str(i),
        username=f"acct{i}",
        name=f"Account {i}",
        followers=20_000 + i,
        following=300,
        post_count=1_000,
    )
    reasons = (Reason(ReasonKind.STRENGTH, "engagement 2.3% (micro norm 1.0%)"),)
    return Candidate(user, Tier.MICRO, 0.023, 0.8, 0.1, 90.0 - i, reasons, 5)


@pytest.fixture
async def sink(fake_discord: FakeDiscord) -> AsyncIterator[DiscordSink]:
    async with discord_sink(fake_discord.token, fake_discord.api_base) as s:
        yield s


async def test_a_tier_alert_is_posted_as_an_embed(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    await sink.deliver(SCOPE, alert())
    (post,) = fake_discord.channel_posts
    assert post.channel_id == CHANNEL
    (embed,) = post.embeds
    assert embed["title"] == "@jane_lifts moved micro → mid"
    assert "49K → **51.5K** followers" in embed["description"]
    assert "7 days +5.1%" in embed["description"]
    # REST-only: the sink never opened a gateway connection.
    assert fake_discord.sessions == []


async def test_a_digest_is_posted_with_track_buttons(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    digest = Digest(SCOPE, "fitness", tuple(candidate(i) for i in range(30)), "x-api", Cost(1))
    await sink.deliver(SCOPE, digest)
    posts = fake_discord.channel_posts
    assert len(posts) >= 2  # 30 accounts do not fit one message; none is dropped
    handles = [b["custom_id"] for p in posts for b in p.buttons()]
    assert handles == [f"track:acct{i}" for i in range(30)]
    assert posts[0].embeds[0]["title"] == "Weekly digest: new micro influencers in “fitness”"


async def test_an_account_notice_is_posted(fake_discord: FakeDiscord, sink: DiscordSink) -> None:
    await sink.deliver(SCOPE, AccountNotice(SCOPE, "42", "jane_lifts", "suspended"))
    assert fake_discord.channel_posts[0].embeds[0]["title"] == "@jane_lifts is suspended on X"


async def test_a_short_rate_limit_is_waited_out(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    fake_discord.rate_limit_next("POST", MESSAGES, retry_after=0.2)
    await sink.deliver(SCOPE, alert())
    attempts = fake_discord.requests_to("POST", MESSAGES)
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.2


async def test_a_long_rate_limit_becomes_retry_later_without_waiting(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    fake_discord.rate_limit_next("POST", MESSAGES, retry_after=120.0)
    with pytest.raises(DeliveryRetryLater) as caught:
        await sink.deliver(SCOPE, alert())
    assert caught.value.retry_after == 120.0
    assert fake_discord.channel_posts == []


async def test_a_rate_limit_that_outlasts_the_retries_becomes_retry_later(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    fake_discord.rate_limit_next("POST", MESSAGES, retry_after=0.01, times=5)
    with pytest.raises(DeliveryRetryLater):
        await sink.deliver(SCOPE, alert())
    assert len(fake_discord.requests_to("POST", MESSAGES)) == 5


async def test_an_unknown_channel_is_gone(sink: DiscordSink) -> None:
    with pytest.raises(ChannelGone):
        await sink.deliver(Scope("discord", GUILD, "1399999999999999999"), alert())


async def test_missing_access_means_the_channel_is_gone(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    fake_discord.forbidden_channels[int(CHANNEL)] = 50001
    with pytest.raises(ChannelGone):
        await sink.deliver(SCOPE, alert())


async def test_missing_permissions_is_a_rejection(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    fake_discord.forbidden_channels[int(CHANNEL)] = 50013
    with pytest.raises(DeliveryRejected):
        await sink.deliver(SCOPE, alert())


async def test_a_server_error_is_retried_later(
    fake_discord: FakeDiscord, sink: DiscordSink
) -> None:
    # discord.py retries 5xx itself (with 1 s, 3 s, … pauses); a 503 it does not.
    fake_discord.fail_next("POST", MESSAGES, 503, {"message": "unavailable", "code": 0})
    with pytest.raises(DeliveryRetryLater):
        await sink.deliver(SCOPE, alert())


@pytest.mark.parametrize("scope", [Scope("slack", "T1", "C1"), Scope("discord", GUILD, "general")])
async def test_scopes_it_cannot_serve_are_rejected(sink: DiscordSink, scope: Scope) -> None:
    with pytest.raises(DeliveryRejected):
        await sink.deliver(scope, alert(scope))
