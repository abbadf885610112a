"""SQL implementation of `core.ports.WorkspaceSettingsStore` and `WorkspaceSpendLedger`.

A workspace's overrides are one row (`workspace_settings`, NULL: the deployment's
value); every change is a row of `workspace_settings_log`, written in the same
transaction. `workspace_usage` counts each workspace's X spend per UTC day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, delete, func, select

from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import (
    WorkspaceSettingsLogRow,
    WorkspaceSettingsRow,
    WorkspaceUsageRow,
    table,
)
from core.scoring import ScoringWeights
from core.tiers import TierBoundaries
from core.workspace_settings import SettingsChange, WorkspaceSettings

_settings = table(WorkspaceSettingsRow)
_log = table(WorkspaceSettingsLogRow)
_usage = table(WorkspaceUsageRow)

# Read (and, for spend, written) by every command: built once, so each execution reuses
# the statement, its cache key and its compiled form (bench/RESULTS.md, Slack).
_ONE_WORKSPACE = select(_settings).where(
    _settings.c.platform == bindparam("platform"), _settings.c.workspace == bindparam("workspace")
)


@cache
def _add_spend(dialect: str) -> Any:
    """Add `usd` to a workspace's day (INSERT ... ON CONFLICT DO UPDATE, values bound)."""
    stmt = dialect_insert(dialect, _usage)
    return stmt.on_conflict_do_update(
        index_elements=["day", "workspace"], set_={"usd": _usage.c.usd + stmt.excluded.usd}
    )


def _columns(settings: WorkspaceSettings) -> dict[str, Any]:
    weights = settings.weights
    return {
        "tiers": list(settings.bounds.as_tuple()) if settings.bounds else None,
        "margin": settings.margin,
        "weights": None
        if weights is None
        else {
            "engagement": weights.engagement,
            "relevance": weights.relevance,
            "authenticity": weights.authenticity,
            "suspicion_penalty": weights.suspicion_penalty,
        },
        "min_relevance": settings.min_relevance,
        "budget_usd": settings.budget_usd,
        "updated_at": settings.updated_at,
        "updated_by": settings.updated_by[:255],
    }


def _settings_of(row: Any) -> WorkspaceSettings:
    tiers = row.tiers
    bounds = None
    if tiers is not None:
        nano, micro, mid, macro, mega = (int(v) for v in tiers)
        bounds = TierBoundaries(nano, micro, mid, macro, mega)
    weights = None
    if row.weights is not None:
        weights = ScoringWeights(**{k: float(v) for k, v in row.weights.items()})
    return WorkspaceSettings(
        bounds=bounds,
        margin=row.margin,
        weights=weights,
        min_relevance=row.min_relevance,
        budget_usd=row.budget_usd,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


class SqlWorkspaceSettingsStore(SqlRepository):
    """Settings per workspace, their change log, and spend per workspace."""

    async def workspace_settings(self, platform: str, workspace: str) -> WorkspaceSettings | None:
        params = {"platform": platform, "workspace": workspace}
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_ONE_WORKSPACE, params)).first()
        return None if row is None else _settings_of(row)

    async def all_workspace_settings(self) -> dict[tuple[str, str], WorkspaceSettings]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(_settings))).all()
        return {(row.platform, row.workspace): _settings_of(row) for row in rows}

    async def save_workspace_settings(
        self,
        platform: str,
        workspace: str,
        settings: WorkspaceSettings | None,
        *,
        changes: Sequence[SettingsChange],
    ) -> None:
        """Store (None: drop) the overrides and log `changes`, in one transaction."""
        where = and_(_settings.c.platform == platform, _settings.c.workspace == workspace)
        async with self._db.engine.begin() as conn:
            if settings is None:
                await conn.execute(delete(_settings).where(where))
            else:
                values = _columns(settings)
                stmt = dialect_insert(self._dialect, _settings).values(
                    platform=platform, workspace=workspace, **values
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=["platform", "workspace"], set_=values
                )
                await conn.execute(stmt)
            if changes:
                await conn.execute(
                    _log.insert(),
                    [
                        {
                            "platform": platform,
                            "workspace": workspace,
                            "at": c.at,
                            "by_user_id": c.by_user_id[:64],
                            "by_name": c.by_name[:255],
                            "change": c.change,
                        }
                        for c in changes
                    ],
                )

    async def settings_log(
        self, platform: str, workspace: str, *, limit: int = 20
    ) -> list[SettingsChange]:
        """The latest logged changes, newest first."""
        stmt = (
            select(_log)
            .where(and_(_log.c.platform == platform, _log.c.workspace == workspace))
            .order_by(_log.c.at.desc(), _log.c.id.desc())
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [SettingsChange(r.at, r.by_user_id, r.by_name, r.change) for r in rows]

    # --- spend per workspace --------------------------------------------------------

    async def record_workspace_spend(self, day: date, workspace: str, *, usd: float) -> None:
        """Add to the workspace's day (atomic, so concurrent instances never lose spend)."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                _add_spend(self._dialect), {"day": day, "workspace": workspace, "usd": usd}
            )

    async def workspace_spent_usd(self, workspace: str, start: date, end: date) -> float:
        stmt = select(func.coalesce(func.sum(_usage.c.usd), 0.0)).where(
            and_(_usage.c.workspace == workspace, _usage.c.day.between(start, end))
        )
        async with self._db.engine.connect() as conn:
            usd = (await conn.execute(stmt)).scalar_one()
        # Float sums drift in the last digits; cents are what budgets compare.
        return round(float(usd), 6)


if TYPE_CHECKING:
    from core.ports import WorkspaceSettingsStore, WorkspaceSpendLedger

    def _implements_ports(
        store: SqlWorkspaceSettingsStore,
    ) -> tuple[WorkspaceSettingsStore, WorkspaceSpendLedger]:
        """Lets mypy prove the store satisfies both ports it is wired as."""
        return store, store
