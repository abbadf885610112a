"""Stored JSON stays readable: rows written before the pydantic codecs decode, and back.

The literal dicts below are what the hand-written codecs (`core/codec.py`, the notice
codec of `core/outbox.py`) wrote for the values built here; they are the rows already in
deployed databases. Each must decode to its value, the new encoding must decode to the
same value, and the new encoding keeps the old shape (only datetimes may now end in `Z`
instead of `+00:00`, which both versions read).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.storage.codecs import (
    decode_cached,
    decode_notice,
    decode_reason_counts,
    encode_cached,
    encode_notice,
    encode_reason_counts,
)
from core.models import (
    AccountNotice,
    Candidate,
    Cost,
    Digest,
    FoundCandidates,
    Mention,
    Notice,
    Post,
    PostCounts,
    Reason,
    ReasonCount,
    ReasonKind,
    RejectedOperator,
    Scope,
    SearchPage,
    Tier,
    TierAlert,
    TimelinePage,
    XUser,
)
from core.ports import Cached

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANNA = XUser(
    "1",
    "anna",
    "Anna",
    20_000,
    300,
    4_000,
    listed_count=5,
    like_count=7,
    description="coach",
    location="Oslo",
    url="https://a.example",
    created_at=datetime(2019, 6, 1, 17, 30, 15, 123456, tzinfo=UTC),
    verified=True,
    profile_image_url="https://img/1",
)
BOB = XUser("2", "bob", "Bob", 9_000, 100, 50)
POST = Post(
    "9",
    "1",
    "Leg day #fitness @bob",
    created_at=T0,
    lang="en",
    likes=400,
    reposts=31,
    replies=18,
    quotes=2,
    impressions=9120,
    mentions=(Mention("2", "bob"),),
    hashtags=("fitness",),
    is_quote=True,
    paid_partnership=True,
)
FOUND = FoundCandidates(
    (
        Candidate(
            ANNA,
            Tier.MICRO,
            0.0213,
            0.87,
            0.1,
            78.4,
            (Reason(ReasonKind.STRENGTH, "engagement 2.13%"), Reason(ReasonKind.SUSPICION, "new")),
            sampled_posts=20,
            niche_posts=2,
            verified_on=20,
            verified_on_niche=17,
            mentioned_by=3,
            small_sample=True,
            sample_posts=(POST,),
        ),
        Candidate(BOB, None, 0.01, 0.4, 0.0, 12.0, ()),
    )
)
A = Scope("slack", "T1", "C1")
DIGEST_CANDIDATE = Candidate(
    ANNA, Tier.MICRO, 0.0213, 0.87, 0.1, 78.4, (Reason(ReasonKind.STRENGTH, "5 posts"),), 5
)

# -- what the old codecs wrote -----------------------------------------------------------

OLD_PAGE: dict[str, Any] = {
    "posts": [
        {
            "id": "9",
            "author_id": "1",
            "text": "Leg day #fitness @bob",
            "created_at": "2026-03-01T12:00:00+00:00",
            "lang": "en",
            "likes": 400,
            "reposts": 31,
            "replies": 18,
            "quotes": 2,
            "impressions": 9120,
            "mentions": [{"id": "2", "username": "bob"}],
            "hashtags": ["fitness"],
            "is_reply": False,
            "is_quote": True,
            "is_repost": False,
            "paid_partnership": True,
        },
        {
            "id": "10",
            "author_id": "2",
            "text": "hi",
            "created_at": None,
            "lang": "",
            "likes": 0,
            "reposts": 0,
            "replies": 0,
            "quotes": 0,
            "impressions": 0,
            "mentions": [],
            "hashtags": [],
            "is_reply": False,
            "is_quote": False,
            "is_repost": False,
            "paid_partnership": False,
        },
    ],
    "users": [
        {
            "id": "1",
            "username": "anna",
            "name": "Anna",
            "followers": 20000,
            "following": 300,
            "post_count": 4000,
            "listed_count": 5,
            "like_count": 7,
            "description": "coach",
            "location": "Oslo",
            "url": "https://a.example",
            "created_at": "2019-06-01T17:30:15.123456+00:00",
            "verified": True,
            "protected": False,
            "default_avatar": False,
            "profile_image_url": "https://img/1",
        },
        {
            "id": "2",
            "username": "bob",
            "name": "Bob",
            "followers": 9000,
            "following": 100,
            "post_count": 50,
            "listed_count": 0,
            "like_count": 0,
            "description": "",
            "location": "",
            "url": "",
            "created_at": None,
            "verified": False,
            "protected": False,
            "default_avatar": False,
            "profile_image_url": "",
        },
    ],
    "next_token": "tok2",
}

OLD_TIMELINE: dict[str, Any] = {
    "posts": [
        {
            "id": "9",
            "author_id": "1",
            "text": "Leg day #fitness @bob",
            "created_at": "2026-03-01T12:00:00+00:00",
            "lang": "en",
            "likes": 400,
            "reposts": 31,
            "replies": 18,
            "quotes": 2,
            "impressions": 9120,
            "mentions": [{"id": "2", "username": "bob"}],
            "hashtags": ["fitness"],
            "is_reply": False,
            "is_quote": True,
            "is_repost": False,
            "paid_partnership": True,
        }
    ],
    "unavailable": None,
}

OLD_FOUND: dict[str, Any] = {
    "candidates": [
        {
            "user": {
                "id": "1",
                "username": "anna",
                "name": "Anna",
                "followers": 20000,
                "following": 300,
                "post_count": 4000,
                "listed_count": 5,
                "like_count": 7,
                "description": "coach",
                "location": "Oslo",
                "url": "https://a.example",
                "created_at": "2019-06-01T17:30:15.123456+00:00",
                "verified": True,
                "protected": False,
                "default_avatar": False,
                "profile_image_url": "https://img/1",
            },
            "tier": "micro",
            "engagement_rate": 0.0213,
            "relevance": 0.87,
            "suspicion": 0.1,
            "score": 78.4,
            "reasons": [["strength", "engagement 2.13%"], ["suspicion", "new"]],
            "sampled_posts": 20,
            "niche_posts": 2,
            "verified_on": 20,
            "verified_on_niche": 17,
            "mentioned_by": 3,
            "small_sample": True,
            "sample_posts": [
                {
                    "id": "9",
                    "author_id": "1",
                    "text": "Leg day #fitness @bob",
                    "created_at": "2026-03-01T12:00:00+00:00",
                    "lang": "en",
                    "likes": 400,
                    "reposts": 31,
                    "replies": 18,
                    "quotes": 2,
                    "impressions": 9120,
                    "mentions": [{"id": "2", "username": "bob"}],
                    "hashtags": ["fitness"],
                    "is_reply": False,
                    "is_quote": True,
                    "is_repost": False,
                    "paid_partnership": True,
                }
            ],
        },
        {
            "user": {
                "id": "2",
                "username": "bob",
                "name": "Bob",
                "followers": 9000,
                "following": 100,
                "post_count": 50,
                "listed_count": 0,
                "like_count": 0,
                "description": "",
                "location": "",
                "url": "",
                "created_at": None,
                "verified": False,
                "protected": False,
                "default_avatar": False,
                "profile_image_url": "",
            },
            "tier": None,
            "engagement_rate": 0.01,
            "relevance": 0.4,
            "suspicion": 0.0,
            "score": 12.0,
            "reasons": [],
            "sampled_posts": 0,
            "niche_posts": 0,
            "verified_on": 0,
            "verified_on_niche": 0,
            "mentioned_by": 0,
            "small_sample": False,
            "sample_posts": [],
        },
    ]
}

OLD_ALERT: dict[str, Any] = {
    "scope": {"platform": "slack", "workspace": "T1", "channel": "C1"},
    "user_id": "1",
    "username": "anna",
    "name": "Anna",
    "before_tier": "micro",
    "after_tier": "mid",
    "before_followers": 49990,
    "after_followers": 51000,
    "observed_at": "2026-03-01T12:00:00+00:00",
    "growth_7d": 0.05,
    "growth_30d": None,
}

OLD_ALERT_TO_NO_TIER: dict[str, Any] = {
    "scope": {"platform": "slack", "workspace": "T1", "channel": "C1"},
    "user_id": "1",
    "username": "anna",
    "name": "Anna",
    "before_tier": "nano",
    "after_tier": None,
    "before_followers": 1000,
    "after_followers": 900,
    "observed_at": "2026-03-01T12:00:00+00:00",
    "growth_7d": None,
    "growth_30d": None,
}

OLD_NOTICE: dict[str, Any] = {
    "scope": {"platform": "slack", "workspace": "T1", "channel": "C1"},
    "user_id": "1",
    "username": "anna",
    "status": "missing",
    "detail": "gone",
}

OLD_DIGEST: dict[str, Any] = {
    "scope": {"platform": "slack", "workspace": "T1", "channel": "C1"},
    "niche": "fitness",
    "candidates": [
        {
            "user": {
                "id": "1",
                "username": "anna",
                "name": "Anna",
                "followers": 20000,
                "following": 300,
                "post_count": 4000,
                "listed_count": 5,
                "like_count": 7,
                "description": "coach",
                "location": "Oslo",
                "url": "https://a.example",
                "created_at": "2019-06-01T17:30:15.123456+00:00",
                "verified": True,
                "protected": False,
                "default_avatar": False,
                "profile_image_url": "https://img/1",
            },
            "tier": "micro",
            "engagement_rate": 0.0213,
            "relevance": 0.87,
            "suspicion": 0.1,
            "score": 78.4,
            "reasons": [{"kind": "strength", "text": "5 posts"}],
            "sampled_posts": 5,
        }
    ],
    "source": "x-api",
    "cost": [1, 100, 40, 0.9],
    "since": "2026-03-01T12:00:00+00:00",
    "until": "2026-03-08T12:00:00+00:00",
    "preview": False,
}

OLD_EMPTY_DIGEST: dict[str, Any] = {
    "scope": {"platform": "slack", "workspace": "T1", "channel": "C1"},
    "niche": "fitness",
    "candidates": [],
    "source": "sample",
    "cost": [0, 0, 0, 0.0],
    "since": None,
    "until": None,
    "preview": True,
}

OLD_COUNTS: dict[str, Any] = {"total": 9786}
OLD_TIMELINE_GONE: dict[str, Any] = {"posts": [], "unavailable": "protected"}
OLD_REJECTED: dict[str, Any] = {"operator": "min_likes"}
OLD_TOP_REASONS: list[dict[str, Any]] = [
    {"code": "default_avatar", "text": "default profile picture", "count": 12},
    {"code": "no_posts", "text": "has never posted", "count": 3},
]

CACHED: list[tuple[dict[str, Any], Cached]] = [
    (OLD_PAGE, SearchPage((POST, Post("10", "2", "hi")), (ANNA, BOB), next_token="tok2")),
    (OLD_TIMELINE, TimelinePage((POST,))),
    (OLD_TIMELINE_GONE, TimelinePage((), unavailable="protected")),
    (OLD_COUNTS, PostCounts(9786)),
    (OLD_FOUND, FOUND),
    (OLD_REJECTED, RejectedOperator("min_likes")),
]
NOTICES: list[tuple[str, dict[str, Any], Notice]] = [
    (
        "alert",
        OLD_ALERT,
        TierAlert(A, "1", "anna", "Anna", Tier.MICRO, Tier.MID, 49_990, 51_000, T0, 0.05),
    ),
    (
        "alert",
        OLD_ALERT_TO_NO_TIER,
        TierAlert(A, "1", "anna", "Anna", Tier.NANO, None, 1_000, 900, T0),
    ),
    ("notice", OLD_NOTICE, AccountNotice(A, "1", "anna", "missing", "gone")),
    (
        "digest",
        OLD_DIGEST,
        Digest(
            A,
            "fitness",
            (DIGEST_CANDIDATE,),
            "x-api",
            Cost(1, 100, 40, 0.9),
            T0,
            T0 + timedelta(days=7),
        ),
    ),
    ("digest", OLD_EMPTY_DIGEST, Digest(A, "fitness", (), "sample", Cost(), None, None, True)),
]
CACHE_IDS = ["page", "timeline", "timeline-gone", "counts", "found", "rejected"]
NOTICE_IDS = ["alert", "alert-to-no-tier", "notice", "digest", "empty-digest"]


def kind_of(value: Cached) -> Any:
    """`type(value)`, which mypy sees as the whole union rather than one member."""
    return type(value)


def stored(data: Any) -> Any:
    """`data` as it comes back from a JSON column."""
    return json.loads(json.dumps(data))


def old_datetimes(data: Any) -> Any:
    """`data` with UTC datetimes written the old way (`+00:00`, not `Z`)."""
    return json.loads(
        json.dumps(data).replace(':00Z"', ':00+00:00"').replace('456Z"', '456+00:00"')
    )


# -- the search cache ----------------------------------------------------------------------


@pytest.mark.parametrize(("old", "value"), CACHED, ids=CACHE_IDS)
def test_cached_rows_of_the_old_codec_decode(old: dict[str, Any], value: Cached) -> None:
    assert decode_cached(kind_of(value), old) == value


@pytest.mark.parametrize(("old", "value"), CACHED, ids=CACHE_IDS)
def test_cached_values_round_trip_in_the_old_shape(old: dict[str, Any], value: Cached) -> None:
    new = stored(encode_cached(value))
    assert decode_cached(kind_of(value), new) == value
    if isinstance(value, PostCounts | TimelinePage):
        # Fields the old codec left out are written now; old readers ignore them.
        assert {k: v for k, v in old_datetimes(new).items() if k in old} == old
    else:
        assert old_datetimes(new) == old


def test_rate_limits_are_not_cached() -> None:
    assert "rate_limit" not in encode_cached(SearchPage((), ()))
    assert "rate_limit" not in encode_cached(PostCounts(1))


# -- outbox notices ------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "old", "notice"), NOTICES, ids=NOTICE_IDS)
def test_outbox_rows_of_the_old_codec_decode(
    kind: str, old: dict[str, Any], notice: Notice
) -> None:
    assert decode_notice(kind, old) == notice


@pytest.mark.parametrize(("kind", "old", "notice"), NOTICES, ids=NOTICE_IDS)
def test_notices_round_trip_in_the_old_shape(
    kind: str, old: dict[str, Any], notice: Notice
) -> None:
    new = stored(encode_notice(notice))
    assert decode_notice(kind, new) == notice
    assert old_datetimes(new) == old


def test_a_digest_keeps_only_what_it_shows_of_a_candidate() -> None:
    full = FOUND.candidates[0]
    digest = Digest(A, "fitness", (full,), "x-api", Cost(1, 2, 3, 0.5, timeline_posts=9))
    back = decode_notice("digest", stored(encode_notice(digest)))
    assert isinstance(back, Digest)
    assert back.candidates[0].sample_posts == ()
    assert back.candidates[0].verified_on == 0
    assert back.candidates[0].reasons == full.reasons
    assert back.cost == Cost(1, 2, 3, 0.5)


def test_unknown_kinds_and_bad_payloads_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown outbox kind"):
        decode_notice("poll", OLD_NOTICE)
    with pytest.raises(ValidationError):  # a ValueError, which the outbox store catches
        decode_notice("alert", OLD_NOTICE)


# -- audits --------------------------------------------------------------------------------


def test_audit_reasons_of_the_old_codec_decode_and_round_trip() -> None:
    reasons = (
        ReasonCount("default_avatar", "default profile picture", 12),
        ReasonCount("no_posts", "has never posted", 3),
    )
    assert decode_reason_counts(OLD_TOP_REASONS) == reasons
    assert stored(encode_reason_counts(reasons)) == OLD_TOP_REASONS
    assert decode_reason_counts([*OLD_TOP_REASONS, "junk"]) == reasons
    assert decode_reason_counts(None) == ()
