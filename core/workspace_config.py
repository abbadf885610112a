"""`/influencer-settings`: show and change one workspace's settings (issue 12).

A workspace (Slack team, Discord guild, the console) stores only what it changed; every
other setting is the deployment's. Anyone may look; only an admin may set or reset,
and each change is logged with who made it. The same settings feed its searches
(`tuning`) and its share of the X budget (`spender`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.commands import SettingsAction, SettingsCommand
from core.costs import CostMeter, Spender
from core.errors import BadInput, NotAllowed
from core.models import Caller, Scope
from core.ports import Clock, WorkspaceSettingsStore
from core.scoring import ScoringWeights
from core.settings_wording import (
    NOT_ADMIN,
    NOTHING_CHANGED,
    SETTING_NAMES,
    change_text,
    parse_setting,
    setting_value,
    with_value,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries
from core.workspace_settings import (
    SearchTuning,
    SettingsChange,
    WorkspaceSettings,
    workspace_key,
)

# The deployment's own console and command line: its operator is the admin.
DEPLOYMENT_ADMIN = "deployment admin"
HISTORY_SHOWN = 5


@dataclass(frozen=True, slots=True)
class SettingsView:
    """A workspace's settings as shown (effective values and which are its own), and
    what a `set`/`reset` changed."""

    scope: Scope
    settings: WorkspaceSettings
    effective: WorkspaceSettings
    changed: tuple[str, ...] = ()
    message: str = ""
    history: tuple[SettingsChange, ...] = ()
    source: str = ""
    # X_MONTHLY_BUDGET_USD (None: no limit), and the workspace's spend this month
    # (None on the sample, which spends nothing).
    ceiling_usd: float | None = None
    spent_usd: float | None = None


class WorkspaceConfig:
    """Show and change one workspace's settings (admins only for changes)."""

    def __init__(
        self,
        store: WorkspaceSettingsStore,
        clock: Clock,
        *,
        bounds: TierBoundaries = DEFAULT_TIERS,
        margin: float = 0.02,
        weights: ScoringWeights | None = None,
        min_relevance: float = 0.35,
        budget_usd: float | None = None,
        meter: CostMeter | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._meter = meter
        self._min_relevance = min_relevance
        # Every field set: what a workspace that changed nothing runs on.
        self.defaults = WorkspaceSettings(
            bounds=bounds,
            margin=margin,
            weights=weights or ScoringWeights(),
            min_relevance=min_relevance,
            budget_usd=budget_usd,
        )

    # --- reading ----------------------------------------------------------------------

    async def own(self, scope: Scope) -> WorkspaceSettings:
        """The workspace's stored overrides (all None when it changed nothing)."""
        return await self._store.workspace_settings(scope.platform, scope.workspace) or (
            WorkspaceSettings()
        )

    def effective(self, own: WorkspaceSettings) -> WorkspaceSettings:
        """`own` over the deployment's defaults (a budget shown as the deployment's when
        the workspace has no share of its own: then that budget alone applies)."""
        d = self.defaults
        return replace(
            own,
            bounds=own.bounds or d.bounds,
            margin=d.margin if own.margin is None else own.margin,
            weights=own.weights or d.weights,
            min_relevance=d.min_relevance if own.min_relevance is None else own.min_relevance,
            budget_usd=d.budget_usd if own.budget_usd is None else own.budget_usd,
        )

    async def tuning(self, scope: Scope) -> SearchTuning | None:
        """How the workspace's searches differ from the deployment's (None: they do not)."""
        return self.tuning_of(await self.own(scope))

    def tuning_of(self, own: WorkspaceSettings) -> SearchTuning | None:
        """`tuning` for overrides already read (`own`): a command reads them once."""
        if own.bounds is None and own.weights is None and own.min_relevance is None:
            return None
        d = self.defaults
        return SearchTuning(
            own.bounds or d.bounds or DEFAULT_TIERS,
            own.weights or d.weights or ScoringWeights(),
            self._min_relevance if own.min_relevance is None else own.min_relevance,
        )

    async def spender(self, scope: Scope) -> Spender:
        """Whose X spend a command from `scope` is, and the workspace's share if any."""
        return self.spender_of(scope, await self.own(scope))

    @staticmethod
    def spender_of(scope: Scope, own: WorkspaceSettings) -> Spender:
        """`spender` for overrides already read (`own`)."""
        return Spender(workspace_key(scope.platform, scope.workspace), own.budget_usd)

    # --- the command ------------------------------------------------------------------

    async def handle(
        self,
        command: SettingsCommand,
        scope: Scope,
        caller: Caller | None,
        *,
        own: WorkspaceSettings | None = None,
    ) -> SettingsView:
        """`own`: the workspace's overrides if this command already read them."""
        match command.action:
            case SettingsAction.SET:
                _require_admin(caller)
                return await self._set(command.values, scope, caller, own)
            case SettingsAction.RESET:
                _require_admin(caller)
                return await self._reset(scope, caller, own)
        return await self._view(scope, own if own is not None else await self.own(scope))

    async def _set(
        self,
        values: tuple[tuple[str, str], ...],
        scope: Scope,
        caller: Caller | None,
        own: WorkspaceSettings | None,
    ) -> SettingsView:
        own = own if own is not None else await self.own(scope)
        updated = own
        # Every value is read before anything is stored: one bad value changes nothing.
        for name, text in values:
            try:
                value = parse_setting(
                    name, text, self.effective(updated), ceiling=self.defaults.budget_usd
                )
            except BadInput as err:
                raise BadInput(f"{err} {NOTHING_CHANGED}") from None
            updated = with_value(updated, name, value)
        return await self._save(scope, own, updated, caller, done="Saved")

    async def _reset(
        self, scope: Scope, caller: Caller | None, own: WorkspaceSettings | None
    ) -> SettingsView:
        own = own if own is not None else await self.own(scope)
        if not any(setting_value(own, name) is not None for name in SETTING_NAMES):
            return await self._view(
                scope,
                own,
                message="Nothing to reset: this workspace uses the deployment's settings.",
            )
        return await self._save(scope, own, WorkspaceSettings(), caller, done="Reset")

    async def _save(
        self,
        scope: Scope,
        own: WorkspaceSettings,
        updated: WorkspaceSettings,
        caller: Caller | None,
        *,
        done: str,
    ) -> SettingsView:
        now = self._clock.now()
        by_id = caller.user_id if caller else ""
        by_name = (caller.name or caller.user_id) if caller else DEPLOYMENT_ADMIN
        changed = tuple(
            name
            for name in SETTING_NAMES
            if setting_value(own, name) != setting_value(updated, name)
        )
        if not changed:
            return await self._view(
                scope, own, message="Nothing changed: those are the values already set."
            )
        log = [
            SettingsChange(
                now,
                by_id,
                by_name,
                change_text(name, setting_value(own, name), setting_value(updated, name)),
            )
            for name in changed
        ]
        empty = all(setting_value(updated, name) is None for name in SETTING_NAMES)
        stored = None if empty else replace(updated, updated_at=now, updated_by=by_name)
        await self._store.save_workspace_settings(
            scope.platform, scope.workspace, stored, changes=log
        )
        message = f"{done}: " + "; ".join(c.change for c in log)
        return await self._view(scope, stored or WorkspaceSettings(), changed, message)

    async def _view(
        self,
        scope: Scope,
        own: WorkspaceSettings,
        changed: tuple[str, ...] = (),
        message: str = "",
    ) -> SettingsView:
        history = await self._store.settings_log(
            scope.platform, scope.workspace, limit=HISTORY_SHOWN
        )
        spent = None
        if self._meter is not None and not self._meter.simulate:
            key = workspace_key(scope.platform, scope.workspace)
            spent = await self._meter.workspace_spent_this_month(key)
        return SettingsView(
            scope,
            own,
            self.effective(own),
            changed,
            message,
            tuple(history),
            ceiling_usd=self.defaults.budget_usd,
            spent_usd=spent,
        )


def _require_admin(caller: Caller | None) -> None:
    if caller is not None and not caller.is_admin:
        raise NotAllowed(NOT_ADMIN)
