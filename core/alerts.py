"""Tier-crossing alerts and account notices: what a refresh decides for each account.

Pure functions. A crossing counts only past the hysteresis margin (`confirmed_tier`),
so an account hovering at 49,990 / 50,010 / 49,995 raises nothing; the confirmed tier
is kept per account and every channel that tracks it is told once per change.
"""

from __future__ import annotations

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

STATUS_MISSING = "missing"
STATUS_RENAMED = "renamed"


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
) -> AccountUpdate | None:
    """Compare what X returned for an account (None: it did not) with its last state.

    Returns None when nothing worth recording changed. A first sighting records the
    account's tier without an alert; a disappearance is reported once, until the
    account comes back.
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
        )
        return AccountUpdate(new, expected, went_missing=True)

    if state is None:
        tier = confirmed_tier(None, user.followers, bounds, margin, first=True)
        new = TierState(user_id, user.username, tier, user.followers, AccountStatus.ACTIVE, 1, now)
        return AccountUpdate(new, None)

    tier = confirmed_tier(state.tier, user.followers, bounds, margin)
    crossed = tier != state.tier
    renamed = user.username.lower() != state.username.lower()
    returned = state.status is AccountStatus.MISSING
    if not (crossed or renamed or returned):
        return None
    new = TierState(
        user_id,
        user.username,
        tier,
        user.followers if crossed else state.followers,
        AccountStatus.ACTIVE,
        version,
        now,
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
    account untracked, then tracked again) never collides with an old message.
    """
    stamp = state.changed_at.strftime("%Y%m%dT%H%M%S.%f")
    return f"{kind}|{state.user_id}|v{state.version}|{stamp}|{_scope_key(scope)}"


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
