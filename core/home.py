"""What a workspace has, on one page (the Slack App Home tab, issue 12).

`Home.view` reads only stored data (never X): the workspace's watchlists by channel,
its digest subscriptions with their next run, its recent tier alerts, and this
month's X spend against the budget. Everything is filtered to the one workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.costs import CostMeter
from core.digests import next_occurrence
from core.models import DigestSubscription, OutboxStatus, WatchEntry
from core.outbox import KIND_ALERT
from core.ports import Clock, DigestStore, OutboxStore, WatchlistStore, WorkspaceSettingsStore
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_for

RECENT_ALERTS = 10
# Alerts are listed newest first over all workspaces, then filtered to this one: read
# this many so a busy neighbour does not push this workspace's alerts off the page.
ALERT_SCAN = 500


@dataclass(frozen=True, slots=True)
class HomeChannel:
    """One channel's watchlist (entries with the workspace's tiers filled in)."""

    channel: str
    entries: tuple[WatchEntry, ...]


@dataclass(frozen=True, slots=True)
class HomeDigest:
    """A digest subscription and when it runs next (None: paused)."""

    subscription: DigestSubscription
    next_run: datetime | None


@dataclass(frozen=True, slots=True)
class HomeAlert:
    """A recent tier alert for a channel of the workspace, as the outbox lists it."""

    channel: str
    summary: str
    at: datetime
    status: OutboxStatus


@dataclass(frozen=True, slots=True)
class HomeSpend:
    """This month's X spend: the deployment's, against its budget and the workspace's share.

    `simulated`: the bundled sample, where nothing is spent (searches "would cost").
    """

    spent_usd: float
    budget_usd: float | None
    workspace_budget_usd: float | None
    simulated: bool


@dataclass(frozen=True, slots=True)
class HomeView:
    """Everything the Home tab shows for one workspace."""

    platform: str
    workspace: str
    channels: tuple[HomeChannel, ...]
    digests: tuple[HomeDigest, ...]
    alerts: tuple[HomeAlert, ...]
    spend: HomeSpend
    at: datetime
    source: str = ""

    @property
    def tracked(self) -> int:
        return sum(len(c.entries) for c in self.channels)


class Home:
    """Builds a workspace's `HomeView` from the stores (each port optional but watchlists)."""

    def __init__(
        self,
        watchlists: WatchlistStore,
        meter: CostMeter,
        clock: Clock,
        *,
        source: str,
        digests: DigestStore | None = None,
        outbox: OutboxStore | None = None,
        settings: WorkspaceSettingsStore | None = None,
        bounds: TierBoundaries = DEFAULT_TIERS,
    ) -> None:
        self._watchlists = watchlists
        self._meter = meter
        self._clock = clock
        self._source = source
        self._digests = digests
        self._outbox = outbox
        self._settings = settings
        self._bounds = bounds

    async def view(self, platform: str, workspace: str) -> HomeView:
        now = self._clock.now()
        own = (
            await self._settings.workspace_settings(platform, workspace)
            if self._settings is not None
            else None
        )
        bounds = own.bounds if own is not None and own.bounds is not None else self._bounds
        channels = await self._channels(platform, workspace, bounds)
        spend = HomeSpend(
            spent_usd=0.0 if self._meter.simulate else await self._meter.spent_this_month(),
            budget_usd=self._meter.monthly_budget_usd,
            workspace_budget_usd=own.budget_usd if own is not None else None,
            simulated=self._meter.simulate,
        )
        return HomeView(
            platform,
            workspace,
            channels,
            await self._digests_of(platform, workspace, now),
            await self._alerts_of(platform, workspace),
            spend,
            now,
            self._source,
        )

    async def _channels(
        self, platform: str, workspace: str, bounds: TierBoundaries
    ) -> tuple[HomeChannel, ...]:
        lists = await self._watchlists.workspace_watchlists(platform, workspace)
        return tuple(
            HomeChannel(
                channel,
                tuple(
                    e if e.followers is None else replace(e, tier=tier_for(e.followers, bounds))
                    for e in entries
                ),
            )
            for channel, entries in sorted(lists.items())
            if entries
        )

    async def _digests_of(
        self, platform: str, workspace: str, now: datetime
    ) -> tuple[HomeDigest, ...]:
        if self._digests is None:
            return ()
        subs = [
            s
            for s in await self._digests.all_subscriptions()
            if (s.scope.platform, s.scope.workspace) == (platform, workspace)
        ]
        found = [
            HomeDigest(s, None if s.paused else next_occurrence(s.weekday, s.at, s.tz, now).at)
            for s in subs
        ]
        far = datetime.max.replace(tzinfo=now.tzinfo)
        return tuple(sorted(found, key=lambda d: (d.next_run or far, d.subscription.niche)))

    async def _alerts_of(self, platform: str, workspace: str) -> tuple[HomeAlert, ...]:
        if self._outbox is None:
            return ()
        items = await self._outbox.outbox_items(
            (OutboxStatus.PENDING, OutboxStatus.DELIVERED, OutboxStatus.FAILED),
            ALERT_SCAN,
            kind=KIND_ALERT,
        )
        mine = [
            HomeAlert(i.scope.channel, i.summary, i.delivered_at or i.created_at, i.status)
            for i in items
            if (i.scope.platform, i.scope.workspace) == (platform, workspace)
        ]
        return tuple(mine[:RECENT_ALERTS])
