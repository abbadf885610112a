"""Core results as the JSON shapes the command line promises (a contract: keep keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.contacts import contact_hints
from core.models import (
    AuditSummary,
    Candidate,
    Cost,
    LeftOut,
    Post,
    ReasonKind,
    SearchResult,
    WatchChange,
    WatchlistView,
    XUser,
    on_sample,
)


def cost_json(cost: Cost) -> dict[str, Any]:
    return {
        "requests": cost.requests,
        "posts_read": cost.posts_read,
        "users_read": cost.users_read,
        "usd": round(cost.usd, 4),
        # Additions to the contract: timeline posts and count requests, and the dollars
        # split by what was paid for.
        "timeline_posts": cost.timeline_posts,
        "count_requests": cost.count_requests,
        "usd_posts": round(cost.usd_posts, 4),
        "usd_users": round(cost.usd_users, 4),
        "usd_timelines": round(cost.usd_timelines, 4),
        "usd_counts": round(cost.usd_counts, 4),
    }


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "url": post.url,
        "text": post.text,
        "created_at": post.created_at.isoformat() if post.created_at else None,
        "likes": post.likes,
        "reposts": post.reposts,
        "replies": post.replies,
        "quotes": post.quotes,
        "impressions": post.impressions,
    }


def left_out_json(left: LeftOut) -> dict[str, Any]:
    return {"count": left.count, "reason": left.reason}


def seed_json(seed: XUser) -> dict[str, Any]:
    return {
        "username": seed.username,
        "name": seed.name,
        "followers": seed.followers,
        "url": seed.profile_url,
    }


def candidate_json(c: Candidate) -> dict[str, Any]:
    return {
        "username": c.user.username,
        "name": c.user.name,
        "followers": c.user.followers,
        "tier": c.tier.value if c.tier else None,
        "engagement_rate": round(c.engagement_rate, 6),
        "relevance": round(c.relevance, 4),
        "suspicion": round(c.suspicion, 4),
        "score": round(c.score, 2),
        "reasons": [r.text for r in c.reasons],
        "url": c.user.profile_url,
        # Additions to the contract: which reasons are suspicion signals, and the sample size.
        "suspicion_reasons": [r.text for r in c.reasons if r.kind is ReasonKind.SUSPICION],
        "sampled_posts": c.sampled_posts,
        # The evidence behind the numbers.
        "niche_posts": c.niche_posts,
        "verified_on": c.verified_on,
        "verified_on_niche": c.verified_on_niche,
        "mentioned_by": c.mentioned_by,
        "small_sample": c.small_sample,
        "sample_posts": [post_json(p) for p in c.sample_posts],
        # The profile: bio, links, contact hints, and when the account last posted.
        **profile_fields(c.user, c.latest_post_at),
    }


def profile_fields(user: XUser, latest_post_at: datetime | None) -> dict[str, Any]:
    """`bio`, `location`, `website`, `joined`, `listed_count`, `latest_post_at`, `contacts`."""
    return {
        "bio": user.description,
        "location": user.location,
        "website": user.url or None,
        "joined": user.created_at.isoformat() if user.created_at else None,
        "listed_count": user.listed_count,
        "latest_post_at": latest_post_at.isoformat() if latest_post_at else None,
        "contacts": list(contact_hints(user)),
    }


def search_json(result: SearchResult) -> dict[str, Any]:
    return {
        "niche": result.niche,
        "query": result.query,
        "source": result.source,
        "results": [candidate_json(c) for c in result.results],
        "cost": cost_json(result.cost),
        "from_cache": result.from_cache,
        "pages_read": result.pages_read,
        "stopped_early": result.stopped_early,
        "budget_left_usd": result.budget_left_usd,
        # Additions: accounts in range not listed and why, the niche's posts this week
        # (null when not counted), and for lookalike searches the seed and its terms.
        "left_out": [left_out_json(x) for x in result.left_out],
        "niche_size": result.niche_size,
        "like": result.seed.username if result.seed else None,
        "seed": seed_json(result.seed) if result.seed else None,
        "seed_terms": list(result.seed_terms),
        # Addition: true when the bundled sample answered (every --json answer says so).
        "sample": on_sample(result),
    }


def watch_change_json(change: WatchChange) -> dict[str, Any]:
    return {
        "added": list(change.added),
        "removed": list(change.removed),
        "already": list(change.already),
        "not_found": list(change.not_found),
        "cost": cost_json(change.cost),
        "sample": on_sample(change),
    }


def watchlist_json(view: WatchlistView) -> dict[str, Any]:
    return {
        "channel": view.scope.channel,
        "accounts": [
            {
                "username": e.username,
                "name": e.name,
                "followers": e.followers,
                "tier": e.tier.value if e.tier else None,
                "added_at": e.added_at.isoformat() if e.added_at else None,
                "url": f"https://x.com/{e.username}",
                # Addition to the contract: the latest stored follower audit, or null.
                "last_audit": last_audit_json(e.last_audit) if e.last_audit else None,
            }
            for e in view.entries
        ],
        "sample": on_sample(view),
    }


def last_audit_json(audit: AuditSummary) -> dict[str, Any]:
    return {
        "fake_share": round(audit.fake_share, 4),
        "ci_low": round(audit.ci_low, 4),
        "ci_high": round(audit.ci_high, 4),
        "at": audit.observed_at.isoformat(),
        # Addition (issue 14): the share allowing for the model's error (null if older).
        "share_low": None if audit.share_low is None else round(audit.share_low, 4),
        "share_high": None if audit.share_high is None else round(audit.share_high, 4),
    }
