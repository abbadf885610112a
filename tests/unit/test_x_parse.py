"""parse.py: X API v2 JSON -> core models, both field-name revisions, tolerant of gaps."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from adapters.x.parse import (
    TWEET_FIELDS,
    USER_FIELDS,
    parse_counts,
    parse_datetime,
    parse_followers_page,
    parse_post,
    parse_rate_limit,
    parse_search_page,
    parse_timeline_page,
    parse_user,
    parse_users_page,
)
from core.models import Mention


def _user(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "42",
        "username": "mara_lifts",
        "name": "Mara Elwick",
        "created_at": "2019-03-04T12:30:00.000Z",
        "description": "Strength coach. #fitness",
        "location": "Lisbon",
        "url": "https://example.com/mara",
        "verified": True,
        "protected": False,
        "profile_image_url": "https://pbs.twimg.com/profile_images/42/a_normal.jpg",
        "public_metrics": {
            "followers_count": 23_456,
            "following_count": 321,
            "tweet_count": 9_876,
            "listed_count": 55,
            "like_count": 1_234,
        },
    }
    base.update(over)
    return base


def test_constants_name_the_fields_the_parsers_read() -> None:
    assert USER_FIELDS.split(",") == [
        "created_at",
        "description",
        "location",
        "url",
        "public_metrics",
        "profile_image_url",
        "verified",
        "protected",
        "most_recent_tweet_id",
        "entities",  # t.co links in the bio and website, and what they stand for
    ]
    # entities, references and the sponsorship flag come free with each post
    assert TWEET_FIELDS.split(",") == [
        "created_at",
        "lang",
        "public_metrics",
        "author_id",
        "entities",
        "referenced_tweets",
        "paid_partnership",
    ]


def test_parse_user_full_old_names() -> None:
    user = parse_user(_user())
    assert user.id == "42"
    assert user.username == "mara_lifts"
    assert user.followers == 23_456
    assert user.following == 321
    assert user.post_count == 9_876
    assert user.listed_count == 55
    assert user.like_count == 1_234
    assert user.created_at == datetime(2019, 3, 4, 12, 30, tzinfo=UTC)
    assert user.verified is True
    assert user.default_avatar is False
    assert user.profile_url == "https://x.com/mara_lifts"


def test_parse_user_new_names() -> None:
    metrics = {"followers_count": 10, "following_count": 2, "post_count": 77}
    user = parse_user(_user(public_metrics=metrics))
    assert user.post_count == 77
    assert user.listed_count == 0
    assert user.like_count == 0


def test_parse_user_minimal_record() -> None:
    user = parse_user({"id": 7, "username": "x"})
    assert user.id == "7"
    assert user.name == "x"
    assert (user.followers, user.following, user.post_count) == (0, 0, 0)
    assert user.created_at is None
    assert user.description == ""


@pytest.mark.parametrize(
    ("image", "flag", "expected"),
    [
        (
            "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
            None,
            True,
        ),
        ("https://pbs.twimg.com/profile_images/1/a.jpg", None, False),
        ("https://pbs.twimg.com/profile_images/1/a.jpg", True, True),
        ("https://abs.twimg.com/sticky/default_profile_images/x.png", False, False),
    ],
)
def test_default_avatar(image: str, flag: bool | None, expected: bool) -> None:
    obj = _user(profile_image_url=image)
    if flag is not None:
        obj["default_profile_image"] = flag
    assert parse_user(obj).default_avatar is expected


@pytest.mark.parametrize("missing", ["id", "username"])
def test_parse_user_requires_id_and_username(missing: str) -> None:
    obj = _user()
    del obj[missing]
    with pytest.raises(ValueError, match="id/username"):
        parse_user(obj)


def test_stringified_and_junk_metrics_do_not_crash() -> None:
    metrics = {"followers_count": "1200", "following_count": None, "tweet_count": "n/a"}
    user = parse_user(_user(public_metrics=metrics, created_at="yesterday", verified="true"))
    assert user.followers == 1200
    assert user.following == 0
    assert user.post_count == 0
    assert user.created_at is None
    assert user.verified is True


def test_parse_post_both_revisions() -> None:
    old = parse_post(
        {
            "id": "1",
            "author_id": "42",
            "text": "Leg day #fitness",
            "created_at": "2026-01-10T08:00:00Z",
            "lang": "en",
            "public_metrics": {
                "like_count": 10,
                "retweet_count": 3,
                "reply_count": 2,
                "quote_count": 1,
            },
        }
    )
    new = parse_post(
        {"id": "2", "author_id": "42", "public_metrics": {"like_count": 5, "repost_count": 4}}
    )
    assert (old.likes, old.reposts, old.replies, old.quotes) == (10, 3, 2, 1)
    assert old.interactions == 16
    assert old.created_at == datetime(2026, 1, 10, 8, tzinfo=UTC)
    assert new.reposts == 4
    assert new.replies == 0
    assert new.text == ""


def test_parse_post_requires_author() -> None:
    with pytest.raises(ValueError, match="author_id"):
        parse_post({"id": "1", "text": "hi"})


def test_search_page_with_results() -> None:
    payload = {
        "data": [
            {"id": "2", "author_id": "42", "text": "b"},
            {"id": "1", "author_id": "43", "text": "a"},
        ],
        "includes": {"users": [_user(), _user(id="43", username="other"), _user()]},
        "meta": {"result_count": 2, "next_token": "abc"},
    }
    page = parse_search_page(payload)
    assert [p.id for p in page.posts] == ["2", "1"]
    assert [u.id for u in page.users] == ["42", "43"]  # duplicate author kept once
    assert page.next_token == "abc"
    assert page.rate_limit is None


def test_search_page_without_data() -> None:
    page = parse_search_page({"meta": {"result_count": 0}})
    assert page.posts == ()
    assert page.users == ()
    assert page.next_token is None


def test_search_page_skips_broken_records_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    payload = {
        "data": [{"id": "1", "text": "no author"}, {"id": "2", "author_id": "42"}, "junk"],
        "includes": {"users": [{"name": "no id"}, _user()]},
    }
    with caplog.at_level(logging.WARNING, logger="adapters.x.parse"):
        page = parse_search_page(payload)
    assert [p.id for p in page.posts] == ["2"]
    assert [u.id for u in page.users] == ["42"]
    assert sum("skipping malformed" in r.getMessage() for r in caplog.records) == 2


def test_users_page_partial_errors_become_missing() -> None:
    payload = {
        "data": [_user(username="Mara_Lifts")],
        "errors": [
            {
                "value": "ghost",
                "detail": "Could not find user with usernames: [ghost].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "usernames",
            },
            {
                "value": "banned",
                "detail": "User has been suspended: [banned].",
                "title": "Forbidden",
                "resource_type": "user",
                "parameter": "usernames",
            },
        ],
    }
    page = parse_users_page(payload, ["mara_lifts", "ghost", "banned", "silent"], "usernames")
    assert [u.username for u in page.users] == ["Mara_Lifts"]
    # "silent" was neither returned nor reported: still missing
    assert page.missing == ("ghost", "banned", "silent")


def test_users_page_by_ids_all_missing() -> None:
    page = parse_users_page({"errors": [{"value": "1", "parameter": "ids"}]}, ["1", "2"], "ids")
    assert page.users == ()
    assert page.missing == ("1", "2")


def test_users_page_empty_payload_means_everything_missing() -> None:
    assert parse_users_page({}, ["a", "A", "b"], "usernames").missing == ("a", "b")


def test_followers_page() -> None:
    page = parse_followers_page(
        {
            "data": [_user(id="1", username="f1"), _user(id="2", username="f2")],
            "meta": {"next_token": "n"},
        }
    )
    assert [u.username for u in page.users] == ["f1", "f2"]
    assert page.next_token == "n"
    assert parse_followers_page({"meta": {"result_count": 0}}).users == ()


def test_rate_limit_headers() -> None:
    rate = parse_rate_limit(
        {
            "X-Rate-Limit-Limit": "450",
            "x-rate-limit-remaining": "12",
            "x-rate-limit-reset": "1767225600",
        }
    )
    assert rate is not None
    assert rate.limit == 450
    assert rate.remaining == 12
    assert rate.reset_at == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-rate-limit-remaining": "3"},
        {"x-rate-limit-remaining": "x", "x-rate-limit-reset": "1767225600"},
    ],
)
def test_rate_limit_missing_or_junk(headers: dict[str, str]) -> None:
    assert parse_rate_limit(headers) is None


def test_rate_limit_without_limit_header_defaults_to_remaining() -> None:
    rate = parse_rate_limit({"x-rate-limit-remaining": "3", "x-rate-limit-reset": "1767225600"})
    assert rate is not None
    assert rate.limit == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-10T08:00:00.000Z", datetime(2026, 1, 10, 8, tzinfo=UTC)),
        ("2026-01-10T08:00:00Z", datetime(2026, 1, 10, 8, tzinfo=UTC)),
        ("2026-01-10T10:00:00+02:00", datetime(2026, 1, 10, 8, tzinfo=UTC)),
        ("2026-01-10T08:00:00", datetime(2026, 1, 10, 8, tzinfo=UTC)),
        ("", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_datetime(text: str | None, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


# --- evidence carried by each post ---------------------------------------------------


def _post(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "900",
        "author_id": "42",
        "text": "Leg day with @coach_ana and @GymBro #Fitness #legday #fitness",
        "created_at": "2026-05-10T08:00:00.000Z",
        "lang": "en",
        "public_metrics": {
            "like_count": 120,
            "retweet_count": 7,
            "reply_count": 9,
            "quote_count": 2,
            "impression_count": 15_400,
        },
        "entities": {
            "mentions": [
                {"start": 14, "end": 23, "username": "coach_ana", "id": "1001"},
                {"start": 28, "end": 35, "username": "GymBro", "id": "1002"},
            ],
            "hashtags": [
                {"start": 36, "end": 44, "tag": "Fitness"},
                {"start": 45, "end": 52, "tag": "legday"},
                {"start": 53, "end": 61, "tag": "fitness"},
            ],
        },
    }
    base.update(over)
    return base


def test_post_mentions_keep_ids_and_hashtags_are_folded() -> None:
    post = parse_post(_post())
    assert post.mentions == (Mention("1001", "coach_ana"), Mention("1002", "GymBro"))
    assert post.hashtags == ("fitness", "legday")
    assert post.impressions == 15_400
    assert (post.likes, post.reposts, post.replies, post.quotes) == (120, 7, 9, 2)
    assert post.is_reply is False
    assert post.is_quote is False
    assert post.is_repost is False
    assert post.paid_partnership is False


def test_mentions_without_id_or_handle_are_skipped_and_repeats_kept_once() -> None:
    entities = {
        "mentions": [
            {"username": "no_id"},
            {"id": "7"},
            {"username": "ana", "id": 1001},
            {"username": "Ana", "id": "1001"},
            "junk",
        ],
        "hashtags": [{"tag": ""}, {"tag": "#Yoga"}, {"no": "tag"}],
    }
    post = parse_post(_post(entities=entities))
    assert post.mentions == (Mention("1001", "ana"),)
    assert post.hashtags == ("yoga",)


@pytest.mark.parametrize("entities", [None, {}, "junk", {"mentions": None, "hashtags": "x"}])
def test_missing_or_junk_entities_mean_none(entities: object) -> None:
    obj = _post(entities=entities)
    if entities is None:
        del obj["entities"]
    post = parse_post(obj)
    assert post.mentions == ()
    assert post.hashtags == ()


@pytest.mark.parametrize(
    ("refs", "flags"),
    [
        (None, (False, False, False)),
        ([{"type": "replied_to", "id": "1"}], (True, False, False)),
        ([{"type": "quoted", "id": "1"}], (False, True, False)),
        ([{"type": "retweeted", "id": "1"}], (False, False, True)),
        ([{"type": "replied_to", "id": "1"}, {"type": "quoted", "id": "2"}], (True, True, False)),
        (["junk", {"id": "3"}], (False, False, False)),
    ],
)
def test_referenced_tweets_set_reply_quote_repost(
    refs: list[object] | None, flags: tuple[bool, bool, bool]
) -> None:
    obj = _post()
    if refs is not None:
        obj["referenced_tweets"] = refs
    post = parse_post(obj)
    assert (post.is_reply, post.is_quote, post.is_repost) == flags


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), (None, False)],
)
def test_paid_partnership(value: object, expected: bool) -> None:
    obj = _post(paid_partnership=value)
    if value is None:
        del obj["paid_partnership"]
    assert parse_post(obj).paid_partnership is expected


def test_post_metrics_new_revision_with_impressions() -> None:
    metrics = {"like_count": 3, "repost_count": 5, "impression_count": "880"}
    post = parse_post(_post(public_metrics=metrics))
    assert post.reposts == 5
    assert post.impressions == 880
    assert post.replies == 0


def test_new_repost_name_wins_over_old_when_both_are_sent() -> None:
    metrics = {"repost_count": 5, "retweet_count": 4}
    assert parse_post(_post(public_metrics=metrics)).reposts == 5


def test_new_post_count_name_wins_over_old_when_both_are_sent() -> None:
    metrics = {"followers_count": 1, "post_count": 50, "tweet_count": 49}
    assert parse_user(_user(public_metrics=metrics)).post_count == 50


# --- recent counts -----------------------------------------------------------------


def _counts(field: str, values: list[int], total: int | None) -> dict[str, object]:
    data = [
        {"start": f"2026-05-0{i + 1}T00:00:00.000Z", "end": f"2026-05-0{i + 2}T00:00:00.000Z"}
        | {field: value}
        for i, value in enumerate(values)
    ]
    payload: dict[str, object] = {"data": data}
    if total is not None:
        payload["meta"] = {"total_tweet_count": total}
    return payload


@pytest.mark.parametrize("field", ["tweet_count", "post_count"])
def test_counts_read_both_bucket_names(field: str) -> None:
    counts = parse_counts(_counts(field, [3, 0, 12, 5], total=20))
    assert counts.daily == (3, 0, 12, 5)
    assert counts.total == 20
    assert counts.rate_limit is None


@pytest.mark.parametrize("field", ["tweet_count", "post_count"])
def test_counts_without_total_sum_the_buckets(field: str) -> None:
    counts = parse_counts(_counts(field, [3, 4], total=None))
    assert counts.total == 7


def test_counts_total_post_count_name_and_empty_answer() -> None:
    assert parse_counts({"meta": {"total_post_count": 9}}).total == 9
    empty = parse_counts({})
    assert (empty.total, empty.daily) == (0, ())


# --- timelines -----------------------------------------------------------------------


def test_timeline_page_with_posts() -> None:
    payload = {
        "data": [_post(id="3"), _post(id="2"), {"id": "1"}],
        "meta": {"result_count": 3, "next_token": "older"},
    }
    page = parse_timeline_page(payload)
    assert [p.id for p in page.posts] == ["3", "2"]  # the one without author skipped
    assert page.next_token == "older"
    assert page.unavailable is None


def test_empty_readable_timeline_is_not_unavailable() -> None:
    page = parse_timeline_page({"meta": {"result_count": 0}})
    assert page.posts == ()
    assert page.unavailable is None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            {
                "detail": "Sorry, you are not authorized to see the user with id: [77].",
                "title": "Authorization Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": "77",
                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
            },
            "protected",
        ),
        (
            {
                "value": "77",
                "detail": "Could not find user with id: [77].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": "77",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            },
            "not_found",
        ),
        (
            {
                "detail": "User has been suspended: [77].",
                "title": "Forbidden",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": "77",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            },
            "suspended",
        ),
    ],
)
def test_timeline_x_cannot_show_says_why(error: dict[str, str], reason: str) -> None:
    page = parse_timeline_page({"errors": [error]})
    assert page.posts == ()
    assert page.unavailable == reason


def test_timeline_errors_next_to_data_do_not_hide_the_posts() -> None:
    payload = {"data": [_post()], "errors": [{"title": "Not Found Error", "detail": "x"}]}
    page = parse_timeline_page(payload)
    assert len(page.posts) == 1
    assert page.unavailable is None
