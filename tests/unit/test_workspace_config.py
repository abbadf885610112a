"""`/influencer-settings` on in-memory fakes: show, set, reset, refusals and the log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.commands import SETTINGS, SettingsAction, SettingsCommand, parse_command
from core.errors import BadInput, NotAllowed
from core.models import Caller, Scope
from core.scoring import ScoringWeights
from core.settings_wording import NOT_ADMIN, settings_lines
from core.tiers import TierBoundaries
from core.workspace_config import DEPLOYMENT_ADMIN, SettingsView, WorkspaceConfig
from core.workspace_settings import SearchTuning, WorkspaceSettings
from tests.fakes.memory import FixedClock, MemoryWorkspaceSettings

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SLACK = Scope("slack", "T1", "C1")
OTHER = Scope("slack", "T2", "C9")
ADMIN = Caller("U1", "Ana", is_admin=True)
MEMBER = Caller("U2", "Bo", is_admin=False)


def make(budget: float | None = 25.0) -> tuple[WorkspaceConfig, MemoryWorkspaceSettings]:
    store = MemoryWorkspaceSettings()
    return WorkspaceConfig(store, FixedClock(NOW), budget_usd=budget), store


def set_(text: str) -> SettingsCommand:
    command = parse_command(SETTINGS.name, f"set {text}")
    assert isinstance(command, SettingsCommand)
    return command


SHOW = SettingsCommand(SettingsAction.SHOW)
RESET = SettingsCommand(SettingsAction.RESET)


async def test_show_lists_every_setting_as_the_deployments_default() -> None:
    config, _ = make()
    view = await config.handle(SHOW, SLACK, MEMBER)  # anyone may look
    assert view.settings == WorkspaceSettings()
    assert view.effective.bounds == TierBoundaries()
    assert view.effective.budget_usd == 25.0
    lines = settings_lines(view.settings, view.effective)
    assert [line.split()[0] for line in lines] == [
        "tiers",
        "margin",
        "weights",
        "min_relevance",
        "budget",
    ]
    assert all(line.endswith("(deployment default)") for line in lines)
    assert "nano=1k,micro=10k,mid=50k,macro=500k,mega=1m" in lines[0]


async def test_set_stores_the_workspaces_own_values_and_logs_who_changed_them() -> None:
    config, store = make()
    view = await config.handle(
        set_(
            "tiers:nano=1k,micro=5k,mid=40k,macro=500k,mega=1m margin:0.05 "
            "weights:engagement=0.4,relevance=0.35,authenticity=0.25 min_relevance:0.5 budget:10"
        ),
        SLACK,
        ADMIN,
    )
    own = store.settings[("slack", "T1")]
    assert own.bounds == TierBoundaries(1_000, 5_000, 40_000, 500_000, 1_000_000)
    assert own.margin == 0.05
    assert own.weights == ScoringWeights(0.4, 0.35, 0.25, 0.6)
    assert own.min_relevance == 0.5
    assert own.budget_usd == 10.0
    assert own.updated_by == "Ana"
    assert own.updated_at == NOW
    assert view.changed == ("tiers", "margin", "weights", "min_relevance", "budget")
    log = store.log[("slack", "T1")]
    assert log[0].change == ("tiers: default → nano=1k,micro=5k,mid=40k,macro=500k,mega=1m")
    assert "margin: default → 0.05" in [c.change for c in log]
    assert {(c.by_user_id, c.by_name, c.at) for c in log} == {("U1", "Ana", NOW)}
    # `show` says which are the workspace's own, and lists the last changes.
    shown = await config.handle(SHOW, SLACK, MEMBER)
    lines = settings_lines(shown.settings, shown.effective, shown.history)
    assert all("(this workspace)" in line for line in lines[:5])
    assert len(shown.history) == 5
    assert "by Ana" in lines[-1]


async def test_named_tiers_and_weights_change_the_rest_stay() -> None:
    config, store = make()
    await config.handle(set_("tiers:micro=5k weights:relevance=0.6"), SLACK, ADMIN)
    own = store.settings[("slack", "T1")]
    assert own.bounds == TierBoundaries(micro=5_000)
    assert own.weights == ScoringWeights(relevance=0.6)
    # A second change starts from the workspace's values, not the defaults.
    await config.handle(set_("tiers:mid=40k"), SLACK, ADMIN)
    assert store.settings[("slack", "T1")].bounds == TierBoundaries(micro=5_000, mid=40_000)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tiers:nano=lots", "follower count"),
        ("tiers:micro=500", "must go up"),
        ("tiers:giant=5m", "Unknown name 'giant'"),
        ("tiers:micro", "tiers look like"),
        ("margin:0.5", "between 0 and 0.2"),
        ("margin:-0.01", "between 0 and 0.2"),
        ("margin:abc", "not a number"),
        ("margin:nan", "not a number"),
        ("weights:engagement=-1", "engagement weight"),
        ("weights:engagement=0,relevance=0,authenticity=0", "At least one"),
        ("weights:charm=1", "Unknown name 'charm'"),
        ("weights:suspicion_penalty=2", "suspicion_penalty"),
        ("min_relevance:1.5", "between 0 and 1"),
        ("budget:0", "above 0"),
        ("budget:-5", "above 0"),
        ("budget:inf", "not a number"),
        ("budget:100", "X_MONTHLY_BUDGET_USD ($25.00)"),
        # A good value beside a bad one is not stored either.
        ("margin:0.05 budget:100", "ceiling"),
    ],
)
async def test_every_bad_value_is_refused_in_one_line_and_nothing_changes(
    text: str, says: str
) -> None:
    config, store = make()
    with pytest.raises(BadInput) as refused:
        await config.handle(set_(text), SLACK, ADMIN)
    message = str(refused.value)
    assert says in message
    assert "\n" not in message
    assert message.endswith("Nothing was changed.")
    assert store.settings == {}
    assert store.log == {}


async def test_a_budget_share_needs_no_ceiling_when_the_deployment_has_none() -> None:
    config, store = make(budget=None)
    await config.handle(set_("budget:500"), SLACK, ADMIN)
    assert store.settings[("slack", "T1")].budget_usd == 500.0


async def test_non_admins_cannot_set_or_reset_and_nothing_changes() -> None:
    config, store = make()
    await config.handle(set_("margin:0.05"), SLACK, ADMIN)
    before = (dict(store.settings), {k: list(v) for k, v in store.log.items()})
    for command in (set_("margin:0.1"), RESET):
        with pytest.raises(NotAllowed) as refused:
            await config.handle(command, SLACK, MEMBER)
        assert str(refused.value) == NOT_ADMIN
    assert (dict(store.settings), {k: list(v) for k, v in store.log.items()}) == before


async def test_the_deployments_own_console_and_command_line_are_the_admin() -> None:
    config, store = make()
    await config.handle(set_("min_relevance:0.5"), SLACK, None)
    (entry,) = store.log[("slack", "T1")]
    assert entry.by_name == DEPLOYMENT_ADMIN
    assert entry.change == "min_relevance: default → 0.5"


async def test_reset_drops_every_override_and_logs_each() -> None:
    config, store = make()
    await config.handle(set_("margin:0.05 budget:10"), SLACK, ADMIN)
    view = await config.handle(RESET, SLACK, ADMIN)
    assert store.settings == {}
    assert view.settings == WorkspaceSettings()
    assert view.effective.margin == 0.02
    assert [c.change for c in store.log[("slack", "T1")]][-2:] == [
        "margin: 0.05 → default",
        "budget: $10.00/month → default",
    ]
    again = await config.handle(RESET, SLACK, ADMIN)
    assert "Nothing to reset" in again.message
    assert len(store.log[("slack", "T1")]) == 4


async def test_default_drops_one_setting_and_the_same_value_again_logs_nothing() -> None:
    config, store = make()
    await config.handle(set_("margin:0.05 budget:10"), SLACK, ADMIN)
    same = await config.handle(set_("margin:0.05"), SLACK, ADMIN)
    assert same.changed == ()
    assert "Nothing changed" in same.message
    assert len(store.log[("slack", "T1")]) == 2
    await config.handle(set_("margin:default"), SLACK, ADMIN)
    own = store.settings[("slack", "T1")]
    assert own.margin is None
    assert own.budget_usd == 10.0


async def test_workspaces_keep_their_own_settings() -> None:
    config, _ = make()
    await config.handle(set_("min_relevance:0.6"), SLACK, ADMIN)
    other = await config.handle(SHOW, OTHER, ADMIN)
    assert other.settings == WorkspaceSettings()
    assert other.history == ()
    assert (await config.handle(SHOW, SLACK, ADMIN)).effective.min_relevance == 0.6


async def test_tuning_carries_the_workspaces_search_settings_only() -> None:
    config, _ = make()
    assert await config.tuning(SLACK) is None
    await config.handle(set_("margin:0.05 budget:10"), SLACK, ADMIN)
    assert await config.tuning(SLACK) is None  # neither changes how a search ranks
    await config.handle(set_("weights:engagement=1"), SLACK, ADMIN)
    assert await config.tuning(SLACK) == SearchTuning(
        TierBoundaries(), ScoringWeights(engagement=1.0), 0.35
    )
    spender = await config.spender(SLACK)
    assert (spender.workspace, spender.budget_usd) == ("slack:T1", 10.0)
    assert (await config.spender(OTHER)).budget_usd is None


def test_settings_view_keeps_the_leads_fields() -> None:
    view = SettingsView(SLACK, WorkspaceSettings(), WorkspaceSettings())
    assert (view.changed, view.message, view.history, view.source) == ((), "", (), "")
