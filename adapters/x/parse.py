"""Pure parsing of X API v2 JSON into core models.

Both the real client and the sample source go through these functions, so the
sample exercises the same code paths as production. Every parser is tolerant:
optional fields may be missing, both field-name revisions are understood
(`tweet_count`/`post_count`, `retweet_count`/`repost_count`), and a record
without an id is skipped with a warning instead of failing the whole page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.models import (
    FollowersPage,
    Mention,
    Post,
    PostCounts,
    RateLimit,
    SearchPage,
    TimelinePage,
    UsersPage,
    XUser,
)

log = logging.getLogger(__name__)

USER_FIELDS = (
    "created_at,description,location,url,public_metrics,profile_image_url,verified,protected,"
    "most_recent_tweet_id,entities"
)
TWEET_FIELDS = (
    "created_at,lang,public_metrics,author_id,entities,referenced_tweets,paid_partnership"
)

# X serves this placeholder image for accounts that never uploaded an avatar.
_DEFAULT_AVATAR_MARKER = "default_profile_images"


def _int(value: Any, default: int = 0) -> int:
    """A metric as int; X sends ints, but proxies and caches sometimes stringify them."""
    if value is None or isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def parse_datetime(value: Any) -> datetime | None:
    """An X timestamp (`2024-05-01T12:00:00.000Z`) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        log.debug("unparseable X timestamp %r", value)
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _metrics(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metrics = obj.get("public_metrics")
    return metrics if isinstance(metrics, Mapping) else {}


def _first(metrics: Mapping[str, Any], *names: str) -> int:
    """The first present metric among `names` (new and old revisions of one field)."""
    for name in names:
        if metrics.get(name) is not None:
            return _int(metrics[name])
    return 0


def parse_user(obj: Mapping[str, Any]) -> XUser:
    """A v2 user object as an `XUser`. Raises `ValueError` without `id` or `username`."""
    user_id = obj.get("id")
    username = obj.get("username")
    if user_id is None or user_id == "" or not isinstance(username, str) or not username:
        raise ValueError(f"user object without id/username: keys {sorted(obj)}")
    metrics = _metrics(obj)
    image = _str(obj.get("profile_image_url"))
    if "default_profile_image" in obj:
        default_avatar = _bool(obj["default_profile_image"])
    else:
        default_avatar = _DEFAULT_AVATAR_MARKER in image
    return XUser(
        id=str(user_id),
        username=username,
        name=_str(obj.get("name")) or username,
        followers=_first(metrics, "followers_count"),
        following=_first(metrics, "following_count"),
        post_count=_first(metrics, "post_count", "tweet_count"),
        listed_count=_first(metrics, "listed_count"),
        like_count=_first(metrics, "like_count"),
        description=_expanded(_str(obj.get("description")), _entity_urls(obj, "description")),
        location=_str(obj.get("location")),
        url=_website(obj),
        created_at=parse_datetime(obj.get("created_at")),
        verified=_bool(obj.get("verified", False)),
        protected=_bool(obj.get("protected", False)),
        default_avatar=default_avatar,
        profile_image_url=image,
    )


def _entity_urls(obj: Mapping[str, Any], part: str) -> list[Mapping[str, Any]]:
    """`entities.<part>.urls` of a user object: X's t.co links and what they stand for."""
    entities = obj.get("entities")
    section = entities.get(part) if isinstance(entities, Mapping) else None
    return list(_records(section.get("urls") if isinstance(section, Mapping) else None))


def _expanded(text: str, urls: Sequence[Mapping[str, Any]]) -> str:
    """`text` with each t.co link X shortened replaced by the address behind it."""
    for link in urls:
        short, full = _str(link.get("url")), _str(link.get("expanded_url"))
        if short and full:
            text = text.replace(short, full)
    return text


def _website(obj: Mapping[str, Any]) -> str:
    """The profile's website: X sends `url` as a t.co link, the real one in entities."""
    url = _str(obj.get("url"))
    for link in _entity_urls(obj, "url"):
        if _str(link.get("expanded_url")) and _str(link.get("url")) in ("", url):
            return _str(link.get("expanded_url"))
    return url


def parse_post(obj: Mapping[str, Any]) -> Post:
    """A v2 tweet object as a `Post`. Raises `ValueError` without `id` or `author_id`."""
    post_id = obj.get("id")
    author_id = obj.get("author_id")
    if post_id is None or post_id == "" or author_id is None or author_id == "":
        raise ValueError(f"post object without id/author_id: keys {sorted(obj)}")
    metrics = _metrics(obj)
    refs = {str(r.get("type")) for r in _records(obj.get("referenced_tweets"))}
    entities = obj.get("entities")
    entities = entities if isinstance(entities, Mapping) else {}
    return Post(
        id=str(post_id),
        author_id=str(author_id),
        text=_str(obj.get("text")),
        created_at=parse_datetime(obj.get("created_at")),
        lang=_str(obj.get("lang")),
        likes=_first(metrics, "like_count"),
        reposts=_first(metrics, "repost_count", "retweet_count"),
        replies=_first(metrics, "reply_count"),
        quotes=_first(metrics, "quote_count"),
        impressions=_first(metrics, "impression_count"),
        mentions=_mentions(entities.get("mentions")),
        hashtags=_hashtags(entities.get("hashtags")),
        is_reply="replied_to" in refs,
        is_quote="quoted" in refs,
        is_repost="retweeted" in refs,
        paid_partnership=_bool(obj.get("paid_partnership", False)),
    )


def _mentions(records: Any) -> tuple[Mention, ...]:
    """`entities.mentions` as (id, handle); X sends the id with each mention."""
    out: list[Mention] = []
    seen: set[str] = set()
    for obj in _records(records):
        username = _str(obj.get("username"))
        mention_id = obj.get("id")
        if not username or mention_id in (None, ""):
            continue
        key = str(mention_id)
        if key not in seen:
            seen.add(key)
            out.append(Mention(key, username))
    return tuple(out)


def _hashtags(records: Any) -> tuple[str, ...]:
    """`entities.hashtags` tags, lower-cased, without `#`, each once."""
    tags: list[str] = []
    for obj in _records(records):
        tag = _str(obj.get("tag")).lower().lstrip("#")
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _records(value: Any) -> Iterable[Mapping[str, Any]]:
    """The mappings in a JSON list, ignoring anything else (a `null` `data`, stray values)."""
    if not isinstance(value, list):
        return ()
    return (item for item in value if isinstance(item, Mapping))


def _users(records: Any) -> tuple[XUser, ...]:
    users: list[XUser] = []
    seen: set[str] = set()
    for obj in _records(records):
        try:
            user = parse_user(obj)
        except ValueError as exc:
            log.warning("skipping malformed X user record: %s", exc)
            continue
        # expansions repeat an author once per post on some proxies; keep one
        if user.id not in seen:
            seen.add(user.id)
            users.append(user)
    return tuple(users)


def _posts(records: Any) -> tuple[Post, ...]:
    posts: list[Post] = []
    for obj in _records(records):
        try:
            posts.append(parse_post(obj))
        except ValueError as exc:
            log.warning("skipping malformed X post record: %s", exc)
    return tuple(posts)


def _meta(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = payload.get("meta")
    return meta if isinstance(meta, Mapping) else {}


def _next_token(payload: Mapping[str, Any]) -> str | None:
    token = _meta(payload).get("next_token")
    return token if isinstance(token, str) and token else None


def parse_search_page(
    payload: Mapping[str, Any], rate_limit: RateLimit | None = None
) -> SearchPage:
    """A recent-search page: posts from `data`, authors from `includes.users`.

    X omits `data` entirely when nothing matched, which is an empty page, not an error.
    """
    includes = payload.get("includes")
    users = _users(includes.get("users") if isinstance(includes, Mapping) else None)
    return SearchPage(
        posts=_posts(payload.get("data")),
        users=users,
        next_token=_next_token(payload),
        rate_limit=rate_limit,
    )


def timeline_unavailable(payload: Mapping[str, Any]) -> str | None:
    """Why X showed no timeline: `protected`, `suspended` or `not_found`; None if readable.

    X answers 200 with an `errors` list (and no `data`) for an account it cannot show.
    """
    if payload.get("data"):
        return None
    for error in _records(payload.get("errors")):
        text = f"{error.get('title', '')} {error.get('detail', '')} {error.get('type', '')}"
        low = text.lower()
        if "suspended" in low:
            return "suspended"
        if "not authorized" in low or "authorization" in low or "protected" in low:
            return "protected"
        if "not found" in low or "could not find" in low or "resource-not-found" in low:
            return "not_found"
    return None


def parse_timeline_page(
    payload: Mapping[str, Any], rate_limit: RateLimit | None = None
) -> TimelinePage:
    """A `GET /2/users/:id/tweets` page, newest first, with why it is empty if X said."""
    return TimelinePage(
        posts=_posts(payload.get("data")),
        next_token=_next_token(payload),
        unavailable=timeline_unavailable(payload),
        rate_limit=rate_limit,
    )


def parse_counts(payload: Mapping[str, Any], rate_limit: RateLimit | None = None) -> PostCounts:
    """A `GET /2/tweets/counts/recent` answer: `meta.total_tweet_count` and the buckets.

    Both revisions of the bucket field (`tweet_count`, `post_count`) are read; without
    a total in `meta` the buckets are summed.
    """
    buckets = [_first(b, "post_count", "tweet_count") for b in _records(payload.get("data"))]
    meta = _meta(payload)
    if meta.get("total_tweet_count") is not None or meta.get("total_post_count") is not None:
        total = _first(meta, "total_post_count", "total_tweet_count")
    else:
        total = sum(buckets)
    return PostCounts(total=total, daily=tuple(buckets), rate_limit=rate_limit)


def _key(value: str, by: str) -> str:
    # handles are case-insensitive on X; ids are compared verbatim
    return value.lower() if by.startswith("username") else value


def parse_users_page(
    payload: Mapping[str, Any],
    requested: Sequence[str],
    by: str,
    rate_limit: RateLimit | None = None,
) -> UsersPage:
    """A user lookup answer; `by` is `"ids"` or `"usernames"`.

    X answers 200 with an `errors` list for unknown or suspended accounts, so every
    requested value that did not come back (for whatever reason) is reported missing,
    in the order it was requested.
    """
    users = _users(payload.get("data"))
    for error in _records(payload.get("errors")):
        log.debug(
            "X lookup error for %s=%r: %s",
            error.get("parameter", by),
            error.get("value"),
            error.get("title") or error.get("detail"),
        )
    found = {_key(u.username if by.startswith("username") else u.id, by) for u in users}
    missing: list[str] = []
    seen: set[str] = set()
    for value in requested:
        key = _key(value, by)
        if key not in found and key not in seen:
            seen.add(key)
            missing.append(value)
    return UsersPage(users=users, missing=tuple(missing), rate_limit=rate_limit)


def parse_followers_page(
    payload: Mapping[str, Any], rate_limit: RateLimit | None = None
) -> FollowersPage:
    """A followers page; `meta.next_token` is what the next request sends as `pagination_token`."""
    for error in _records(payload.get("errors")):
        log.debug("X followers error: %s", error.get("detail") or error.get("title"))
    return FollowersPage(
        users=_users(payload.get("data")),
        next_token=_next_token(payload),
        rate_limit=rate_limit,
    )


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """`x-rate-limit-limit/-remaining/-reset` (epoch seconds) as a `RateLimit`, or None.

    Header names are matched case-insensitively so a plain dict works as well as
    aiohttp's multidict. Without `remaining` and `reset` there is nothing to act on.
    """
    lowered = {str(k).lower(): v for k, v in headers.items()}
    try:
        remaining = int(str(lowered["x-rate-limit-remaining"]).strip())
        reset = int(float(str(lowered["x-rate-limit-reset"]).strip()))
    except (KeyError, ValueError):
        return None
    limit = _int(lowered.get("x-rate-limit-limit"), default=remaining)
    try:
        reset_at = datetime.fromtimestamp(reset, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return RateLimit(limit=limit, remaining=remaining, reset_at=reset_at)
