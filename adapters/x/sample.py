"""`SampleXSource`: the `XSource` behind the no-token demo, served from bundled data.

It answers through the same `parse.py` code as the real client by building X API
v2 payloads first, so the demo exercises the production parsing path. The payload
builders here are also used by the fake X server in the tests.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import math
import re
import zlib
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.x.parse import (
    parse_counts,
    parse_datetime,
    parse_followers_page,
    parse_search_page,
    parse_timeline_page,
    parse_users_page,
)
from adapters.x.query_match import Matcher, parse_query
from adapters.x.sample_gen import (
    COVERED_NICHES,
    SAMPLE_PATH,
    audience_fake_share,
    generate_followers,
    shift_dataset,
)
from core.errors import XBadQuery
from core.models import (
    FollowerPoint,
    FollowersPage,
    PostCounts,
    SearchPage,
    TimelinePage,
    UsersPage,
)
from core.ports import SORT_ORDERS

log = logging.getLogger(__name__)

SEARCH_WINDOW = timedelta(days=7)
MAX_LOOKUP = 100


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- payload builders shared with tests/fakes/x_server.py -------------------------

UserFinder = Callable[[str], Mapping[str, Any] | None]

# X links a hashtag only if it has a letter (#2024 is not one), a mention only for a
# handle of at most 15 characters that is not glued to a word (mail@host is none).
_HASHTAG_RE = re.compile(r"(?<![\w#&])[#＃](\w*[^\W\d_]\w*)")
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})(?!\w)")
_URL_RE = re.compile(r"https?://[^\s]+")
_URL_TRAIL = ".,;:!?)]}'\""
# relevancy: log engagement, halved every RELEVANCY_HALF_LIFE of age (see relevancy_score)
RELEVANCY_HALF_LIFE = timedelta(hours=48)
GRANULARITIES = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
TIMELINE_EXCLUDES = ("retweets", "replies")


def encode_token(scope: str, offset: int) -> str:
    """An opaque paging token bound to `scope` (a query or a user id)."""
    return f"{zlib.crc32(scope.encode()):08x}{offset:06x}"


def decode_token(scope: str, token: str) -> int:
    """The offset inside a token from `encode_token`; `ValueError` if it is not ours."""
    if len(token) != 14 or token[:8] != f"{zlib.crc32(scope.encode()):08x}":
        raise ValueError(f"The `next_token` query parameter value [{token}] is not valid")
    try:
        return int(token[8:], 16)
    except ValueError:
        raise ValueError(f"The `next_token` query parameter value [{token}] is not valid") from None


def derive_entities(text: str, find_user: UserFinder | None = None) -> dict[str, Any]:
    """`entities` as X would attach them to `text`: hashtags, mentions, urls (empty ones left out).

    A mention is linked (with the account's id and canonical handle) only when
    `find_user` knows the handle, as X links only existing accounts.
    """
    entities: dict[str, Any] = {}
    tags = [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in _HASHTAG_RE.finditer(text)
    ]
    if tags:
        entities["hashtags"] = tags
    if find_user is not None:
        mentions = []
        for m in _MENTION_RE.finditer(text):
            user = find_user(m.group(1))
            if user is not None:
                mentions.append(
                    {
                        "start": m.start(),
                        "end": m.end(),
                        "username": str(user.get("username") or m.group(1)),
                        "id": str(user.get("id")),
                    }
                )
        if mentions:
            entities["mentions"] = mentions
    urls = []
    for m in _URL_RE.finditer(text):
        url = m.group(0).rstrip(_URL_TRAIL)
        urls.append(
            {
                "start": m.start(),
                "end": m.start() + len(url),
                "url": url,
                "expanded_url": url,
                "display_url": url.split("://", 1)[1][:26],
            }
        )
    if urls:
        entities["urls"] = urls
    return entities


def public_post(post: Mapping[str, Any], find_user: UserFinder | None = None) -> dict[str, Any]:
    """A post as X sends it: private `_` keys dropped, `entities` derived from the text
    when the stored post has none (the bundled sample stores none)."""
    out = {k: v for k, v in post.items() if not k.startswith("_")}
    if "entities" not in out:
        entities = derive_entities(str(out.get("text") or ""), find_user)
        if entities:
            out["entities"] = entities
    return out


def relevancy_score(post: Mapping[str, Any], now: datetime) -> float:
    """A plausible stand-in for X's "Top" order: ln(1 + engagement) halved every 48 h of age.

    engagement = likes + replies + 2 x (reposts + quotes), reposts and quotes weighing
    more as they spread a post. Not X's real (unpublished) ranking, and deliberately not
    tuned for any discovery method: it rewards popular, fresh posts, whoever wrote them.
    """
    metrics = post.get("public_metrics")
    metrics = metrics if isinstance(metrics, Mapping) else {}

    def n(*names: str) -> int:
        for name in names:
            value = metrics.get(name)
            if isinstance(value, int):
                return value
        return 0

    engagement = (
        n("like_count")
        + n("reply_count")
        + 2 * (n("repost_count", "retweet_count") + n("quote_count"))
    )
    created = parse_datetime(post.get("created_at")) or now
    age = max(0.0, (now - created) / RELEVANCY_HALF_LIFE)
    return math.log1p(max(0, engagement)) * math.pow(0.5, age)


def _newest_first(post: Mapping[str, Any]) -> tuple[str, int]:
    return (str(post.get("created_at")), int(str(post.get("id", "0")) or 0))


def matching_posts(  # noqa: PLR0913  the window options mirror X's search parameters, keyword-only
    posts: Iterable[Mapping[str, Any]],
    authors: Mapping[str, Mapping[str, Any]],
    matcher: Matcher,
    now: datetime,
    *,
    sort_order: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    since_id: int | None = None,
    until_id: int | None = None,
) -> list[Mapping[str, Any]]:
    """Posts of the last 7 days that match, as recent search returns them.

    Newest first (`sort_order` None or `"recency"`), or by `relevancy_score`
    (`"relevancy"`, ties newest first). `start`/`end` narrow the 7-day window,
    `since_id`/`until_id` exclude posts at or beyond those ids, as X does.
    Protected accounts' posts are never returned.
    """
    if sort_order not in (None, *SORT_ORDERS):
        raise ValueError(f"unknown sort_order {sort_order!r}")
    since = max(now - SEARCH_WINDOW, start) if start is not None else now - SEARCH_WINDOW
    until = min(now, end) if end is not None else now
    found = []
    for post in posts:
        created = parse_datetime(post.get("created_at"))
        if created is None or not since <= created <= until:
            continue
        if since_id is not None or until_id is not None:
            pid = int(str(post.get("id", "0")))
            if (since_id is not None and pid <= since_id) or (
                until_id is not None and pid >= until_id
            ):
                continue
        author = authors.get(str(post.get("author_id")))
        if author is not None and author.get("protected"):
            continue
        if matcher(post, author):
            found.append(post)
    found.sort(key=_newest_first, reverse=True)
    return by_relevancy(found, now) if sort_order == "relevancy" else found


def by_relevancy(found: Sequence[Mapping[str, Any]], now: datetime) -> list[Mapping[str, Any]]:
    """Newest-first posts in `sort_order=relevancy` order (ties stay newest first)."""
    return sorted(found, key=lambda p: relevancy_score(p, now), reverse=True)


def search_payload(
    found: Sequence[Mapping[str, Any]],
    authors: Mapping[str, Mapping[str, Any]],
    *,
    offset: int,
    max_results: int,
    scope: str,
    expand_authors: bool = True,
    find_user: UserFinder | None = None,
) -> dict[str, Any]:
    """A `GET /2/tweets/search/recent` body.

    With `expand_authors` (`expansions=author_id`) `includes.users` holds each page
    author once; without it there is no `includes`, and X bills only the posts.
    """
    page = list(found[offset : offset + max_results])
    meta: dict[str, Any] = {"result_count": len(page)}
    if not page:
        return {"meta": meta}
    meta["newest_id"] = str(page[0]["id"])
    meta["oldest_id"] = str(page[-1]["id"])
    if offset + max_results < len(found):
        meta["next_token"] = encode_token(scope, offset + max_results)
    payload: dict[str, Any] = {"data": [public_post(p, find_user) for p in page]}
    if expand_authors:
        users: dict[str, Mapping[str, Any]] = {}
        for post in page:
            author_id = str(post.get("author_id"))
            if author_id in authors and author_id not in users:
                users[author_id] = authors[author_id]
        payload["includes"] = {"users": [dict(u) for u in users.values()]}
    payload["meta"] = meta
    return payload


def timeline_posts(
    posts: Iterable[Mapping[str, Any]], exclude: Iterable[str] = ()
) -> list[Mapping[str, Any]]:
    """An account's posts for `GET /2/users/:id/tweets`: newest first, without the
    `exclude`d kinds (`retweets`, `replies`)."""
    drop = set(exclude)
    unknown = drop - set(TIMELINE_EXCLUDES)
    if unknown:
        raise ValueError(f"unknown exclude values {sorted(unknown)}")
    out = []
    for post in posts:
        refs = post.get("referenced_tweets")
        kinds = {str(r.get("type")) for r in refs if isinstance(r, Mapping)} if refs else set()
        text = str(post.get("text") or "")
        if "retweets" in drop and ("retweeted" in kinds or text.startswith("RT @")):
            continue
        if "replies" in drop and ("replied_to" in kinds or post.get("in_reply_to_user_id")):
            continue
        out.append(post)
    out.sort(key=_newest_first, reverse=True)
    return out


def timeline_payload(
    posts: Sequence[Mapping[str, Any]],
    *,
    offset: int,
    max_results: int,
    scope: str,
    find_user: UserFinder | None = None,
) -> dict[str, Any]:
    """A `GET /2/users/:id/tweets` body over `timeline_posts` output."""
    page = list(posts[offset : offset + max_results])
    meta: dict[str, Any] = {"result_count": len(page)}
    if page:
        meta["newest_id"] = str(page[0]["id"])
        meta["oldest_id"] = str(page[-1]["id"])
    if offset + max_results < len(posts):
        meta["next_token"] = encode_token(scope, offset + max_results)
    if offset > 0:
        meta["previous_token"] = encode_token(scope, max(0, offset - max_results))
    payload: dict[str, Any] = {}
    if page:
        payload["data"] = [public_post(p, find_user) for p in page]
    payload["meta"] = meta
    return payload


def timeline_error(user_id: str, reason: str) -> dict[str, Any]:
    """X's 200 answer for a timeline it will not show: `not_found`, `protected`, `suspended`."""
    if reason == "protected":
        error = {
            "value": user_id,
            "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
            "title": "Authorization Error",
            "resource_type": "user",
            "parameter": "id",
            "resource_id": user_id,
            "section": "data",
            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
        }
    else:
        error = lookup_error(user_id, "id", suspended=reason == "suspended")
    return {"errors": [error]}


def counts_payload(
    found: Iterable[Mapping[str, Any]],
    *,
    start: datetime,
    end: datetime,
    granularity: str = "hour",
) -> dict[str, Any]:
    """A `GET /2/tweets/counts/recent` body: buckets aligned to the granularity, oldest
    first (the first and last may be partial), every bucket present even when empty."""
    step = GRANULARITIES[granularity]
    edges = [start]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    boundary = epoch + ((start - epoch) // step + 1) * step
    while boundary < end:
        edges.append(boundary)
        boundary += step
    edges.append(end)
    counts = [0] * (len(edges) - 1)
    for post in found:
        created = parse_datetime(post.get("created_at"))
        if created is None or not start <= created < end:
            continue
        index = min(len(counts) - 1, max(0, bisect.bisect_right(edges, created) - 1))
        counts[index] += 1
    data = [
        {"end": _iso(edges[i + 1]), "start": _iso(edges[i]), "tweet_count": counts[i]}
        for i in range(len(counts))
    ]
    return {"data": data, "meta": {"total_tweet_count": sum(counts)}}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def lookup_error(value: str, by: str, *, suspended: bool = False) -> dict[str, Any]:
    """One entry of X's `errors` list for a user lookup (`by` is `ids` or `usernames`)."""
    if suspended:
        detail, title = f"User has been suspended: [{value}].", "Forbidden"
    else:
        detail, title = f"Could not find user with {by}: [{value}].", "Not Found Error"
    return {
        "value": value,
        "detail": detail,
        "title": title,
        "resource_type": "user",
        "parameter": by,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def lookup_payload(
    requested: Sequence[str],
    by: str,
    find: Callable[[str], Mapping[str, Any] | None],
    suspended: Container[str] = (),
) -> dict[str, Any]:
    """A `GET /2/users` or `/2/users/by` body: `data` for found users, `errors` for the rest."""
    data: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for value in requested:
        user = find(value)
        if user is not None and (
            str(user.get("id")) in suspended or str(user.get("username", "")).lower() in suspended
        ):
            errors.append(lookup_error(value, by, suspended=True))
        elif user is None:
            errors.append(lookup_error(value, by))
        else:
            data.append(dict(user))
    payload: dict[str, Any] = {}
    if data:
        payload["data"] = data
    if errors:
        payload["errors"] = errors
    return payload


def followers_payload(
    followers: Sequence[Mapping[str, Any]], *, offset: int, max_results: int, scope: str
) -> dict[str, Any]:
    """A `GET /2/users/:id/followers` body."""
    page = [dict(u) for u in followers[offset : offset + max_results]]
    meta: dict[str, Any] = {"result_count": len(page)}
    if offset + max_results < len(followers):
        meta["next_token"] = encode_token(scope, offset + max_results)
    if offset > 0:
        meta["previous_token"] = encode_token(scope, max(0, offset - max_results))
    payload: dict[str, Any] = {"meta": meta}
    if page:
        payload["data"] = page
    return payload


# --- the source ------------------------------------------------------------------


HISTORY_DAYS = 120
# Featured accounts whose made-up history starts in another tier, so the sample's
# charts show a boundary being crossed (followers `HISTORY_DAYS` days ago).
_HISTORY_START = {"jane_lifts": 8_900, "runwithraj": 12_400}


def sample_history(
    user_id: str, handle: str, followers: int, now: datetime, days: int = HISTORY_DAYS
) -> list[FollowerPoint]:
    """Deterministic daily snapshots over `days` days ending at `followers` today.

    Growth is steady with a little daily noise, seeded by the account id, so the same
    account always draws the same line.
    """
    seed = zlib.crc32(user_id.encode())
    # Between flat and +60 % over the period, by the seed; featured ones as set above.
    start = _HISTORY_START.get(handle.lower()) or max(1, round(followers / (1 + (seed % 61) / 100)))
    points = []
    for day in range(days, -1, -1):
        progress = (days - day) / days
        noise = math.sin(seed + day * 1.7) * 0.004 * (1 - progress)
        value = start + (followers - start) * progress
        points.append(FollowerPoint(now - timedelta(days=day), max(0, round(value * (1 + noise)))))
    return points


class SampleXSource:
    """Bundled sample data behind the `XSource` port (name `"sample"`).

    The file is read once, on first use, and its dates are shifted so that the
    sample's observation time is "now": the posts always fall in the last 7 days.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        dataset: Mapping[str, Any] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._path = Path(path) if path is not None else SAMPLE_PATH
        self._raw = dataset
        self._clock = clock
        self._data: dict[str, Any] | None = None
        self._by_id: dict[str, dict[str, Any]] = {}
        self._by_handle: dict[str, dict[str, Any]] = {}
        self._bought: frozenset[str] = frozenset()
        self._followers: dict[str, list[dict[str, Any]]] = {}
        self._timelines: dict[str, list[Mapping[str, Any]]] = {}
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return "sample"

    @property
    def covered_niches(self) -> tuple[str, ...] | None:
        return COVERED_NICHES

    async def follower_history(
        self, user_ids: Sequence[str], *, days: int = HISTORY_DAYS
    ) -> dict[str, list[FollowerPoint]]:
        """A made-up daily follower history for each sample account, ending at today's
        count (`sample_history`): X keeps no history, so the sample brings its own, and
        charts, growth and profiles show on the sample as they will after weeks of
        refreshes on live X."""
        await self.dataset()
        now = self._clock()
        return {
            uid: sample_history(
                uid,
                str(user["username"]),
                int(user["public_metrics"]["followers_count"]),
                now,
                days,
            )
            for uid in user_ids
            if (user := self._by_id.get(str(uid))) is not None
        }

    async def dataset(self) -> dict[str, Any]:
        """The date-shifted dataset (loaded on first call)."""
        if self._data is None:
            async with self._lock:
                if self._data is None:
                    raw = self._raw
                    if raw is None:
                        # off the event loop: the file is a few hundred KB
                        text = await asyncio.to_thread(self._path.read_text, encoding="utf-8")
                        raw = json.loads(text)
                    data = shift_dataset(raw, self._clock())
                    self._by_id = {str(u["id"]): u for u in data.get("users", ())}
                    self._by_handle = {str(u["username"]).lower(): u for u in data.get("users", ())}

                    labels = data.get("labels") or {}
                    self._bought = frozenset(labels.get("bought_audience", ()))
                    self._data = data
                    log.debug(
                        "sample loaded: %d users, %d posts",
                        len(self._by_id),
                        len(data.get("posts", ())),
                    )
        return self._data

    async def bought_audience_ids(self) -> frozenset[str]:
        """Ground truth from the generator: ids of accounts with a bought audience."""
        await self.dataset()
        return self._bought

    def _find_user(self, handle: str) -> Mapping[str, Any] | None:
        return self._by_handle.get(handle.lower())

    async def search_recent(
        self,
        query: str,
        *,
        max_results: int = 100,
        next_token: str | None = None,
        expand_authors: bool = True,
        sort_order: str | None = None,
    ) -> SearchPage:
        data = await self.dataset()
        if sort_order not in (None, *SORT_ORDERS):
            raise XBadQuery(
                f"X would reject this search: The `sort_order` query parameter value "
                f"[{sort_order}] is not one of [recency, relevancy]"
            )
        scope = f"{query}\n{sort_order or 'recency'}"
        try:
            matcher = parse_query(query)
            offset = decode_token(scope, next_token) if next_token else 0
        except ValueError as exc:
            raise XBadQuery(f"X would reject this search: {exc}") from None
        size = max(10, min(100, max_results))
        found = matching_posts(
            data.get("posts", ()), self._by_id, matcher, self._clock(), sort_order=sort_order
        )
        payload = search_payload(
            found,
            self._by_id,
            offset=offset,
            max_results=size,
            scope=scope,
            expand_authors=expand_authors,
            find_user=self._find_user,
        )
        return parse_search_page(payload)

    async def count_recent(self, query: str) -> PostCounts:
        data = await self.dataset()
        try:
            matcher = parse_query(query)
        except ValueError as exc:
            raise XBadQuery(f"X would reject this count: {exc}") from None
        now = self._clock()
        found = matching_posts(data.get("posts", ()), self._by_id, matcher, now)
        payload = counts_payload(found, start=now - SEARCH_WINDOW, end=now, granularity="day")
        return parse_counts(payload)

    async def user_timeline(
        self,
        user_id: str,
        *,
        max_results: int = 20,
        exclude: Sequence[str] = ("retweets", "replies"),
        pagination_token: str | None = None,
    ) -> TimelinePage:
        """The account's posts in the sample, newest first (the sample has no older ones)."""
        data = await self.dataset()
        uid = str(user_id)
        user = self._by_id.get(uid)
        if user is None or user.get("protected"):
            reason = "not_found" if user is None else "protected"
            return parse_timeline_page(timeline_error(uid, reason))
        scope = f"{uid}\n{','.join(sorted(exclude))}"
        try:
            offset = decode_token(scope, pagination_token) if pagination_token else 0
        except ValueError as exc:
            raise XBadQuery(str(exc)) from None
        own = self._timelines.get(uid)
        if own is None:
            own = [p for p in data.get("posts", ()) if str(p.get("author_id")) == uid]
            self._timelines[uid] = own
        posts = timeline_posts(own, exclude)
        size = max(5, min(100, max_results))
        payload = timeline_payload(
            posts, offset=offset, max_results=size, scope=scope, find_user=self._find_user
        )
        return parse_timeline_page(payload)

    async def users_by_ids(self, ids: Sequence[str]) -> UsersPage:
        if len(ids) > MAX_LOOKUP:
            raise ValueError(f"at most {MAX_LOOKUP} ids per lookup, got {len(ids)}")
        await self.dataset()
        wanted = [str(i) for i in ids]
        payload = lookup_payload(wanted, "ids", self._by_id.get)
        return parse_users_page(payload, wanted, "ids")

    async def users_by_usernames(self, usernames: Sequence[str]) -> UsersPage:
        if len(usernames) > MAX_LOOKUP:
            raise ValueError(f"at most {MAX_LOOKUP} usernames per lookup, got {len(usernames)}")
        await self.dataset()
        wanted = [u.strip().lstrip("@") for u in usernames]
        payload = lookup_payload(wanted, "usernames", lambda h: self._by_handle.get(h.lower()))
        return parse_users_page(payload, wanted, "usernames")

    async def followers(
        self, user_id: str, *, max_results: int = 1000, pagination_token: str | None = None
    ) -> FollowersPage:
        await self.dataset()
        user = self._by_id.get(str(user_id))
        if user is None:
            return parse_followers_page(
                {"errors": [lookup_error(str(user_id), "id")], "meta": {"result_count": 0}}
            )
        try:
            offset = decode_token(str(user_id), pagination_token) if pagination_token else 0
        except ValueError as exc:
            raise XBadQuery(str(exc)) from None
        followers = self._followers.get(str(user_id))
        if followers is None:
            share = audience_fake_share(str(user_id), bought=str(user_id) in self._bought)
            followers = generate_followers(user, fake_share=share, observed_at=self._clock())
            self._followers[str(user_id)] = followers
        size = max(1, min(1000, max_results))
        payload = followers_payload(followers, offset=offset, max_results=size, scope=str(user_id))
        return parse_followers_page(payload)

    async def aclose(self) -> None:
        """Nothing to release; present for the port."""
