"""What a tier alert carries when the outbox delivers it: the channel's mention, read at
delivery time, and the account's growth chart; a chart that fails never holds it back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from core.models import (
    AccountNotice,
    FollowerPoint,
    OutboxMessage,
    OutboxStatus,
    Scope,
    Tier,
    TierAlert,
    XUser,
)
from core.outbox import AlertExtras, OutboxDelivery
from core.tiers import DEFAULT_TIERS, TierBoundaries
from core.workspace_settings import WorkspaceSettings
from tests.fakes.memory import MemoryNotify, MemoryStorage, MemoryWorkspaceSettings
from tests.fakes.schedule_fixtures import FixedClock, MemoryOutbox, RecordingSink

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SLACK = Scope("slack", "T1", "C1")
DISCORD = Scope("discord", "1200", "1300")
CONSOLE = Scope("console", "local", "general")
PNG = b"\x89PNG\r\n\x1a\nchart"
OWN_BOUNDS = TierBoundaries(micro=20_000)


class FakeCharts:
    """A `ChartRenderer` that records its calls (and the thread they ran on)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[str, int, TierBoundaries, int]] = []
        self.threads: list[int] = []
        self.fail = fail

    def growth_png(
        self,
        title: str,
        points: Sequence[FollowerPoint],
        bounds: TierBoundaries,
        *,
        days: int,
        now: datetime,  # noqa: ARG002  the port's signature
    ) -> bytes:
        self.threads.append(threading.get_ident())
        if self.fail:
            raise RuntimeError("the renderer ran out of memory")
        self.calls.append((title, len(points), bounds, days))
        return PNG


def alert(scope: Scope, user_id: str = "42") -> TierAlert:
    return TierAlert(
        scope=scope,
        user_id=user_id,
        username="jane_lifts",
        name="Jane",
        before_tier=Tier.NANO,
        after_tier=Tier.MICRO,
        before_followers=9_000,
        after_followers=12_000,
        observed_at=T0,
    )


def jane(followers: int) -> XUser:
    return XUser(
        id="42", username="jane_lifts", name="Jane", followers=followers, following=1, post_count=1
    )


async def history(storage: MemoryStorage, *counts: int) -> None:
    """One snapshot a day, ending at T0."""
    for days_ago, followers in zip(range(len(counts) - 1, -1, -1), counts, strict=True):
        await storage.save_users([jane(followers)], T0 - timedelta(days=days_ago))


def delivery(
    outbox: MemoryOutbox, sinks: Sequence[RecordingSink], extras: AlertExtras
) -> OutboxDelivery:
    return OutboxDelivery(
        outbox, {s.platform: s for s in sinks}, FixedClock(T0), owner="t", pacing={}, extras=extras
    )


async def test_the_mention_is_read_when_the_alert_is_delivered_not_when_decided() -> None:
    outbox, sink, notify = MemoryOutbox(), RecordingSink("discord"), MemoryNotify()
    await outbox.enqueue([OutboxMessage("a1", DISCORD, alert(DISCORD))], T0)
    # Set after the alert was decided, before it went out: the waiting alert carries it.
    await notify.set_mention(DISCORD, "<@&777>", at=T0)
    report = await delivery(
        outbox, [sink], AlertExtras(FixedClock(T0), notify=notify)
    ).deliver_due()
    assert report.delivered == 1
    (extras,) = sink.extras
    assert extras is not None
    assert extras.mention == "<@&777>"
    assert extras.attachment is None  # no chart renderer wired


async def test_notify_off_before_delivery_leaves_the_alert_without_a_mention() -> None:
    outbox, sink, notify = MemoryOutbox(), RecordingSink("slack"), MemoryNotify()
    await notify.set_mention(SLACK, "<!subteam^S1|@team>", at=T0)
    await outbox.enqueue([OutboxMessage("a1", SLACK, alert(SLACK))], T0)
    await notify.set_mention(SLACK, None, at=T0)
    await delivery(outbox, [sink], AlertExtras(FixedClock(T0), notify=notify)).deliver_due()
    assert sink.extras == [None]
    assert len(sink.delivered) == 1


async def test_other_notices_carry_nothing_and_cost_no_lookup() -> None:
    outbox, sink, notify = MemoryOutbox(), RecordingSink("slack"), MemoryNotify()
    await notify.set_mention(SLACK, "<!subteam^S1>", at=T0)
    notice = AccountNotice(SLACK, "42", "jane_lifts", "missing")
    await outbox.enqueue([OutboxMessage("n1", SLACK, notice)], T0)
    await delivery(outbox, [sink], AlertExtras(FixedClock(T0), notify=notify)).deliver_due()
    assert sink.extras == [None]
    assert notify.lookups == 0


