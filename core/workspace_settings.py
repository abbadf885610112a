"""Settings per workspace and guild: `/influencer-settings` (issue 12).

The definitions are the lead's; the settings helper fills in `WorkspaceConfig`.
A field left None means "the deployment's setting" (bot.settings): a workspace only
stores what it changed, and `X_MONTHLY_BUDGET_USD` stays the ceiling over all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.scoring import ScoringWeights
from core.tiers import TierBoundaries


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    """One workspace's overrides (None: the deployment's value)."""

    bounds: TierBoundaries | None = None
    margin: float | None = None
    weights: ScoringWeights | None = None
    min_relevance: float | None = None
    budget_usd: float | None = None
    updated_at: datetime | None = None
    updated_by: str = ""


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """One logged change: who, when, what (`tiers: default -> nano=1k,...`)."""

    at: datetime
    by_user_id: str
    by_name: str
    change: str


@dataclass(frozen=True, slots=True)
class SearchTuning:
    """What a workspace's settings change in its searches (`Discovery.search(tuning=)`)."""

    bounds: TierBoundaries
    weights: ScoringWeights
    min_relevance: float


def workspace_key(platform: str, workspace: str) -> str:
    """`slack:T123`: how a workspace is named in tier states and usage."""
    return f"{platform}:{workspace}"
