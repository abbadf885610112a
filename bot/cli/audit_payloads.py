"""Follower audits as the JSON shapes the command line promises (a contract: keep keys)."""

from __future__ import annotations

from typing import Any

from bot.cli.payloads import cost_json
from core.models import AuditNeedsConfirmation, AuditResult


def audit_json(result: AuditResult) -> dict[str, Any]:
    return {
        "handle": result.handle,
        "user_id": result.user_id,
        "name": result.name,
        "followers": result.followers,
        "requested_sample": result.requested_sample,
        "sample_size": result.sample_size,
        "fake_count": result.fake_count,
        "fake_share": round(result.fake_share, 4),
        "ci_low": round(result.ci_low, 4),
        "ci_high": round(result.ci_high, 4),
        "confidence": 0.95,
        "mean_fake_probability": round(result.mean_probability, 4),
        "threshold": result.threshold,
        # Addition (issue 14): the share of fakes allowing for the classifier's own error
        # (null on audits stored before it was kept), and the error ranges it allowed for.
        "share_low": None if result.share_low is None else round(result.share_low, 4),
        "share_high": None if result.share_high is None else round(result.share_high, 4),
        "model_error": None
        if result.people_flagged is None or result.fakes_caught is None
        else {
            "people_flagged": list(result.people_flagged),
            "fakes_caught": list(result.fakes_caught),
        },
        "top_reasons": [
            {"code": r.code, "text": r.text, "count": r.count} for r in result.top_reasons
        ],
        "cost": cost_json(result.cost),
        "source": result.source,
        "from_cache": result.from_cache,
        "partial": result.partial,
        "pages_read": result.pages_read,
        "observed_at": result.observed_at.isoformat(),
        "budget_left_usd": result.budget_left_usd,
        "url": result.profile_url,
    }


def audit_confirmation_json(ask: AuditNeedsConfirmation) -> dict[str, Any]:
    return {
        "needs_confirmation": True,
        "handle": ask.handle,
        "sample": ask.sample,
        "followers": ask.followers,
        "estimated_cost_usd": ask.estimated_cost_usd,
        "limit_usd": ask.limit_usd,
        # Addition: which X would be read ("sample": the bundled sample). `sample` here
        # is already the number of followers to audit, as in every audit answer.
        "source": ask.source,
    }
