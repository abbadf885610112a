"""Tier states and alerts per workspace: each follows its own boundaries (issue 12, item 5).

The refresh runs on memory fakes: `MemoryTierStates` keeps tier states, their
compare-and-set versions and the outbox the way `adapters/storage/tier_states.py` does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from core.alerts import Tierings, message_key
from core.costs import CostMeter, Prices
from core.models import (
    AccountStatus,
    OutboxMessage,
    Scope,
    StateChange,
    Tier,
    TierAlert,
    TierState,
    Watcher,
)
from core.refresh import Refresher
from core.tiers import TierBoundaries
from core.watchlist import Watchlists
from core.workspace_settings import WorkspaceSettings, workspace_key
from tests.fakes.memory import FixedClock, MemoryStorage, MemoryWorkspaceSettings
from tests.fakes.schedule_fixtures import person
from tests.fakes.x_source import FakeX

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
A = Scope("slack", "TA", "C1")  # the deployment's boundaries: micro from 10K
B = Scope("slack", "TB", "C2")  # its own: micro from 20K
B2 = Scope("slack", "TB", "C3")  # another channel of B
MICRO_20K = TierBoundaries(micro=20_000)
B_KEY = workspace_key("slack", "TB")


@dataclass
class MemoryTierStates:
    """Implements TierStateStore over a `MemoryStorage`'s watchlists and snapshots."""

    storage: MemoryStorage
    states: dict[tuple[str, str], TierState] = field(default_factory=dict)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)

    async def tracked_user_ids(self, *, not_seen_since: datetime | None = None) -> list[str]:
        ids = dict.fromkeys(uid for _, uid in self.storage.watch_rows)
        return [
            uid
            for uid in ids
            if not_seen_since is None
            or uid not in self.storage.seen_at
            or self.storage.seen_at[uid] < not_seen_since
        ]

    async def tracked_count(self, *, not_seen_since: datetime | None = None) -> int:
        return len(await self.tracked_user_ids(not_seen_since=not_seen_since))

    async def tracked_user_id_pages(
        self,
        *,
        not_seen_since: datetime | None = None,
        started: datetime,  # noqa: ARG002  the port's signature
        size: int = 1_000,  # noqa: ARG002
    ) -> AsyncIterator[list[str]]:
        yield await self.tracked_user_ids(not_seen_since=not_seen_since)

    async def watchers(self, user_ids: Sequence[str]) -> dict[str, list[Watcher]]:
        found: dict[str, list[Watcher]] = {}
        for scope, uid in self.storage.watch_rows:
            if uid in user_ids:
                name = self.storage.accounts[uid].username
                found.setdefault(uid, []).append(Watcher(scope, name))
        return found

    async def tier_states(self, user_ids: Sequence[str]) -> dict[tuple[str, str], TierState]:
        return {key: s for key, s in self.states.items() if key[0] in user_ids}

    async def followers_before(self, user_ids: Sequence[str], at: datetime) -> dict[str, int]:
        ordered = sorted(self.storage.snapshots, key=lambda s: s[1])
        return {uid: n for uid, seen, n in ordered if uid in user_ids and seen < at}

    async def apply_state_changes(
        self,
        changes: Sequence[StateChange],
        now: datetime,  # noqa: ARG002  the port's signature
    ) -> list[StateChange]:
        applied = []
        for change in changes:
            key = (change.state.user_id, change.state.tiering)
            held = self.states.get(key)
            if (held.version if held else None) != change.expected_version:
                continue
            self.states[key] = change.state
            if change.state.status is AccountStatus.MISSING:
                await self.storage.mark_missing([change.state.user_id])
            for message in change.messages:
                self.outbox.setdefault(message.key, message)
            applied.append(change)
        return applied

    async def forget_untracked(self, *, tierings: Mapping[tuple[str, str], str]) -> int:
        used = {
            (uid, tierings.get((scope.platform, scope.workspace), ""))
            for scope, uid in self.storage.watch_rows
        }
        gone = [key for key in self.states if key not in used]
        for key in gone:
            del self.states[key]
        return len(gone)

    def alerts_to(self, scope: Scope) -> list[tuple[Tier | None, Tier | None]]:
        return [
            (m.notice.before_tier, m.notice.after_tier)
            for m in self.outbox.values()
            if m.scope == scope and isinstance(m.notice, TierAlert)
        ]


class CountingSettings(MemoryWorkspaceSettings):
    """Counts how often the refresh reads every workspace's settings."""

    reads: int = 0

    async def all_workspace_settings(self) -> dict[tuple[str, str], WorkspaceSettings]:
        self.reads += 1
        return await super().all_workspace_settings()


