"""JSON shapes of the scheduling commands (`refresh`, `alerts`, `digest`, `outbox`).

A contract like `payloads.py`: keys are added, never renamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.cli.payloads import candidate_json, cost_json
from core.alerts import is_upward
from core.digests import DueDigest, next_occurrence
from core.models import (
    WEEKDAYS,
    AccountNotice,
    Digest,
    DigestSubscription,
    DigestSubscriptionsView,
    OutboxItem,
    OutboxStatus,
    Scope,
    TierAlert,
    on_sample,
)
from core.outbox import DeliveryReport
from core.refresh import RefreshReport


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def scope_json(scope: Scope) -> dict[str, str]:
    return {"platform": scope.platform, "workspace": scope.workspace, "channel": scope.channel}


def crossings_json(
    alerts: Iterable[tuple[TierAlert, OutboxStatus | None]],
) -> list[dict[str, Any]]:
    """Alerts grouped into crossings: one per account change, with every channel told."""
    grouped: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for alert, status in alerts:
        key = (alert.user_id, alert.observed_at.isoformat(), alert.after_tier)
        entry = grouped.get(key)
        if entry is None:
            entry = grouped[key] = {
                "user_id": alert.user_id,
                "username": alert.username,
                "name": alert.name,
                "before_tier": alert.before_tier.value if alert.before_tier else None,
                "after_tier": alert.after_tier.value if alert.after_tier else None,
                "direction": "up" if is_upward(alert) else "down",
                "before_followers": alert.before_followers,
                "after_followers": alert.after_followers,
                "growth_7d": alert.growth_7d,
                "growth_30d": alert.growth_30d,
                "observed_at": alert.observed_at.isoformat(),
                "url": f"https://x.com/{alert.username}",
                "channels": [],
            }
        channel: dict[str, Any] = scope_json(alert.scope)
        if status is not None:
            channel["status"] = status.value
        entry["channels"].append(channel)
    return list(grouped.values())


def notice_json(notice: AccountNotice) -> dict[str, Any]:
    return {
        **scope_json(notice.scope),
        "user_id": notice.user_id,
        "username": notice.username,
        "status": notice.status,
        "detail": notice.detail,
    }


def refresh_json(report: RefreshReport) -> dict[str, Any]:
    return {
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "accounts": report.accounts,
        "checked": report.checked,
        "found": report.found,
        "requests": report.cost.requests,
        "missing": list(report.missing),
        "crossings": crossings_json((a, None) for a in report.alerts),
        "notices": [notice_json(n) for n in report.notices],
        "cost": cost_json(report.cost),
        "seconds": report.seconds,
        "stopped_early": report.stopped_early,
        "sample": on_sample(report),
    }


def subscription_json(sub: DigestSubscription, now: datetime) -> dict[str, Any]:
    nxt = next_occurrence(sub.weekday, sub.at, sub.tz, now)
    return {
        "id": sub.id,
        **scope_json(sub.scope),
        "niche": sub.niche,
        "weekday": WEEKDAYS[sub.weekday],
        "time": f"{sub.at:%H:%M}",
        "tz": sub.tz,
        "paused": sub.paused,
        "next_at": None if sub.paused else nxt.at.isoformat(),
    }


def subscriptions_json(view: DigestSubscriptionsView, now: datetime) -> dict[str, Any]:
    return {
        **scope_json(view.scope),
        "message": view.message,
        "subscriptions": [subscription_json(s, now) for s in view.subscriptions],
        "sample": on_sample(view),
    }


def digest_json(digest: Digest) -> dict[str, Any]:
    return {
        **scope_json(digest.scope),
        "niche": digest.niche,
        "source": digest.source,
        "preview": digest.preview,
        "since": _iso(digest.since),
        "until": _iso(digest.until),
        "nothing_new": not digest.candidates,
        "accounts": [candidate_json(c) for c in digest.candidates],
        "cost": cost_json(digest.cost),
        "sample": on_sample(digest),
    }


def delivery_json(report: DeliveryReport) -> dict[str, Any]:
    return {
        "delivered": report.delivered,
        "retrying": report.retrying,
        "failed": report.failed,
        "paused": report.paused,
        "deferred": report.deferred,
        "attempts": report.attempts,
    }


def run_due_json(
    now: datetime, decided: Sequence[DueDigest], delivery: DeliveryReport
) -> dict[str, Any]:
    return {
        "now": now.isoformat(),
        "digests": [
            {
                "subscription_id": d.subscription.id,
                "period": d.period.isoformat(),
                "scheduled_for": d.scheduled_at.isoformat(),
                **digest_json(d.digest),
            }
            for d in decided
        ],
        "delivery": delivery_json(delivery),
    }


def outbox_item_json(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        **scope_json(item.scope),
        "status": item.status.value,
        "attempts": item.attempts,
        "summary": item.summary,
        "created_at": item.created_at.isoformat(),
        "next_attempt_at": item.next_attempt_at.isoformat(),
        "delivered_at": _iso(item.delivered_at),
        "last_error": item.last_error,
    }


def outbox_json(
    counts: dict[OutboxStatus, int],
    items: dict[OutboxStatus, list[OutboxItem]],
    paused_channels: Sequence[tuple[Scope, str, datetime]],
) -> dict[str, Any]:
    return {
        "counts": {status.value: counts.get(status, 0) for status in OutboxStatus},
        **{
            status.value: [outbox_item_json(i) for i in items.get(status, [])]
            for status in OutboxStatus
        },
        "paused_channels": [
            {**scope_json(scope), "reason": reason, "paused_at": at.isoformat()}
            for scope, reason, at in paused_channels
        ],
    }
