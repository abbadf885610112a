"""Builds the bot's objects from settings and hands them out; nothing else constructs them."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from adapters.charts import MatplotlibCharts
from adapters.console.sink import ConsoleSink
from adapters.storage.audits import SqlAuditStore
from adapters.storage.database import Database
from adapters.storage.store import SqlScheduleStore, SqlStorage
from adapters.storage.urls import redact
from adapters.x.client import TweepyXSource
from adapters.x.sample import SampleXSource
from bot.sample_history import SampleHistoryStorage
from bot.settings import Settings
from core.audit import Audits, AuditSettings
from core.costs import CostMeter
from core.digests import Digests, DigestSettings
from core.discovery import Discovery, DiscoverySettings
from core.errors import ScoutError
from core.exports import Exports
from core.outbox import AlertExtras, OutboxDelivery, RetryPolicy
from core.ports import Clock, DigestUseCases, MessageSink, ScheduleStore, XSource
from core.profiles import Profiles
from core.refresh import Refresher
from core.scout import Scout
from core.watchlist import Watchlists
from core.workspace_config import WorkspaceConfig

log = logging.getLogger(__name__)


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Services:
    """Everything a front end (CLI, console, Slack, Discord, scheduler) needs."""

    settings: Settings
    database: Database
    storage: SqlStorage
    x: XSource
    clock: Clock
    meter: CostMeter
    scout: Scout
    # Where scheduled messages go, by `Scope.platform`: the console always; the Slack
    # and Discord front ends add theirs when they start. The outbox reads it live.
    sinks: dict[str, MessageSink] = field(default_factory=dict)
    scheduled: ScheduledWork | None = None

    @property
    def work(self) -> ScheduledWork:
        if self.scheduled is None:
            raise ScoutError("Scheduled work is not set up in this process.")
        return self.scheduled


@dataclass
class ScheduledWork:
    """The scheduled use cases (refresh, digests, outbox delivery) and their store."""

    # A port, so the command line reaches it only through what the core declares.
    store: ScheduleStore
    refresher: Refresher
    digests: Digests
    delivery: OutboxDelivery
    owner: str
    sinks: dict[str, MessageSink]


def instance_id() -> str:
    """Names this process in claims and leases (unique even across restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_scheduled_work(
    settings: Settings,
    storage: SqlStorage,
    *,
    x: XSource,
    clock: Clock,
    discovery: Discovery,
    meter: CostMeter,
    sinks: dict[str, MessageSink],
    owner: str | None = None,
) -> ScheduledWork:
    """Refresh, digests and delivery over the scout's own discovery and cost meter."""
    owner = owner or instance_id()
    store = SqlScheduleStore(storage.database)
    refresher = Refresher(
        x,
        storage,
        store,
        meter,
        clock,
        claims=store,
        owner=owner,
        every=timedelta(hours=settings.watchlist_refresh_hours),
        lease=timedelta(seconds=settings.refresh_lease_seconds),
        bounds=settings.tier_boundaries,
        margin=settings.tier_hysteresis,
        # Workspaces with their own boundaries get tier states and alerts of their own.
        settings=storage,
    )
    digests = Digests(
        discovery,
        storage,
        store,
        clock,
        owner=owner,
        settings=DigestSettings(lease=timedelta(seconds=settings.digest_lease_seconds)),
    )
    delivery = OutboxDelivery(
        store,
        sinks,
        clock,
        owner=owner,
        policy=RetryPolicy(max_attempts=settings.outbox_max_attempts),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        # Tier alerts carry the channel's mention and the account's growth chart.
        extras=AlertExtras(
            clock,
            notify=storage,
            accounts=storage,
            charts=MatplotlibCharts(),
            bounds=settings.tier_boundaries,
            settings=storage,
        ),
    )
    return ScheduledWork(store, refresher, digests, delivery, owner, sinks)


def build_x_source(settings: Settings) -> XSource:
    if settings.uses_sample:
        return SampleXSource()
    token = settings.x_bearer_token.get_secret_value() if settings.x_bearer_token else ""
    if not token:
        raise ScoutError("X_SOURCE is x-api but X_BEARER_TOKEN is not set.")
    return TweepyXSource(
        token,
        base_url=settings.x_api_base_url,
        timeout=settings.x_timeout_seconds,
        max_retries=settings.x_max_retries,
        max_rate_limit_wait=settings.x_max_rate_limit_wait_seconds,
    )


def build_use_cases(
    settings: Settings,
    storage: SqlStorage,
    *,
    x: XSource,
    clock: Clock,
    sinks: dict[str, MessageSink],
    owner: str | None = None,
) -> tuple[Scout, ScheduledWork]:
    """The scout and the scheduled work, built in dependency order.

    The digests are scheduled work and also answer `/digest`, so they come before the
    scout; search and the cost meter are shared by both.
    """
    discovery, meter = build_discovery(settings, storage, x, clock)
    work = build_scheduled_work(
        settings,
        storage,
        x=x,
        clock=clock,
        discovery=discovery,
        meter=meter,
        sinks=sinks,
        owner=owner,
    )
    scout = build_scout(
        settings,
        storage,
        x=x,
        clock=clock,
        discovery=discovery,
        meter=meter,
        digests=work.digests,
    )
    return scout, work


def build_discovery(
    settings: Settings, storage: SqlStorage, x: XSource, clock: Clock
) -> tuple[Discovery, CostMeter]:
    """Search, and the cost meter every use case charges."""
    meter = CostMeter(
        storage,
        clock,
        settings.prices,
        settings.x_monthly_budget_usd,
        simulate=x.name == "sample",
        workspaces=storage,
    )
    discovery = Discovery(
        x,
        storage,
        storage,
        meter,
        clock,
        settings=DiscoverySettings(
            max_pages=settings.x_search_max_pages,
            page_size=settings.x_search_page_size,
            bounds=settings.tier_boundaries,
            weights=settings.scoring_weights,
            sort_order=settings.x_search_sort_order,
            like_band=settings.x_search_like_band,
            size_niche=settings.x_search_count_first,
            user_max_age=timedelta(hours=settings.x_user_max_age_hours),
            verify_top=settings.x_verify_top,
            verify_first=settings.x_verify_first,
            verify_posts=settings.x_verify_posts,
            min_relevance=settings.min_relevance,
        ),
    )
    return discovery, meter


def build_scout(
    settings: Settings,
    storage: SqlStorage,
    *,
    x: XSource,
    clock: Clock,
    discovery: Discovery,
    meter: CostMeter,
    digests: DigestUseCases | None = None,
) -> Scout:
    """The chat commands' entry point over the shared search and meter."""
    audits = Audits(
        x,
        storage,
        SqlAuditStore(storage.database),
        meter,
        clock,
        settings=AuditSettings(
            default_sample=settings.audit_default_sample,
            confirm_above_usd=settings.audit_confirm_above_usd,
        ),
    )
    watchlists = Watchlists(
        x,
        storage,
        storage,
        meter,
        clock,
        bounds=settings.tier_boundaries,
        audits=audits,
        notify=storage,
        settings=storage,
    )
    exports = Exports(
        storage,
        watchlists,
        MatplotlibCharts(),
        clock,
        bounds=settings.tier_boundaries,
        workspace_settings=storage,
        source=x.name,
    )
    profiles = Profiles(
        x,
        storage,
        meter,
        clock,
        cache=storage,
        audits=audits,
        bounds=settings.tier_boundaries,
        workspace_settings=storage,
    )
    return Scout(
        discovery,
        watchlists,
        meter,
        digests=digests,
        audit=audits,
        exports=exports,
        profiles=profiles,
        workspaces=WorkspaceConfig(
            storage,
            clock,
            bounds=settings.tier_boundaries,
            margin=settings.tier_hysteresis,
            weights=settings.scoring_weights,
            min_relevance=settings.min_relevance,
            budget_usd=settings.x_monthly_budget_usd,
            meter=meter,
        ),
    )


@asynccontextmanager
async def services(
    settings: Settings, *, clock: Clock | None = None, x: XSource | None = None
) -> AsyncIterator[Services]:
    """Connect the database (migrating it), build the X source and the use cases."""
    clock = clock or SystemClock()
    database = await Database.connect(settings.database_url)
    log.info("database ready at %s", redact(settings.database_url))
    x_source = x or build_x_source(settings)
    try:
        storage = (
            SampleHistoryStorage(database, x_source)
            if isinstance(x_source, SampleXSource)
            else SqlStorage(database)
        )
        sinks: dict[str, MessageSink] = {"console": ConsoleSink()}
        scout, work = build_use_cases(settings, storage, x=x_source, clock=clock, sinks=sinks)
        yield Services(
            settings, database, storage, x_source, clock, scout.meter, scout, sinks, work
        )
    finally:
        await x_source.aclose()
        await database.aclose()
