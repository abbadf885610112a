"""`SampleXSource`: the `XSource` behind the no-token demo, served from bundled data.

It answers through the same `parse.py` code as the real client by building X API
v2 payloads first, so the demo exercises the production parsing path. The payload
builders here are also used by the fake X server in the tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.x.parse import (
    parse_datetime,
    parse_followers_page,
    parse_search_page,
    parse_users_page,
)
from adapters.x.query_match import Matcher, parse_query
from adapters.x.sample_gen import SAMPLE_PATH, generate_followers, shift_dataset
from core.errors import XBadQuery
from core.models import FollowersPage, SearchPage, UsersPage

log = logging.getLogger(__name__)

SEARCH_WINDOW = timedelta(days=7)
MAX_LOOKUP = 100


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- payload builders shared with tests/fakes/x_server.py -------------------------


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


def matching_posts(
    posts: Iterable[Mapping[str, Any]],
    authors: Mapping[str, Mapping[str, Any]],
    matcher: Matcher,
    now: datetime,
) -> list[Mapping[str, Any]]:
    """Posts of the last 7 days that match, newest first (as recent search returns them)."""
    since = now - SEARCH_WINDOW
    found = []
    for post in posts:
        created = parse_datetime(post.get("created_at"))
        if created is None or not since <= created <= now:
            continue
        author = authors.get(str(post.get("author_id")))
        if author is not None and author.get("protected"):
            continue
        if matcher(post, author):
            found.append(post)
    found.sort(key=lambda p: (str(p.get("created_at")), int(str(p.get("id", "0")))), reverse=True)
    return found


def search_payload(
    found: Sequence[Mapping[str, Any]],
    authors: Mapping[str, Mapping[str, Any]],
    *,
    offset: int,
    max_results: int,
    scope: str,
) -> dict[str, Any]:
    """A `GET /2/tweets/search/recent` body with `expansions=author_id`."""
    page = list(found[offset : offset + max_results])
    meta: dict[str, Any] = {"result_count": len(page)}
    if not page:
        return {"meta": meta}
    users: dict[str, Mapping[str, Any]] = {}
    for post in page:
        author_id = str(post.get("author_id"))
        if author_id in authors and author_id not in users:
            users[author_id] = authors[author_id]
    meta["newest_id"] = str(page[0]["id"])
    meta["oldest_id"] = str(page[-1]["id"])
    if offset + max_results < len(found):
        meta["next_token"] = encode_token(scope, offset + max_results)
    return {
        "data": [dict(p) for p in page],
        "includes": {"users": [dict(u) for u in users.values()]},
        "meta": meta,
    }


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
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return "sample"

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

    async def search_recent(
        self, query: str, *, max_results: int = 100, next_token: str | None = None
    ) -> SearchPage:
        data = await self.dataset()
        try:
            matcher = parse_query(query)
            offset = decode_token(query, next_token) if next_token else 0
        except ValueError as exc:
            raise XBadQuery(f"X would reject this search: {exc}") from None
        size = max(10, min(100, max_results))
        found = matching_posts(data.get("posts", ()), self._by_id, matcher, self._clock())
        payload = search_payload(found, self._by_id, offset=offset, max_results=size, scope=query)
        return parse_search_page(payload)

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
            share = 0.7 if str(user_id) in self._bought else 0.08
            followers = generate_followers(user, fake_share=share, observed_at=self._clock())
            self._followers[str(user_id)] = followers
        size = max(1, min(1000, max_results))
        payload = followers_payload(followers, offset=offset, max_results=size, scope=str(user_id))
        return parse_followers_page(payload)

    async def aclose(self) -> None:
        """Nothing to release; present for the port."""
