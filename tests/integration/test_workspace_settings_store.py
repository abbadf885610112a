"""Settings per workspace on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.storage.database import Database
from adapters.storage.migrate import upgrade
from adapters.storage.store import SqlStorage
from adapters.storage.urls import to_async_url
from core.scoring import ScoringWeights
from core.tiers import TierBoundaries
from core.workspace_settings import SettingsChange, WorkspaceSettings
from tests.fakes import db_fixtures

# tests/conftest.py registers these too; naming them here lets this file run alone.
database_url = db_fixtures.database_url
database = db_fixtures.database
storage = db_fixtures.storage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = date(2026, 3, 1)
FULL = WorkspaceSettings(
    bounds=TierBoundaries(1_000, 5_000, 40_000, 500_000, 1_000_000),
    margin=0.05,
    weights=ScoringWeights(0.4, 0.35, 0.25, 0.5),
    min_relevance=0.4,
    budget_usd=10.0,
    updated_at=T0,
    updated_by="Ana",
)


def change(at: datetime, what: str, name: str = "Ana") -> SettingsChange:
    return SettingsChange(at, "U1", name, what)


async def test_migration_0005_creates_the_settings_tables(database_url: str) -> None:
    engine = create_async_engine(to_async_url(database_url), poolclass=NullPool)
    try:
        await upgrade(engine, "0004")
        async with engine.connect() as conn:
            before = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        await upgrade(engine, "0005")
        async with engine.connect() as conn:
            after = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    mine = {"workspace_settings", "workspace_settings_log", "workspace_usage"}
    assert not before & mine
    assert after - before == mine
    assert version == [("0005",)]


async def test_overrides_round_trip_and_none_is_the_deployments(storage: SqlStorage) -> None:
    assert await storage.workspace_settings("slack", "T1") is None
    await storage.save_workspace_settings("slack", "T1", FULL, changes=[change(T0, "a")])
    assert await storage.workspace_settings("slack", "T1") == FULL
    partial = WorkspaceSettings(min_relevance=0.5, updated_at=T0, updated_by="Bo")
    await storage.save_workspace_settings("discord", "G1", partial, changes=[])
    assert await storage.workspace_settings("discord", "G1") == partial
    assert await storage.all_workspace_settings() == {
        ("slack", "T1"): FULL,
        ("discord", "G1"): partial,
    }
    # Dropping them (a reset) leaves the deployment's settings and keeps the log.
    await storage.save_workspace_settings("slack", "T1", None, changes=[change(T0, "reset")])
    assert await storage.workspace_settings("slack", "T1") is None
    assert [c.change for c in await storage.settings_log("slack", "T1")] == ["reset", "a"]


async def test_the_log_is_per_workspace_newest_first_and_limited(storage: SqlStorage) -> None:
    for i in range(4):
        await storage.save_workspace_settings(
            "slack", "T1", FULL, changes=[change(T0 + timedelta(minutes=i), f"c{i}")]
        )
    await storage.save_workspace_settings("slack", "T2", FULL, changes=[change(T0, "other", "Cy")])
    log = await storage.settings_log("slack", "T1", limit=3)
    assert [c.change for c in log] == ["c3", "c2", "c1"]
    assert log[0] == SettingsChange(T0 + timedelta(minutes=3), "U1", "Ana", "c3")
    assert [c.by_name for c in await storage.settings_log("slack", "T2")] == ["Cy"]


async def test_settings_and_their_log_are_saved_in_one_transaction(
    storage: SqlStorage,
) -> None:
    # A log row that cannot be stored (no time) takes the settings with it.
    bad = SettingsChange(None, "U1", "Ana", "x")  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        await storage.save_workspace_settings("slack", "T1", FULL, changes=[bad])
    assert await storage.workspace_settings("slack", "T1") is None
    assert await storage.settings_log("slack", "T1") == []


async def test_spend_per_workspace_adds_up_by_month_and_workspace(storage: SqlStorage) -> None:
    await storage.record_workspace_spend(DAY, "slack:T1", usd=0.25)
    await storage.record_workspace_spend(DAY, "slack:T1", usd=0.5)
    await storage.record_workspace_spend(DAY + timedelta(days=1), "slack:T1", usd=1.0)
    await storage.record_workspace_spend(DAY, "discord:G1", usd=9.0)
    await storage.record_workspace_spend(DAY - timedelta(days=1), "slack:T1", usd=5.0)
    month = (DAY, DAY + timedelta(days=30))
    assert await storage.workspace_spent_usd("slack:T1", *month) == 1.75
    assert await storage.workspace_spent_usd("discord:G1", *month) == 9.0
    assert await storage.workspace_spent_usd("slack:T9", *month) == 0.0


async def test_concurrent_spend_is_not_lost(database: Database) -> None:
    stores = [SqlStorage(database) for _ in range(2)]
    await asyncio.gather(
        *(s.record_workspace_spend(DAY, "slack:T1", usd=0.01) for s in stores for _ in range(10))
    )
    assert await stores[0].workspace_spent_usd("slack:T1", DAY, DAY) == 0.2
