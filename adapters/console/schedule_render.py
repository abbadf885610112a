"""Plain-text rendering of scheduled work: alerts, notices, and the scheduling commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.console.render import cost_line, render_digest, with_banner
from core.alerts import STATUS_MISSING, STATUS_RENAMED, is_upward
from core.digests import DueDigest
from core.models import (
    AccountNotice,
    Digest,
    Notice,
    OutboxItem,
    OutboxStatus,
    Scope,
    TierAlert,
    on_sample,
)
from core.outbox import DeliveryReport
from core.refresh import RefreshReport
from core.tiers import format_count
from core.wording import plural


def where(scope: Scope) -> str:
    return f"{scope.platform}:{scope.workspace}:{scope.channel}"


def _growth(alert: TierAlert) -> str:
    parts = []
    for label, value in (("7 days", alert.growth_7d), ("30 days", alert.growth_30d)):
        parts.append(f"{value:+.1%} over {label}" if value is not None else f"{label}: n/a")
    return ", ".join(parts)


def render_alert(alert: TierAlert) -> str:
    before = alert.before_tier.value if alert.before_tier else "no tier"
    after = alert.after_tier.value if alert.after_tier else "no tier"
    arrow = "up" if is_upward(alert) else "down"
    return "\n".join(
        [
            f"Tier alert: @{alert.username} ({alert.name}) moved {arrow} from {before} to {after}",
            f"  followers: {alert.before_followers:,} -> {alert.after_followers:,} "
            f"({format_count(alert.after_followers)})",
            f"  growth: {_growth(alert)}",
            f"  https://x.com/{alert.username}",
        ]
    )


def render_account_notice(notice: AccountNotice) -> str:
    if notice.status == STATUS_RENAMED:
        head = notice.detail or f"@{notice.username} was renamed"
        return f"Watchlist: renamed: {head}."
    if notice.status == STATUS_MISSING:
        return f"Watchlist: @{notice.username} is no longer on X. {notice.detail}".rstrip()
    return f"Watchlist: @{notice.username}: {notice.status}. {notice.detail}".rstrip()


def render_notice(notice: Notice) -> str:
    match notice:
        case TierAlert():
            return render_alert(notice)
        case AccountNotice():
            return render_account_notice(notice)
        case Digest():
            return with_banner(render_digest(notice), on_sample(notice))
    raise TypeError(type(notice).__name__)  # pragma: no cover - Notice is a closed union


def _crossing_line(alert: TierAlert) -> str:
    before = alert.before_tier.value if alert.before_tier else "no tier"
    after = alert.after_tier.value if alert.after_tier else "no tier"
    return (
        f"@{alert.username}: {before} -> {after} ({alert.before_followers:,} -> "
        f"{alert.after_followers:,}; {_growth(alert)})"
    )


def render_refresh(report: RefreshReport) -> str:
    sample = on_sample(report)
    lines = [
        f"Refreshed {report.checked} of {plural(report.accounts, 'tracked account')} in "
        f"{plural(report.cost.requests, 'request')}, {report.seconds:.1f} s."
    ]
    if report.alerts:
        lines.append("Tier crossings:")
        seen: dict[tuple[str, str], list[TierAlert]] = {}
        for alert in report.alerts:
            seen.setdefault((alert.user_id, alert.observed_at.isoformat()), []).append(alert)
        for group in seen.values():
            channels = ", ".join(where(a.scope) for a in group)
            lines.append(f"  {_crossing_line(group[0])} -> {channels}")
    else:
        lines.append("No tier crossings.")
    lines.extend(
        f"  {render_account_notice(notice)} -> {where(notice.scope)}" for notice in report.notices
    )
    if report.stopped_early:
        lines.append(f"Stopped early: {report.stopped_early}.")
    lines.append(cost_line(report.cost, sample=sample))
    return with_banner("\n".join(lines), sample)


def render_alert_list(
    alerts: Sequence[tuple[TierAlert, OutboxStatus]], *, sample: bool = False
) -> str:
    if not alerts:
        return with_banner("No tier crossings yet.", sample)
    lines = [f"Recent tier crossings ({len(alerts)}):"]
    for alert, status in alerts:
        lines.append(
            f"  {alert.observed_at:%Y-%m-%d %H:%M} {_crossing_line(alert)} "
            f"-> {where(alert.scope)} [{status.value}]"
        )
    return with_banner("\n".join(lines), sample)


def render_delivery(report: DeliveryReport) -> str:
    return (
        f"Delivery: {report.delivered} delivered, {report.retrying} retrying, "
        f"{report.failed} failed, {report.paused} paused, {report.deferred} deferred."
    )


def render_run_due(
    now: datetime, decided: Sequence[DueDigest], report: DeliveryReport, *, sample: bool = False
) -> str:
    if not decided:
        return with_banner(
            f"No digests due at {now.isoformat()}.\n{render_delivery(report)}", sample
        )
    lines = [f"{plural(len(decided), 'digest')} due at {now.isoformat()}:"]
    for d in decided:
        count = len(d.digest.candidates)
        what = plural(count, "account") if count else "nothing new this week"
        lines.append(
            f'  "{d.digest.niche}" -> {where(d.subscription.scope)} '
            f"(period {d.period.isoformat()}): {what}"
        )
    lines.append(render_delivery(report))
    return with_banner("\n".join(lines), sample)


def render_outbox(
    counts: dict[OutboxStatus, int],
    items: dict[OutboxStatus, list[OutboxItem]],
    paused_channels: Sequence[tuple[Scope, str, datetime]],
    *,
    sample: bool = False,
) -> str:
    lines = ["Outbox: " + ", ".join(f"{counts.get(s, 0)} {s.value}" for s in OutboxStatus)]
    for status in (
        OutboxStatus.FAILED,
        OutboxStatus.PENDING,
        OutboxStatus.PAUSED,
        OutboxStatus.DELIVERED,
    ):
        shown = items.get(status, [])
        if not shown:
            continue
        lines.append(f"{status.value.capitalize()}:")
        for item in shown:
            when = item.delivered_at or item.next_attempt_at
            extra = (
                f" last error: {item.last_error}"
                if item.last_error and status is not OutboxStatus.DELIVERED
                else ""
            )
            lines.append(
                f"  #{item.id} {item.kind} -> {where(item.scope)}: {item.summary} "
                f"({plural(item.attempts, 'attempt')}, {when:%Y-%m-%d %H:%M} UTC){extra}"
            )
    for scope, reason, at in paused_channels:
        lines.append(f"Paused channel {where(scope)} since {at:%Y-%m-%d %H:%M} UTC: {reason}")
    return with_banner("\n".join(lines), sample)
