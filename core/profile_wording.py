"""How a profile reads in every front end: the compact line under a search result, and
the facts of `/profile @handle` (front ends add their own links and markup)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from core.contacts import contact_hints
from core.growth import growth_line
from core.models import Candidate, Growth, XUser

SEP = " · "


def _same(text: str) -> str:
    return text


def website_text(url: str) -> str:
    """`https://www.janelifts.co/` -> `janelifts.co`: a website as people say it."""
    text = url.strip()
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    return text.removeprefix("www.").rstrip("/")


def ago(when: datetime, now: datetime) -> str:
    """`today`, `yesterday`, `3 days ago`, `5 weeks ago`, `2024-03-01` (past a year)."""
    days = (now.date() - when.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 21:
        return f"{days} days ago"
    if days < 365:
        return f"{days // 7} weeks ago"
    return f"{when:%Y-%m-%d}"


def profile_line(
    user: XUser,
    *,
    contacts: Sequence[str],
    latest_post_at: datetime | None,
    now: datetime,
    quote: Callable[[str], str] = _same,
) -> str:
    """`Lagos · janelifts.co · joined 2019 · listed 212 · last post 2 days ago · contact:
    jane@janelifts.co`: the parts X gave, nothing for the rest (and "" when X gave none
    but the list count: a line of its own is not worth that). `quote` escapes X's text."""
    if not (user.location.strip() or user.url or user.created_at or latest_post_at or contacts):
        return ""
    parts = []
    if user.location.strip():
        parts.append(quote(" ".join(user.location.split())[:60]))
    if user.url:
        parts.append(quote(website_text(user.url)[:60]))
    if user.created_at is not None:
        parts.append(f"joined {user.created_at:%Y}")
    parts.append(f"listed {user.listed_count:,}")
    if latest_post_at is not None:
        parts.append(f"last post {ago(latest_post_at, now)}")
    if contacts:
        parts.append("contact: " + ", ".join(quote(c) for c in contacts[:2]))
    return SEP.join(parts)


def candidate_profile(
    c: Candidate, now: datetime | None = None, quote: Callable[[str], str] = _same
) -> str:
    """The compact profile line under one search result (now: the current time)."""
    return profile_line(
        c.user,
        contacts=contact_hints(c.user),
        latest_post_at=c.latest_post_at,
        now=now or datetime.now(UTC),
        quote=quote,
    )


def profile_facts(
    user: XUser,
    *,
    latest_post_at: datetime | None,
    now: datetime,
    quote: Callable[[str], str] = _same,
) -> list[tuple[str, str]]:
    """(label, value) for `/profile`: location, website, joined, listed, posts, last post."""
    facts = []
    if user.location.strip():
        facts.append(("Location", quote(" ".join(user.location.split()))))
    if user.url:
        facts.append(("Website", quote(user.url)))
    if user.created_at is not None:
        facts.append(("Joined", f"{user.created_at:%Y-%m-%d}"))
    facts.append(("Listed", f"on {user.listed_count:,} lists"))
    facts.append(("Posts", f"{user.post_count:,}, following {user.following:,}"))
    if latest_post_at is not None:
        when = f"{latest_post_at:%Y-%m-%d} ({ago(latest_post_at, now)})"
        facts.append(("Last post", when))
    elif user.post_count == 0:
        facts.append(("Last post", "no posts yet"))
    return facts


def growth_text(g: Growth | None) -> str:
    """The growth line of a profile, or why there is none."""
    return growth_line(g) if g is not None else "no stored snapshots yet"


def no_audit_text(handle: str) -> str:
    return f"none yet (/audit @{handle} checks its recent followers)"
