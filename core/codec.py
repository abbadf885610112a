"""Search pages to and from JSON-safe dicts, for the per-day search cache."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from core.models import Post, SearchPage, XUser


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
        kwargs[f.name] = value
    return cls(**kwargs)


def encode_page(page: SearchPage) -> dict[str, Any]:
    """A page as plain JSON data (rate-limit info is not worth caching)."""
    return {
        "posts": [{k: _encode_value(v) for k, v in asdict(p).items()} for p in page.posts],
        "users": [{k: _encode_value(v) for k, v in asdict(u).items()} for u in page.users],
        "next_token": page.next_token,
    }


def decode_page(payload: dict[str, Any]) -> SearchPage:
    return SearchPage(
        posts=tuple(_decode_row(Post, p) for p in payload.get("posts", [])),
        users=tuple(_decode_row(XUser, u) for u in payload.get("users", [])),
        next_token=payload.get("next_token"),
    )
