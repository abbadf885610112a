"""The App Home: `core.home.Home` on in-memory ports, and its Block Kit (`adapters.slack.home`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time

from adapters.slack.home import MAX_VIEW_BLOCKS, home_blocks, home_view
from core.costs import CostMeter, Prices
from core.home import Home, HomeAlert, HomeChannel, HomeDigest, HomeSpend, HomeView
from core.models import (
    DigestSubscription,
    OutboxMessage,
    OutboxStatus,
    Scope,
    Tier,
    TierAlert,
    WatchEntry,
)
from core.tiers import TierBoundaries
from core.workspace_settings import WorkspaceSettings
from tests.fakes.memory import FixedClock, MemoryStorage, MemoryWorkspaceSettings
from tests.fakes.schedule_fixtures import MemoryOutbox, person

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday
T1 = Scope("slack", "T1", "C1")
T1_OTHER = Scope("slack", "T1", "C2")
T2 = Scope("slack", "T2", "C9")


def alert(scope: Scope, username: str) -> OutboxMessage:
    notice = TierAlert(
        scope, f"id-{username}", username, "", Tier.MICRO, Tier.MID, 48_000, 52_000, NOW
    )
    return OutboxMessage(f"alert|{scope.workspace}|{username}", scope, notice)


async def built(
    *,
    budget: float | None = 50.0,
    simulate: bool = False,
    settings: MemoryWorkspaceSettings | None = None,
) -> tuple[Home, CostMeter]:
    storage = MemoryStorage()
    clock = FixedClock(NOW)
    jane, raj = person("1", 12_000, "jane"), person("2", 60_000, "raj")
    other = person("3", 20_000, "zed")
    await storage.save_users([jane, raj, other], NOW)
    await storage.watch(T1, [jane, raj], added_at=NOW)
    await storage.watch(T1_OTHER, [jane], added_at=NOW)
    await storage.watch(T2, [other], added_at=NOW)
    await storage.record_usage(NOW.date(), requests=3, posts_read=10, users_read=2, usd=1.25)
    outbox = MemoryOutbox()
    await outbox.enqueue([alert(T1, "jane"), alert(T2, "zed")], NOW)
    meter = CostMeter(storage, clock, Prices(), budget, simulate=simulate)
    source = "sample" if simulate else "x-api"
    home = Home(storage, meter, clock, source=source, outbox=outbox, settings=settings)
    return home, meter


async def test_the_home_shows_only_its_own_workspace() -> None:
    home, _ = await built()

    view = await home.view("slack", "T1")

    assert [c.channel for c in view.channels] == ["C1", "C2"]
    assert [e.username for e in view.channels[0].entries] == ["jane", "raj"]
    assert [e.tier for e in view.channels[0].entries] == [Tier.MICRO, Tier.MID]
    assert view.tracked == 3
    assert [a.summary for a in view.alerts] == ["@jane micro -> mid (48K -> 52K)"]
    assert view.spend == HomeSpend(1.25, 50.0, None, simulated=False)
    other = await home.view("slack", "T2")
    assert [e.username for c in other.channels for e in c.entries] == ["zed"]
    assert [a.channel for a in other.alerts] == ["C9"]
    assert (await home.view("discord", "T1")).channels == ()


async def test_on_the_sample_nothing_is_spent_and_the_tab_says_so() -> None:
    home, _ = await built(simulate=True)

    view = await home.view("slack", "T1")
    text = json.dumps(home_view(view))

    assert view.spend.simulated
    assert view.spend.spent_usd == 0.0
    assert "bundled sample" in text
    assert "would cost" in text


def big_view(channels: int, per_channel: int, digests: int, alerts: int) -> HomeView:
    entries = tuple(
        WatchEntry(str(i), f"user{i}", followers=10_000 + i, tier=Tier.MICRO)
        for i in range(per_channel)
    )
    sub = DigestSubscription(1, T1, "fitness", 0, time(9, 0), "UTC")
    return HomeView(
        "slack",
        "T1",
        tuple(HomeChannel(f"C{i:04d}", entries) for i in range(channels)),
        tuple(HomeDigest(replace(sub, id=i, niche=f"niche {i}"), NOW) for i in range(digests)),
        tuple(
            HomeAlert(f"C{i}", f"@user{i} micro -> mid (48K -> 52K)", NOW, OutboxStatus.DELIVERED)
            for i in range(alerts)
        ),
        HomeSpend(3.5, 50.0, 10.0, simulated=False),
        NOW,
        "x-api",
    )


def test_a_huge_workspace_stays_within_slacks_100_blocks_and_says_what_is_left_out() -> None:
    blocks = [b.to_dict() for b in home_blocks(big_view(300, 60, 400, 200))]
    text = json.dumps(blocks)

    assert len(blocks) <= MAX_VIEW_BLOCKS
    assert "more channels" in text
    assert "more digests" in text
    assert all(len(b["text"]["text"]) <= 3_000 for b in blocks if b["type"] == "section")
    assert "and 35 more" in text  # 60 handles in a channel, 25 shown


def test_the_tab_lists_channels_digests_alerts_and_the_budget() -> None:
    view = home_view(big_view(2, 2, 1, 1))
    text = json.dumps(view)

    assert view["type"] == "home"
    assert "<#C0000>" in text
    assert "<#C0001>" in text
    assert "<https://x.com/user1|@user1>" in text
    assert "*niche 0*" in text
    assert "Mondays at 09:00 UTC" in text
    assert f"<!date^{int(NOW.timestamp())}^" in text
    assert "@user0 micro -&gt; mid" in text  # escaped: X text never forms a link
    assert "$3.50 of the $50.00 budget ($46.50 left)" in text
    assert "This workspace's share: $10.00 a month." in text
    assert "bundled sample" not in text


def test_an_empty_workspace_says_how_to_start() -> None:
    view = replace(big_view(0, 0, 0, 0), spend=HomeSpend(0.0, None, None, simulated=False))
    text = json.dumps(home_view(view))

    assert "Nothing tracked yet" in text
    assert "/digest subscribe fitness" in text
    assert "No tier alerts yet" in text
    assert "no monthly budget set" in text


async def test_the_workspaces_own_boundaries_set_the_tiers() -> None:
    own = TierBoundaries(nano=1_000, micro=20_000, mid=100_000)
    settings = MemoryWorkspaceSettings({("slack", "T1"): WorkspaceSettings(own, budget_usd=5.0)})
    home, meter = await built(settings=settings)

    view = await home.view("slack", "T1")

    assert [e.tier for e in view.channels[0].entries] == [Tier.NANO, Tier.MICRO]
    assert view.spend.workspace_budget_usd == 5.0
    assert meter.monthly_budget_usd == view.spend.budget_usd
    other = await home.view("slack", "T2")  # the default boundaries, no share
    assert [e.tier for e in other.channels[0].entries] == [Tier.MICRO]
    assert other.spend.workspace_budget_usd is None
