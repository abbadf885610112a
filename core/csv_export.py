"""CSV files of searches and watchlists: the column tables, the rows, formula escaping.

The columns are a contract (README "Exports and charts"): add at the end, never rename
or reorder. Text cells that a spreadsheet would run as a formula (they start with `=`,
`+`, `-`, `@`, a tab or a carriage return; OWASP's CSV injection advice) get a leading
`'`; numbers stay numbers. Written with the stdlib `csv` module: UTF-8 without a BOM,
`\\r\\n` line ends, which Excel, LibreOffice and Google Sheets all read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.contacts import contact_hints
from core.models import (
    Candidate,
    Growth,
    ReasonKind,
    SearchResult,
    WatchEntry,
    XUser,
)

# What a spreadsheet treats as the start of a formula (or hides one behind).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# How lists (reasons, contacts) are joined inside one cell.
JOIN = " | "

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column: its header and what it holds (documented in the README)."""

    name: str
    help: str


SEARCH_COLUMNS: tuple[Column, ...] = (
    Column("rank", "place in the ranking, 1 first"),
    Column("username", "X handle, without @"),
    Column("name", "display name"),
    Column("url", "profile link"),
    Column("followers", "follower count"),
    Column("tier", "nano, micro, mid, macro, mega (empty: below nano)"),
    Column("score", "ranking score"),
    Column("engagement_rate", "interactions per follower per post (0.0361 = 3.61%)"),
    Column("relevance", "how much of its posting is on the niche, 0 to 1"),
    Column("suspicion", "how suspicious its numbers look, 0 to 1"),
    Column("sampled_posts", "posts its figures are computed on"),
    Column("niche_posts", "its posts on the niche seen in search"),
    Column("verified_on", "timeline posts read to verify it (0: not verified)"),
    Column("verified_on_niche", "how many of those were on the niche"),
    Column("mentioned_by", "distinct niche authors who mention it"),
    Column("small_sample", "true when the figures rest on few posts"),
    Column("reasons", "every reason behind its place, joined with ' | '"),
    Column("suspicion_reasons", "the reasons that are suspicion signals"),
    Column("bio", "profile description"),
    Column("location", "profile location"),
    Column("website", "profile website"),
    Column("joined", "account creation date (ISO)"),
    Column("listed_count", "lists it is on"),
    Column("latest_post_at", "its newest post this search read (ISO; empty: none)"),
    Column("contacts", "email addresses and link pages in the bio, joined with ' | '"),
    Column("niche", "the niche searched"),
    Column("query", "the X search query"),
    Column("source", "x-api, or sample for the bundled offline sample"),
    Column("searched_at", "when the file was made (ISO, UTC)"),
)

WATCHLIST_COLUMNS: tuple[Column, ...] = (
    Column("username", "X handle, without @"),
    Column("name", "display name"),
    Column("url", "profile link"),
    Column("followers", "latest known follower count"),
    Column("tier", "nano, micro, mid, macro, mega (empty: below nano or unknown)"),
    Column("added_at", "when the channel started tracking it (ISO)"),
    Column("bio", "profile description"),
    Column("location", "profile location"),
    Column("website", "profile website"),
    Column("joined", "account creation date (ISO)"),
    Column("listed_count", "lists it is on"),
    Column("contacts", "email addresses and link pages in the bio, joined with ' | '"),
    Column("snapshots", "stored follower snapshots (one per refresh)"),
    Column("first_seen", "its oldest stored snapshot (ISO)"),
    Column("growth_7d", "relative follower change over 7 days (0.032 = +3.2%; empty: too new)"),
    Column("growth_30d", "the same over 30 days"),
    Column("growth_90d", "the same over 90 days"),
    Column("last_audit_fake_share", "likely-fake share of recent followers at the last audit"),
    Column("last_audit_at", "when that audit ran (ISO)"),
    Column("source", "x-api, or sample for the bundled offline sample"),
)


def escape(value: Cell | bool) -> Cell:
    """A cell a spreadsheet shows as typed: formula-looking text gets a leading `'`.

    Numbers are left alone (they are data, and a number cannot carry a formula).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _iso(moment: datetime | date | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment is not None else ""


def _ratio(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def latest_post_at(c: Candidate) -> datetime | None:
    """When the candidate last posted, as far as the search read: its own field, else
    the newest of its sample posts."""
    if c.latest_post_at is not None:
        return c.latest_post_at
    return max((p.created_at for p in c.sample_posts if p.created_at), default=None)


def _profile(user: XUser | None) -> dict[str, Cell]:
    if user is None:
        keys = ("bio", "location", "website", "joined", "listed_count", "contacts")
        return dict.fromkeys(keys)
    return {
        "bio": user.description,
        "location": user.location,
        "website": user.url,
        "joined": _day(user.created_at),
        "listed_count": user.listed_count,
        "contacts": JOIN.join(contact_hints(user)),
    }


def search_rows(result: SearchResult, searched_at: datetime) -> list[dict[str, Cell | bool]]:
    """One row per ranked account, keyed by `SEARCH_COLUMNS` names."""
    rows: list[dict[str, Cell | bool]] = []
    for rank, c in enumerate(result.results, 1):
        rows.append(
            {
                "rank": rank,
                "username": c.user.username,
                "name": c.user.name,
                "url": c.user.profile_url,
                "followers": c.user.followers,
                "tier": c.tier.value if c.tier else "",
                "score": round(c.score, 2),
                "engagement_rate": round(c.engagement_rate, 6),
                "relevance": round(c.relevance, 4),
                "suspicion": round(c.suspicion, 4),
                "sampled_posts": c.sampled_posts,
                "niche_posts": c.niche_posts,
                "verified_on": c.verified_on,
                "verified_on_niche": c.verified_on_niche,
                "mentioned_by": c.mentioned_by,
                "small_sample": c.small_sample,
                "reasons": JOIN.join(r.text for r in c.reasons),
                "suspicion_reasons": JOIN.join(
                    r.text for r in c.reasons if r.kind is ReasonKind.SUSPICION
                ),
                **_profile(c.user),
                "latest_post_at": _iso(latest_post_at(c)),
                "niche": result.niche,
                "query": result.query,
                "source": result.source,
                "searched_at": _iso(searched_at),
            }
        )
    return rows


def watchlist_row(
    entry: WatchEntry, user: XUser | None, growth: Growth, source: str
) -> dict[str, Cell | bool]:
    """One tracked account, keyed by `WATCHLIST_COLUMNS` names. `user` is None for an
    account X no longer returns (its profile cells stay empty)."""
    audit = entry.last_audit
    return {
        "username": entry.username,
        "name": entry.name or (user.name if user else ""),
        "url": f"https://x.com/{entry.username}",
        "followers": entry.followers,
        "tier": entry.tier.value if entry.tier else "",
        "added_at": _iso(entry.added_at),
        **_profile(user),
        "snapshots": growth.points,
        "first_seen": _iso(growth.first_at),
        "growth_7d": _ratio(growth.change_7d),
        "growth_30d": _ratio(growth.change_30d),
        "growth_90d": _ratio(growth.change_90d),
        "last_audit_fake_share": _ratio(audit.fake_share) if audit else None,
        "last_audit_at": _iso(audit.observed_at) if audit else "",
        "source": source,
    }


def to_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, Cell | bool]]) -> bytes:
    """The header and the rows as UTF-8 CSV, every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the csv module's default: `\r\n` line ends
    names = [c.name for c in columns]
    writer.writerow(names)
    for row in rows:
        writer.writerow([escape(row.get(name)) for name in names])
    return buffer.getvalue().encode("utf-8")
