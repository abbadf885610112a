"""Search pages, posts and ranked candidates to and from JSON data, for the per-day cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from core.models import Candidate, Mention, Post, Reason, ReasonKind, SearchPage, Tier, XUser


def _encode_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_row(cls: type[Post] | type[XUser], row: dict[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in row:
            continue
        value = row[f.name]
        if f.name == "created_at" and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif f.name == "mentions" and isinstance(value, list):
            value = tuple(Mention(str(m["id"]), str(m["username"])) for m in value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def encode_posts(posts: Sequence[Post]) -> list[dict[str, Any]]:
    return [{k: _encode_value(v) for k, v in asdict(p).items()} for p in posts]


def decode_posts(rows: Sequence[dict[str, Any]]) -> tuple[Post, ...]:
    return tuple(_decode_row(Post, p) for p in rows)


def encode_users(users: Sequence[XUser]) -> list[dict[str, Any]]:
    return [{k: _encode_value(v) for k, v in asdict(u).items()} for u in users]


def decode_users(rows: Sequence[dict[str, Any]]) -> tuple[XUser, ...]:
    return tuple(_decode_row(XUser, u) for u in rows)


def encode_page(page: SearchPage) -> dict[str, Any]:
    """A page as plain JSON data (rate-limit info is not worth caching)."""
    return {
        "posts": encode_posts(page.posts),
        "users": encode_users(page.users),
        "next_token": page.next_token,
    }


def decode_page(payload: dict[str, Any]) -> SearchPage:
    return SearchPage(
        posts=decode_posts(payload.get("posts", [])),
        users=decode_users(payload.get("users", [])),
        next_token=payload.get("next_token"),
    )


def _encode_candidate(c: Candidate) -> dict[str, Any]:
    return {
        "user": encode_users([c.user])[0],
        "tier": c.tier.value if c.tier else None,
        "engagement_rate": c.engagement_rate,
        "relevance": c.relevance,
        "suspicion": c.suspicion,
        "score": c.score,
        "reasons": [[r.kind.value, r.text] for r in c.reasons],
        "sampled_posts": c.sampled_posts,
        "niche_posts": c.niche_posts,
        "verified_on": c.verified_on,
        "verified_on_niche": c.verified_on_niche,
        "mentioned_by": c.mentioned_by,
        "small_sample": c.small_sample,
        "sample_posts": encode_posts(c.sample_posts),
    }


def _decode_candidate(row: dict[str, Any]) -> Candidate:
    return Candidate(
        user=decode_users([row["user"]])[0],
        tier=Tier(row["tier"]) if row.get("tier") else None,
        engagement_rate=float(row["engagement_rate"]),
        relevance=float(row["relevance"]),
        suspicion=float(row["suspicion"]),
        score=float(row["score"]),
        reasons=tuple(Reason(ReasonKind(kind), text) for kind, text in row.get("reasons", [])),
        sampled_posts=int(row.get("sampled_posts", 0)),
        niche_posts=int(row.get("niche_posts", 0)),
        verified_on=int(row.get("verified_on", 0)),
        verified_on_niche=int(row.get("verified_on_niche", 0)),
        mentioned_by=int(row.get("mentioned_by", 0)),
        small_sample=bool(row.get("small_sample", False)),
        sample_posts=decode_posts(row.get("sample_posts", [])),
    )


def encode_candidates(candidates: Sequence[Candidate]) -> dict[str, Any]:
    """Ranked candidates as JSON data (a day's results, which digests merge)."""
    return {"candidates": [_encode_candidate(c) for c in candidates]}


def decode_candidates(rows: Sequence[dict[str, Any]]) -> list[Candidate]:
    return [_decode_candidate(row) for row in rows]