class _Claims:
    """`run()` claims nothing; `run_due` is not under test here."""

    async def claim_job(
        self,
        key: str,  # noqa: ARG002  the port's signature
        owner: str,  # noqa: ARG002
        *,
        now: datetime,  # noqa: ARG002
        lease: timedelta,  # noqa: ARG002
    ) -> bool:
        raise AssertionError("not claimed in these tests")

    async def renew_job(self, key: str, owner: str, *, until: datetime) -> bool:  # noqa: ARG002  the port's signature
        raise AssertionError("not claimed in these tests")

    async def finish_job(self, key: str, owner: str, *, now: datetime) -> None:  # noqa: ARG002  the port's signature
        raise AssertionError("not claimed in these tests")


@dataclass
class World:
    x: FakeX
    storage: MemoryStorage
    states: MemoryTierStates
    settings: CountingSettings
    clock: FixedClock
    refresher: Refresher

    async def track(self, scope: Scope, *uids: str) -> None:
        users = [self.x.users[u] for u in uids]
        await self.storage.save_users(users, self.clock.now())
        await self.storage.watch(scope, users, added_at=self.clock.now())

    def own(self, scope: Scope, **values: object) -> None:
        """Give `scope`'s workspace its own settings, changed now."""
        key = (scope.platform, scope.workspace)
        self.settings.settings[key] = WorkspaceSettings(updated_at=self.clock.now(), **values)  # type: ignore[arg-type]

    def reset(self, scope: Scope) -> None:
        self.settings.settings.pop((scope.platform, scope.workspace), None)

    async def step(self, followers: int, uid: str = "1") -> list[TierAlert]:
        self.clock.advance(hours=6)
        self.x.set_followers(uid, followers)
        return list((await self.refresher.run()).alerts)


@pytest.fixture
def world() -> World:
    x = FakeX([person("1", 9_000, "jane")])
    storage = MemoryStorage()
    clock = FixedClock(T0)
    states = MemoryTierStates(storage)
    settings = CountingSettings()
    meter = CostMeter(storage, clock, Prices(), None)
    refresher = Refresher(
        x,
        storage,
        states,
        meter,
        clock,
        claims=_Claims(),
        owner="test",
        every=timedelta(hours=6),
        settings=settings,
    )
    return World(x, storage, states, settings, clock, refresher)


async def test_two_workspaces_with_different_boundaries_are_told_each_of_its_own(
    world: World,
) -> None:
    world.own(B, bounds=MICRO_20K)
    await world.track(A, "1")
    await world.track(B, "1")
    assert await world.step(9_000) == []  # a first sighting in each tiering: nano
    assert set(world.states.states) == {("1", ""), ("1", B_KEY)}

    at_12k = await world.step(12_000)
    assert [(a.scope, a.before_tier, a.after_tier) for a in at_12k] == [(A, Tier.NANO, Tier.MICRO)]
    at_21k = await world.step(21_000)
    assert [(a.scope, a.before_tier, a.after_tier) for a in at_21k] == [(B, Tier.NANO, Tier.MICRO)]
    assert world.states.alerts_to(A) == [(Tier.NANO, Tier.MICRO)]
    assert world.states.alerts_to(B) == [(Tier.NANO, Tier.MICRO)]
    assert world.states.states[("1", "")].tier is Tier.MICRO
    assert world.states.states[("1", B_KEY)].tier is Tier.MICRO
    # One lookup a pass, however many tierings: cost unchanged.
    assert len(world.x.lookups) == 3


async def test_workspaces_on_the_defaults_share_one_state_and_each_channel_is_told_once(
    world: World,
) -> None:
    # Settings that leave the boundaries and margin as the deployment's keep tiering "".
    world.own(B, min_relevance=0.5)
    world.own(Scope("discord", "G1", "7"), bounds=TierBoundaries(), margin=0.02)
    g1 = Scope("discord", "G1", "7")
    await world.track(A, "1")
    await world.track(B, "1")
    await world.track(B2, "1")
    await world.track(g1, "1")
    await world.step(9_000)
    assert set(world.states.states) == {("1", "")}
    alerts = await world.step(12_000)
    assert sorted(a.scope.channel for a in alerts) == ["7", "C1", "C2", "C3"]
    assert len(world.states.outbox) == 4


async def test_a_workspace_that_resets_joins_the_default_state_without_an_alert(
    world: World,
) -> None:
    world.own(B, bounds=MICRO_20K)
    await world.track(A, "1")
    await world.track(B, "1")
    await world.step(9_000)
    await world.step(15_000)  # A: micro. B (micro from 20K): still nano.
    assert world.states.alerts_to(B) == []
    world.reset(B)
    # By the defaults the account is micro now, but it did not move: no alert to B.
    assert await world.step(15_100) == []
    # B's own state is forgotten after the pass; B follows the deployment's from now on.
    assert set(world.states.states) == {("1", "")}
    alerts = await world.step(52_000)
    assert sorted((a.scope.channel, a.before_tier, a.after_tier) for a in alerts) == [
        ("C1", Tier.MICRO, Tier.MID),
        ("C2", Tier.MICRO, Tier.MID),
    ]


