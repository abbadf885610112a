"""Search pages to and from JSON-safe dicts, for the per-day search cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from core.models import Mention, Post, SearchPage, XUser


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
