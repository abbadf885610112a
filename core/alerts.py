"""Tier-crossing alerts and account notices: what a refresh decides for each account.

Pure functions. A crossing counts only past the hysteresis margin (`confirmed_tier`),
so an account hovering at 49,990 / 50,010 / 49,995 raises nothing; the confirmed tier
is kept per account and tiering, and every channel that tracks it is told once per change.

A tiering is the boundaries and margin a set of tier states is decided with: "" for
every workspace on the deployment's, `workspace_key(platform, workspace)` for a
workspace with its own (`Tierings`). An account tracked in two workspaces with
different boundaries has a state in each tiering, and each workspace hears of its own
crossings only. A change of settings never alerts by itself:

- a workspace that resets (or sets values equal to the deployment's) joins the ""
  state as it stands, silently, as any newly tracking channel does; its own state is
  forgotten after the pass (`TierStateStore.forget_untracked`);
- a workspace that sets its own values for the first time starts a state of its own
  with a first sighting (no alert);
- a workspace that changes its values again has its states re-baselined once under the
  new ones (`decide(..., rebaseline=True)`: no crossing, since the account did not move).
Only later movement under the workspace's current values alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from core.models import (
    AccountNotice,
    AccountStatus,
    OutboxMessage,
    Scope,
    Tier,
    TierAlert,
    TierState,
    Watcher,
    XUser,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries, confirmed_tier, format_count
from core.workspace_settings import WorkspaceSettings, workspace_key

STATUS_MISSING = "missing"
STATUS_RENAMED = "renamed"
DEFAULT_TIERING = ""


@dataclass(frozen=True, slots=True)
class Tiering:
    """The boundaries and margin one set of tier states is decided with.

    `since`: when the workspace last changed its settings; its states decided before
    then are re-baselined (None: never, as for the deployment's own tiering).
    """

    key: str
    bounds: TierBoundaries
    margin: float
    since: datetime | None = None

    def stale(self, state: TierState | None) -> bool:
        """Whether `state` may have been decided before this tiering's settings last changed
        (at the same instant too: re-baselining is the side that never alerts wrongly)."""
        return state is not None and self.since is not None and state.changed_at <= self.since


class Tierings:
    """Which tiering each workspace follows, from the settings read once per refresh pass."""

    def __init__(
        self,
        settings: Mapping[tuple[str, str], WorkspaceSettings],
        *,
        bounds: TierBoundaries = DEFAULT_TIERS,
        margin: float = 0.02,
    ) -> None:
        self.default = Tiering(DEFAULT_TIERING, bounds, margin)
        self._own: dict[tuple[str, str], Tiering] = {}
        for (platform, workspace), own in settings.items():
            own_bounds = own.bounds if own.bounds is not None else bounds
            own_margin = own.margin if own.margin is not None else margin
            # Values equal to the deployment's are the deployment's: one shared state.
            if (own_bounds, own_margin) != (bounds, margin):
                key = workspace_key(platform, workspace)
                self._own[(platform, workspace)] = Tiering(
                    key, own_bounds, own_margin, own.updated_at
                )

    def of(self, scope: Scope) -> Tiering:
        return self._own.get((scope.platform, scope.workspace), self.default)

    def keys(self) -> dict[tuple[str, str], str]:
        """(platform, workspace) -> tiering key, for every workspace not on ""."""
        return {workspace: t.key for workspace, t in self._own.items()}

    def grouped(self, watchers: list[Watcher]) -> list[tuple[Tiering, list[Watcher]]]:
        """The watchers of one account by tiering, in the order they come."""
        groups: dict[str, tuple[Tiering, list[Watcher]]] = {}
        for watcher in watchers:
            tiering = self.of(watcher.scope)
            groups.setdefault(tiering.key, (tiering, []))[1].append(watcher)
        return list(groups.values())


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """A new state for one account and the events that warrant telling its channels."""

    state: TierState
    expected_version: int | None
    crossing: tuple[Tier | None, Tier | None] | None = None
    renamed_from: str | None = None
    went_missing: bool = False


def decide(
    user_id: str,
    state: TierState | None,
    user: XUser | None,
    now: datetime,
    *,
    bounds: TierBoundaries = DEFAULT_TIERS,
    margin: float = 0.02,
    tiering: str = DEFAULT_TIERING,
    rebaseline: bool = False,
) -> AccountUpdate | None:
    """Compare what X returned for an account (None: it did not) with its last state.

    Returns None when nothing worth recording changed. A first sighting records the
    account's tier without an alert; a disappearance is reported once, until the
    account comes back. `rebaseline` (the tiering's settings changed since `state`)
    records the tier under `bounds` afresh, without a crossing, and always writes, so
    the next pass decides from it as usual.
    """
    version = state.version + 1 if state else 1
    expected = state.version if state else None
    if user is None:
        if state is not None and state.status is AccountStatus.MISSING:
            return None
        new = TierState(
            user_id=user_id,
            username=state.username if state else user_id,
            tier=state.tier if state else None,
            followers=state.followers if state else 0,
            status=AccountStatus.MISSING,
            version=version,
            changed_at=now,
            tiering=tiering,
        )
        return AccountUpdate(new, expected, went_missing=True)

    if state is None:
        tier = confirmed_tier(None, user.followers, bounds, margin, first=True)
        new = TierState(
            user_id, user.username, tier, user.followers, AccountStatus.ACTIVE, 1, now, tiering
        )
        return AccountUpdate(new, None)

    if rebaseline:
        tier = confirmed_tier(None, user.followers, bounds, margin, first=True)
        crossed = False
    else:
        tier = confirmed_tier(state.tier, user.followers, bounds, margin)
        crossed = tier != state.tier
    renamed = user.username.lower() != state.username.lower()
    returned = state.status is AccountStatus.MISSING
    if not (crossed or renamed or returned or rebaseline):
        return None
    new = TierState(
        user_id,
        user.username,
        tier,
        user.followers if crossed or rebaseline else state.followers,
        AccountStatus.ACTIVE,
        version,
        now,
        tiering,
    )
    return AccountUpdate(
        new,
        expected,
        crossing=(state.tier, tier) if crossed else None,
        renamed_from=state.username if renamed else None,
    )


def growth(now_followers: int, then_followers: int | None) -> float | None:
    """Relative change, e.g. 0.042 for +4.2 %; None without a usable earlier count."""
    if then_followers is None or then_followers <= 0:
        return None
    return (now_followers - then_followers) / then_followers


def tier_rank(tier: Tier | None, bounds: TierBoundaries = DEFAULT_TIERS) -> int:
    """Orders tiers: no tier lowest."""
    return -1 if tier is None else bounds.lower(tier)


def is_upward(alert: TierAlert) -> bool:
    return tier_rank(alert.after_tier) > tier_rank(alert.before_tier)


def _scope_key(scope: Scope) -> str:
    return f"{scope.platform}|{scope.workspace}|{scope.channel}"


def message_key(kind: str, state: TierState, scope: Scope) -> str:
    """Idempotency key of one decision told to one channel.

    The decision's time is part of it, so a state dropped and re-created later (an
    account untracked, then tracked again) never collides with an old message. A
    workspace's own tiering is part of it too (the deployment's, "", leaves the key as
    it always was, so an upgrade never resends), so two tierings never dedupe each other.
    """
    stamp = state.changed_at.strftime("%Y%m%dT%H%M%S.%f")
    tiering = f"|t={state.tiering}" if state.tiering else ""
    return f"{kind}|{state.user_id}{tiering}|v{state.version}|{stamp}|{_scope_key(scope)}"


def messages_for(
    update: AccountUpdate,
    user: XUser | None,
    watchers: list[Watcher],
    *,
    before_followers: int | None,
    growth_7d: float | None,
    growth_30d: float | None,
) -> tuple[OutboxMessage, ...]:
    """The alert and notices one account update sends to each channel tracking it."""
    state = update.state
    out: list[OutboxMessage] = []
    for watcher in watchers:
        scope = watcher.scope
        if update.went_missing:
            notice = AccountNotice(
                scope,
                state.user_id,
                state.username or watcher.username,
                STATUS_MISSING,
                "X no longer returns this account (suspended, deactivated or deleted); "
                "it stays on the watchlist in case it comes back.",
            )
            out.append(OutboxMessage(message_key("missing", state, scope), scope, notice))
        if update.renamed_from is not None and user is not None:
            notice = AccountNotice(
                scope,
                state.user_id,
                user.username,
                STATUS_RENAMED,
                f"@{update.renamed_from} is now @{user.username}",
            )
            out.append(OutboxMessage(message_key("renamed", state, scope), scope, notice))
        if update.crossing is not None and user is not None:
            before_tier, after_tier = update.crossing
            alert = TierAlert(
                scope=scope,
                user_id=state.user_id,
                username=user.username,
                name=user.name,
                before_tier=before_tier,
                after_tier=after_tier,
                before_followers=before_followers
                if before_followers is not None
                else user.followers,
                after_followers=user.followers,
                observed_at=state.changed_at,
                growth_7d=growth_7d,
                growth_30d=growth_30d,
            )
            out.append(OutboxMessage(message_key("alert", state, scope), scope, alert))
    return tuple(out)


def describe_alert(alert: TierAlert) -> str:
    """Plain words for an alert (logs and the terminal)."""
    before = alert.before_tier.value if alert.before_tier else "no tier"
    after = alert.after_tier.value if alert.after_tier else "no tier"
    arrow = "up" if is_upward(alert) else "down"
    parts = [
        f"@{alert.username} moved {arrow} from {before} to {after}: "
        f"{format_count(alert.before_followers)} -> {format_count(alert.after_followers)} "
        "followers"
    ]
    for label, value in (("7 days", alert.growth_7d), ("30 days", alert.growth_30d)):
        parts.append(f"{value:+.1%} over {label}" if value is not None else f"n/a over {label}")
    return "; ".join(parts)