async def test_an_alert_carries_its_chart_drawn_off_the_loop_with_the_workspace_bounds() -> None:
    outbox, storage, charts = MemoryOutbox(), MemoryStorage(), FakeCharts()
    slack, discord = RecordingSink("slack"), RecordingSink("discord")
    settings = MemoryWorkspaceSettings()
    settings.settings[("discord", "1200")] = WorkspaceSettings(bounds=OWN_BOUNDS)
    await history(storage, 9_000, 10_500, 12_000)
    extras = AlertExtras(
        FixedClock(T0), accounts=storage, charts=charts, settings=settings, bounds=DEFAULT_TIERS
    )
    await outbox.enqueue(
        [
            OutboxMessage("a1", SLACK, alert(SLACK)),
            OutboxMessage("a2", DISCORD, alert(DISCORD)),
        ],
        T0,
    )
    report = await delivery(outbox, [slack, discord], extras).deliver_due()
    assert report.delivered == 2
    for sink in (slack, discord):
        (carried,) = sink.extras
        assert carried is not None
        assert carried.attachment is not None
        assert carried.attachment.data == PNG
        assert carried.attachment.filename == "jane_lifts-followers-90d.png"
        assert carried.attachment.content_type == "image/png"
        assert carried.attachment.text.startswith("@jane_lifts: ")
    drawn = {bounds for _, _, bounds, _ in charts.calls}
    assert drawn == {DEFAULT_TIERS, OWN_BOUNDS}  # Slack T1: defaults; the guild: its own
    assert {(title, points, days) for title, points, _, days in charts.calls} == {
        ("@jane_lifts", 3, 90)
    }
    assert threading.get_ident() not in charts.threads


async def test_a_chart_that_fails_never_holds_the_alert_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, storage, sink, notify = (
        MemoryOutbox(),
        MemoryStorage(),
        RecordingSink("discord"),
        MemoryNotify(),
    )
    await history(storage, 9_000, 12_000)
    await notify.set_mention(DISCORD, "<@&777>", at=T0)
    extras = AlertExtras(
        FixedClock(T0), notify=notify, accounts=storage, charts=FakeCharts(fail=True)
    )
    await outbox.enqueue([OutboxMessage("a1", DISCORD, alert(DISCORD))], T0)
    with caplog.at_level(logging.INFO, logger="core.outbox"):
        report = await delivery(outbox, [sink], extras).deliver_due()
    assert report.delivered == 1
    (carried,) = sink.extras
    assert carried is not None
    assert (carried.mention, carried.attachment) == ("<@&777>", None)
    assert "goes without a chart" in caplog.text
    assert "ran out of memory" in caplog.text


async def test_one_snapshot_gives_no_chart_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    outbox, storage, sink, charts = (
        MemoryOutbox(),
        MemoryStorage(),
        RecordingSink("slack"),
        FakeCharts(),
    )
    await history(storage, 12_000)
    await outbox.enqueue([OutboxMessage("a1", SLACK, alert(SLACK))], T0)
    with caplog.at_level(logging.INFO, logger="core.outbox"):
        await delivery(
            outbox, [sink], AlertExtras(FixedClock(T0), accounts=storage, charts=charts)
        ).deliver_due()
    assert sink.extras == [None]
    assert charts.calls == []
    assert "1 snapshot(s)" in caplog.text


async def test_the_terminal_gets_no_chart() -> None:
    outbox, storage, sink, charts = (
        MemoryOutbox(),
        MemoryStorage(),
        RecordingSink("console"),
        FakeCharts(),
    )
    await history(storage, 9_000, 12_000)
    await outbox.enqueue([OutboxMessage("a1", CONSOLE, alert(CONSOLE))], T0)
    await delivery(
        outbox, [sink], AlertExtras(FixedClock(T0), accounts=storage, charts=charts)
    ).deliver_due()
    assert sink.extras == [None]
    assert charts.threads == []


class BrokenNotify(MemoryNotify):
    async def mentions(self, scopes: Sequence[Scope]) -> dict[Scope, str]:  # noqa: ARG002  the port
        raise ConnectionError("database restarting")


async def test_a_failed_mention_lookup_is_retried_like_any_outage() -> None:
    outbox, sink = MemoryOutbox(), RecordingSink("slack")
    await outbox.enqueue([OutboxMessage("a1", SLACK, alert(SLACK))], T0)
    deliver = OutboxDelivery(
        outbox,
        {"slack": sink},
        FixedClock(T0),
        owner="t",
        pacing={},
        extras=AlertExtras(FixedClock(T0), notify=BrokenNotify()),
    )
    deliver.policy = type(deliver.policy)(inline_wait_seconds=0.0)
    report = await deliver.deliver_due()
    # Not delivered without its mention, not lost: pending for a later try.
    assert (report.delivered, report.retrying) == (0, 1)
    assert sink.delivered == []
    assert outbox.statuses() == [OutboxStatus.PENDING]
    assert "database restarting" in (outbox.rows[1]["error"] or "")
