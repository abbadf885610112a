"""Watchlist use cases and Scout dispatch on in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.commands import parse_command
from core.costs import CostMeter, Prices
from core.discovery import Discovery
from core.errors import BudgetExhausted, ScoutError, UnknownHandle
from core.models import (
    AuditResult,
    AuditSummary,
    Cost,
    HelpView,
    Scope,
    SearchResult,
    Tier,
    WatchChange,
    WatchlistView,
)
from core.scout import Scout
from core.watchlist import Watchlists
from tests.fakes.memory import FixedClock, MemoryAuditHistory, MemoryStorage
from tests.fakes.x_source import FakeX
from tests.unit.test_discovery import user, world

TEAM_A = Scope("slack", "T1", "C1")
TEAM_B = Scope("slack", "T2", "C1")


def scout(
    budget: float | None = 10.0, audits: MemoryAuditHistory | None = None
) -> tuple[Scout, FakeX, MemoryStorage]:
    posts, users = world()
    users.append(user("9", 49_990, username="Hover"))
    x = FakeX(users, posts, timelines={}, filter_min_likes=True)
    store = MemoryStorage()
    clock = FixedClock()
    meter = CostMeter(store, clock, Prices(), budget)
    return (
        Scout(
            Discovery(x, store, store, meter, clock),
            Watchlists(x, store, store, meter, clock, audits=audits),
            meter,
        ),
        x,
        store,
    )


async def test_add_looks_up_unknown_handles_once_then_uses_the_database() -> None:
    s, x, _ = scout()
    change = await s.watchlists.add(TEAM_A, ["user1", "USER2"])
    assert set(change.added) == {"user1", "user2"}
    assert change.cost.requests == 1
    assert change.cost.users_read == 2
    again = await s.watchlists.add(TEAM_B, ["user1"])
    assert again.added == ("user1",)
    assert again.cost.requests == 0
    assert sum(1 for kind, _ in x.calls if kind == "usernames") == 1


async def test_add_reports_already_and_not_found() -> None:
    s, _, _ = scout()
    await s.watchlists.add(TEAM_A, ["user1"])
    change = await s.watchlists.add(TEAM_A, ["user1", "nobody_here"])
    assert change.already == ("user1",)
    assert change.not_found == ("nobody_here",)


async def test_only_unknown_handles_is_an_error_and_changes_nothing() -> None:
    s, _, store = scout()
    with pytest.raises(UnknownHandle, match="@ghost"):
        await s.watchlists.add(TEAM_A, ["ghost"])
    assert not store.watch_rows


async def test_lookup_respects_budget() -> None:
    s, x, _ = scout(budget=0.0)
    with pytest.raises(BudgetExhausted):
        await s.watchlists.add(TEAM_A, ["user1"])
    assert not x.calls


async def test_watchlists_are_isolated_per_workspace() -> None:
    s, _, _ = scout()
    await s.watchlists.add(TEAM_A, ["user1", "user5"])
    view_b = await s.watchlists.view(TEAM_B)
    assert view_b.entries == ()
    removed = await s.watchlists.remove(TEAM_B, ["user1"])
    assert removed.removed == ()
    assert removed.not_found == ("user1",)
    view_a = await s.watchlists.view(TEAM_A)
    assert [(e.username, e.tier) for e in view_a.entries] == [
        ("user1", Tier.MICRO),
        ("user5", Tier.MID),
    ]


async def test_dispatch_routes_each_command() -> None:
    s, _, _ = scout()
    assert isinstance(
        await s.handle(parse_command("find-influencers", "fitness"), TEAM_A), SearchResult
    )
    added = await s.handle(parse_command("watchlist", "add @user1"), TEAM_A)
    assert isinstance(added, WatchChange)
    assert added.added == ("user1",)
    listed = await s.handle(parse_command("watchlist", "list"), TEAM_A)
    assert isinstance(listed, WatchlistView)
    assert len(listed.entries) == 1
    removed = await s.handle(parse_command("watchlist", "remove @user1"), TEAM_A)
    assert isinstance(removed, WatchChange)
    assert removed.removed == ("user1",)
    # Every reply carries the X source that answered (the sample banner's cue).
    assert await s.handle(parse_command("influencer-help", "watchlist"), TEAM_A) == HelpView(
        "watchlist", source="x-api"
    )


async def test_digest_without_digest_service_is_a_clear_error() -> None:
    s, _, _ = scout()
    with pytest.raises(ScoutError, match="not enabled"):
        await s.handle(parse_command("digest", "subscribe fitness"), TEAM_A)


def audit_of(user_id: str, fake_share: float, day: int) -> AuditResult:
    return AuditResult(
        user_id=user_id,
        handle=f"user{user_id}",
        name="",
        followers=20_000,
        requested_sample=200,
        sample_size=200,
        fake_count=round(fake_share * 200),
        fake_share=fake_share,
        ci_low=fake_share / 2,
        ci_high=fake_share * 2,
        mean_probability=fake_share,
        top_reasons=(),
        cost=Cost(2, 0, 200, 2.0),
        source="x-api",
        observed_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC),
    )


async def test_the_view_shows_each_accounts_latest_audit_from_one_lookup() -> None:
    newer = audit_of("1", 0.12, day=15)
    history = MemoryAuditHistory([newer, audit_of("1", 0.4, day=3), audit_of("7", 0.9, day=15)])
    s, x, _ = scout(audits=history)
    await s.watchlists.add(TEAM_A, ["user1", "user5"])
    calls_to_x = len(x.calls)

    view = await s.watchlists.view(TEAM_A)

    by_name = {e.username: e for e in view.entries}
    assert by_name["user1"].last_audit == AuditSummary(
        0.12, 0.06, 0.24, 200, datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
    )
    assert by_name["user5"].last_audit is None  # never audited
    assert (by_name["user1"].tier, by_name["user5"].tier) == (Tier.MICRO, Tier.MID)
    assert [sorted(ids) for ids in history.calls] == [["1", "5"]]  # one batched lookup
    assert len(x.calls) == calls_to_x  # listing reads nothing from X


async def test_an_empty_watchlist_asks_for_no_audits() -> None:
    history = MemoryAuditHistory([audit_of("1", 0.12, day=15)])
    s, _, _ = scout(audits=history)
    assert (await s.watchlists.view(TEAM_A)).entries == ()
    assert history.calls == []


async def test_without_audits_wired_the_view_has_no_last_audit() -> None:
    s, _, _ = scout()
    await s.watchlists.add(TEAM_A, ["user1"])
    (entry,) = (await s.watchlists.view(TEAM_A)).entries
    assert entry.last_audit is None


async def test_an_account_x_lost_is_looked_up_again_before_tracking() -> None:
    s, x, store = scout()
    await s.watchlists.add(TEAM_A, ["user1"])
    await store.mark_missing(["1"])
    x.remove("1")  # suspended on X
    with pytest.raises(UnknownHandle):
        await s.watchlists.add(TEAM_B, ["user1"])
    assert sum(1 for kind, _ in x.calls if kind == "usernames") == 2


@pytest.mark.parametrize(
    ("platform", "mention", "kept"),
    [
        ("slack", "<!subteam^S0TEAM|@marketing>", True),
        ("slack", "<@U0ANN>", True),
        ("slack", "<@&123456>", False),  # a Discord role pasted into Slack
        ("discord", "<@&123456>", True),
        ("discord", "<@123456>", True),
        ("discord", "<!subteam^S0TEAM>", False),
        ("discord", "<@U0ANN>", False),
        ("console", "<@&123456>", True),  # the deployment's own shell stores what it gets
    ],
)
async def test_notify_keeps_only_a_mention_its_platform_can_deliver(
    platform: str, mention: str, *, kept: bool
) -> None:
    from core.errors import BadInput
    from tests.fakes.memory import MemoryNotify

    posts, users = world()
    store, notify, clock = MemoryStorage(), MemoryNotify(), FixedClock()
    x = FakeX(users, posts, timelines={})
    lists = Watchlists(
        x, store, store, CostMeter(store, clock, Prices(), 10.0), clock, notify=notify
    )
    scope = Scope(platform, "W1", "C1")
    if kept:
        change = await lists.notify(scope, mention)
        assert change.mention == mention
        assert notify.by_scope == {scope: mention}
    else:
        with pytest.raises(BadInput, match="@ menu"):
            await lists.notify(scope, mention)
        assert notify.by_scope == {}
    await lists.notify(scope, None)  # off always works
    assert notify.by_scope == {}
