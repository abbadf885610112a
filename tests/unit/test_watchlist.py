"""Watchlist use cases and Scout dispatch on in-memory fakes."""

from __future__ import annotations

import pytest

from core.app import Scout
from core.commands import parse_command
from core.costs import CostMeter, Prices
from core.discovery import Discovery
from core.errors import BudgetExhausted, ScoutError, UnknownHandle
from core.models import HelpView, Scope, SearchResult, Tier, WatchChange, WatchlistView
from core.watchlist import Watchlists
from tests.fakes.memory import FixedClock, MemoryStorage, ScriptedX
from tests.unit.test_discovery import user, world

TEAM_A = Scope("slack", "T1", "C1")
TEAM_B = Scope("slack", "T2", "C1")


def scout(budget: float | None = 10.0) -> tuple[Scout, ScriptedX, MemoryStorage]:
    posts, users = world()
    users.append(user("9", 49_990, username="Hover"))
    x = ScriptedX(posts, users)
    store = MemoryStorage()
    clock = FixedClock()
    meter = CostMeter(store, clock, Prices(), budget)
    return (
        Scout(
            Discovery(x, store, store, meter, clock),
            Watchlists(x, store, store, meter, clock),
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
    assert await s.handle(parse_command("influencer-help", "watchlist"), TEAM_A) == HelpView(
        "watchlist"
    )


async def test_digest_without_digest_service_is_a_clear_error() -> None:
    s, _, _ = scout()
    with pytest.raises(ScoutError, match="not enabled"):
        await s.handle(parse_command("digest", "subscribe fitness"), TEAM_A)