async def test_setting_own_boundaries_starts_a_baseline_without_an_alert(world: World) -> None:
    await world.track(A, "1")
    await world.track(B, "1")
    await world.step(9_000)
    await world.step(15_000)  # micro for both, on the defaults
    world.own(B, bounds=MICRO_20K)
    assert await world.step(15_200) == []  # B's first sighting under its own: nano
    assert world.states.states[("1", B_KEY)].tier is Tier.NANO
    assert [a.scope for a in await world.step(21_000)] == [B]


async def test_changing_own_boundaries_again_re_baselines_without_an_alert(
    world: World,
) -> None:
    world.own(B, bounds=MICRO_20K)
    await world.track(B, "1")
    await world.step(17_000)  # nano under micro-from-20K
    world.own(B, bounds=TierBoundaries(micro=15_000))
    assert await world.step(17_000) == []  # micro now, by the new values, not by a move
    state = world.states.states[("1", B_KEY)]
    assert (state.tier, state.version) == (Tier.MICRO, 2)
    assert await world.step(17_100) == []  # decided as usual again: nothing new
    assert world.states.states[("1", B_KEY)].version == 2
    dropped = await world.step(14_000)  # below 15K less the 2 % margin
    assert [(a.before_tier, a.after_tier) for a in dropped] == [(Tier.MICRO, Tier.NANO)]


async def test_a_workspace_margin_of_its_own_is_its_own_tiering(world: World) -> None:
    world.own(B, margin=0.25)
    await world.track(A, "1")
    await world.track(B, "1")
    await world.step(9_000)
    alerts = await world.step(12_000)  # past 10.2K, not past 12.5K
    assert [a.scope for a in alerts] == [A]
    assert [a.scope for a in await world.step(12_600)] == [B]


async def test_a_missing_account_is_reported_once_to_every_channel_across_tierings(
    world: World,
) -> None:
    world.own(B, bounds=MICRO_20K)
    await world.track(A, "1")
    await world.track(B, "1")
    await world.track(B2, "1")
    await world.step(30_000)
    world.x.remove("1")
    world.clock.advance(hours=6)
    report = await world.refresher.run()
    assert sorted(n.scope.channel for n in report.notices) == ["C1", "C2", "C3"]
    assert all(n.status == "missing" and n.username == "jane" for n in report.notices)
    world.clock.advance(hours=6)
    assert (await world.refresher.run()).notices == ()
    assert "1" in world.storage.missing


async def test_settings_are_read_once_a_pass_and_lookups_stay_ceil_n_over_100(
    world: World,
) -> None:
    world.x.add(*(person(str(i), 20_000 + i) for i in range(2, 252)))
    world.own(B, bounds=MICRO_20K)
    await world.track(A, *(str(i) for i in range(1, 252)))
    await world.track(B, *(str(i) for i in range(100, 200)))
    world.settings.reads = 0
    report = await world.refresher.run()
    assert report.cost.requests == len(world.x.lookups) == 3
    assert world.settings.reads == 1
    assert len(world.states.states) == 251 + 100


def test_outbox_keys_are_unique_per_tiering_and_unchanged_for_the_default() -> None:
    state = TierState("1", "jane", Tier.MICRO, 12_000, AccountStatus.ACTIVE, 2, T0)
    own = replace(state, tiering=B_KEY)
    # The format every earlier version wrote: an upgrade mid-day never resends.
    assert message_key("alert", state, A) == ("alert|1|v2|20260601T060000.000000|slack|TA|C1")
    assert message_key("alert", own, A) != message_key("alert", state, A)
    assert B_KEY in message_key("alert", own, A)


def test_tierings_map_only_workspaces_with_their_own_values() -> None:
    tierings = Tierings(
        {
            ("slack", "TB"): WorkspaceSettings(bounds=MICRO_20K),
            ("slack", "TC"): WorkspaceSettings(weights=None, min_relevance=0.3),
        }
    )
    assert tierings.keys() == {("slack", "TB"): B_KEY}
    assert tierings.of(B).bounds == MICRO_20K
    assert tierings.of(Scope("slack", "TC", "C9")).key == ""
    assert tierings.of(A) is tierings.default


async def test_a_watchlist_shows_tiers_by_its_workspace_boundaries() -> None:
    x = FakeX([person("1", 15_000, "jane")])
    storage = MemoryStorage()
    clock = FixedClock(T0)
    settings = MemoryWorkspaceSettings({("slack", "TB"): WorkspaceSettings(bounds=MICRO_20K)})
    meter = CostMeter(storage, clock, Prices(), None)
    watchlists = Watchlists(x, storage, storage, meter, clock, settings=settings)
    await watchlists.add(A, ["jane"])
    await watchlists.add(B, ["jane"])
    assert [e.tier for e in (await watchlists.view(A)).entries] == [Tier.MICRO]
    assert [e.tier for e in (await watchlists.view(B)).entries] == [Tier.NANO]
