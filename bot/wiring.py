"""Builds the bot's objects from settings and hands them out; nothing else constructs them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.storage.database import Database
from adapters.storage.repositories import SqlStorage
from adapters.storage.urls import redact
from adapters.x.client import TweepyXSource
from adapters.x.sample import SampleXSource
from bot.settings import Settings
from core.app import Scout
from core.costs import CostMeter
from core.discovery import Discovery, DiscoverySettings
from core.errors import ScoutError
from core.ports import Clock, XSource
from core.watchlist import Watchlists

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


def build_scout(
    settings: Settings, storage: SqlStorage, x: XSource, clock: Clock
) -> tuple[Scout, CostMeter]:
    meter = CostMeter(
        storage,
        clock,
        settings.prices,
        settings.x_monthly_budget_usd,
        simulate=x.name == "sample",
    )
    discovery = Discovery(
        x,
        storage,
        storage,
        meter,
        clock,
        DiscoverySettings(
            max_pages=settings.x_search_max_pages,
            page_size=settings.x_search_page_size,
            bounds=settings.tiers,
            weights=settings.weights,
        ),
    )
    watchlists = Watchlists(x, storage, storage, meter, clock, settings.tiers)
    return Scout(discovery, watchlists, meter), meter


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
        storage = SqlStorage(database)
        scout, meter = build_scout(settings, storage, x_source, clock)
        yield Services(settings, database, storage, x_source, clock, meter, scout)
    finally:
        await x_source.aclose()
        await database.aclose()
