"""A real local HTTP server speaking the X API v2 wire format, for integration tests.

Serves recent search, recent counts, user timelines, user lookups (by ids and
usernames), followers and the project's usage (`GET /2/usage/tweets`) from a dataset
produced by `adapters.x.sample_gen.generate()` or from a generated world
(`tests.fakes.x_world`), with per-endpoint rate-limit headers, X-shaped error bodies,
X's pay-per-use billing, and fault injection:

    async with FakeXServer(dataset, bearer="test-token") as server:
        server.fail_next("/2/tweets/search/recent", 503, times=2)
        source = TweepyXSource("test-token", base_url=server.base_url)
        ...
        assert len(server.requests) == 3

    async with FakeXServer(world=generate_world(scale=0.1)) as server:
        server.reject_operators({"min_likes"})  # 400 naming the operator, as X does
        ...
        bill = server.billing()  # requests, posts, users, count requests, dollars

Billing follows X's pay-per-use page: each post returned (search `data`, timeline
`data`, `includes.tweets`) costs $0.005, each user returned (`includes.users`, lookup
and followers `data`) $0.010, each counts request $0.005; a post or user is charged
once per UTC day (by the server's clock). `sort_order=relevancy` orders by
`adapters.x.sample.relevancy_score` (log engagement halved every 48 h of age).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

from adapters.x.parse import parse_datetime
from adapters.x.query_match import Matcher, parse_query
from adapters.x.sample import (
    GRANULARITIES,
    SEARCH_WINDOW,
    TIMELINE_EXCLUDES,
    by_relevancy,
    counts_payload,
    decode_token,
    followers_payload,
    lookup_error,
    lookup_payload,
    matching_posts,
    search_payload,
    timeline_error,
    timeline_payload,
    timeline_posts,
)
from adapters.x.sample_gen import generate, generate_followers, shift_dataset
from core.ports import SORT_ORDERS

if TYPE_CHECKING:
    from tests.fakes.x_world import XWorld

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    "search": 450,
    "users": 300,
    "users_by": 300,
    "followers": 300,
    "tweets": 10_000,
    "counts": 300,
    "usage": 50,
}
WINDOW_SECONDS = 900
POST_USD = 0.005
USER_USD = 0.010
COUNT_REQUEST_USD = 0.005
# Post reads a pay-per-use project may make in a billing month (`GET /2/usage/tweets`).
PROJECT_POST_CAP = 2_000_000
SEARCH_EXPANSIONS = frozenset(
    {
        "author_id",
        "entities.mentions.username",
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
        "in_reply_to_user_id",
    }
)
TWEET_FIELDS = frozenset(
    [
        "article",
        "attachments",
        "author_id",
        "card_uri",
        "community_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "display_text_range",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "media_metadata",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "paid_partnership",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "scopes",
        "source",
        "text",
        "withheld",
    ]
)
USER_FIELDS = frozenset(
    [
        "affiliation",
        "confirmed_email",
        "connection_status",
        "created_at",
        "description",
        "entities",
        "id",
        "is_identity_verified",
        "location",
        "most_recent_tweet_id",
        "name",
        "parody",
        "pinned_tweet_id",
        "profile_banner_url",
        "profile_image_url",
        "protected",
        "public_metrics",
        "receives_your_dm",
        "subscription",
        "subscription_type",
        "url",
        "username",
        "verified",
        "verified_followers_count",
        "verified_type",
        "withheld",
    ]
)
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_ID_RE = re.compile(r"^[0-9]{1,19}$")
_ALWAYS_POST_FIELDS = ("id", "text", "edit_history_tweet_ids")
_ALWAYS_USER_FIELDS = ("id", "name", "username")

_DEFAULT_BODIES: dict[int, dict[str, Any]] = {
    400: {
        "errors": [{"parameters": {}, "message": "Invalid request"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    },
    401: {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
    403: {
        "title": "Client Forbidden",
        "detail": (
            "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
            "and tokens from a Twitter developer App that is attached to a Project."
        ),
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    },
    429: {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    },
    500: {
        "title": "Internal Server Error",
        "detail": "Internal Server Error",
        "type": "about:blank",
        "status": 500,
    },
    503: {
        "title": "Service Unavailable",
        "detail": "Service Unavailable",
        "type": "about:blank",
        "status": 503,
    },
    402: {
        "title": "CreditsDepleted",
        "detail": (
            "Your enrolled account does not have any credits to fulfill this request, "
            "or it has reached its spending cap."
        ),
        "type": "https://api.twitter.com/2/problems/credits",
        "status": 402,
    },
}


class _Rejected(Exception):
    """Internal: a request X would refuse; the middleware answers with `response`."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _bad(parameter: str, value: str, message: str) -> _Rejected:
    return _Rejected(web.json_response(invalid_request(parameter, value, message), status=400))


@dataclass(frozen=True)
class Bill:
    """What X would charge: requests answered, distinct-per-day posts and users returned,
    counts requests, and the dollars for them."""

    requests: int
    posts: int
    users: int
    count_requests: int
    usd: float


@dataclass(slots=True)
class _Day:
    requests: int = 0
    posts: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    count_requests: int = 0

    def bill(self) -> Bill:
        return Bill(
            requests=self.requests,
            posts=len(self.posts),
            users=len(self.users),
            count_requests=self.count_requests,
            usd=round(
                len(self.posts) * POST_USD
                + len(self.users) * USER_USD
                + self.count_requests * COUNT_REQUEST_USD,
                6,
            ),
        )


def invalid_request(parameter: str, value: str, message: str) -> dict[str, Any]:
    """X's 400 body for a bad parameter."""
    return {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as the server saw it.

    `path` is without the mount prefix (`full_path` has it); header names are lower-case.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    full_path: str = ""


FAULT_KINDS = ("status", "hang", "cut")


@dataclass(slots=True)
class _Fault:
    prefix: str
    status: int
    times: int
    body: Any
    headers: dict[str, str]
    kind: str = "status"  # "hang": hold, then answer; "cut": headers + half a body, then close
    hold: float = 0.0
    after: int = 0  # matching requests served normally before the fault starts


@dataclass(slots=True)
class _Window:
    limit: int
    used: int = 0
    started: float = 0.0
    reset_override: int | None = None

    def reset_epoch(self) -> int:
        if self.reset_override is not None:
            return self.reset_override
        return int(self.started + WINDOW_SECONDS)


@dataclass
class FakeXServer:
    """The fake X API. Seed it with a dataset or a world; use it as an async context manager.

    A `world` is served as generated (its dates are already "now", its posts are not
    copied) and its timelines answer `GET /2/users/:id/tweets`; matched searches are then
    cached per query, sort order and window (call `clear_cache()` after editing posts).
    Without a world a timeline is the account's posts in the dataset, newest first.
    """

    # repr=False: pytest reprs fixture values, and a world's repr is megabytes
    dataset: Mapping[str, Any] | None = field(default=None, repr=False)
    bearer: str = "test-token"
    prefix: str = ""
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    follower_limit: int = 2_000
    clock: Callable[[], float] = time.time
    requests: list[RecordedRequest] = field(default_factory=list)
    suspended: set[str] = field(default_factory=set)
    followers: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    world: XWorld | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.world is not None:
            # generated for "now" already; shifting would copy 40K posts and break the
            # identity between indexed and timeline posts
            data: dict[str, Any] = self.world.dataset
        else:
            raw = self.dataset if self.dataset is not None else generate()
            data = shift_dataset(raw, datetime.fromtimestamp(self.clock(), tz=UTC))
        self.data = data
        self.users_by_id: dict[str, dict[str, Any]] = {str(u["id"]): u for u in data["users"]}
        self.users_by_handle = {str(u["username"]).lower(): u for u in data["users"]}
        self.posts: list[dict[str, Any]] = list(data["posts"])
        self.bought: frozenset[str] = frozenset(
            (data.get("labels") or {}).get("bought_audience", ())
        )
        self.prefix = "/" + self.prefix.strip("/") if self.prefix.strip("/") else ""
        self._faults: list[_Fault] = []
        self._latency = 0.0
        self._field_names: str | None = None
        self._windows: dict[str, _Window] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._rejected: set[str] = set()
        self._ledger: dict[date, _Day] = {}
        self._matched: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
        self._posts_by_id: dict[str, Mapping[str, Any]] | None = None

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        p = self.prefix
        app.router.add_get(p + "/2/tweets/search/recent", self._search)
        app.router.add_get(p + "/2/tweets/counts/recent", self._counts)
        app.router.add_get(p + "/2/users", self._users)
        app.router.add_get(p + "/2/users/by", self._users_by)
        app.router.add_get(p + "/2/users/{id}/followers", self._followers)
        app.router.add_get(p + "/2/users/{id}/tweets", self._timeline)
        app.router.add_get(p + "/2/usage/tweets", self._usage)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{self.prefix}"

    # --- test controls -------------------------------------------------------------

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        times: int = 1,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        kind: str = "status",
        hold: float = 30.0,
        after: int = 0,
    ) -> None:
        """Answer the next `times` requests whose path starts with `path_prefix` with `status`.

        `body` may be a dict (sent as JSON) or a str (sent as text/html); by default an
        X-shaped body for the status. `headers` override the rate-limit headers; a 429
        without them says `remaining: 0` until the end of the current window.

        Other `kind`s of fault (`status` is then ignored) serve the request as usual
        (counted and billed, as X would) but: `"hang"` holds it `hold` seconds first
        (longer than a client's timeout), `"cut"` sends the status line, the headers
        and half the body, then closes the connection. `after` serves that many
        matching requests normally first (a fault in the middle of a pass).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {kind!r}")
        fault = _Fault(path_prefix, status, times, body, dict(headers or {}), kind, hold, after)
        self._faults.append(fault)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by `seconds`."""
        self._latency = seconds

    def use_field_names(self, names: str | None) -> None:
        """Serve `"post_count"` (2026: post_count/repost_count) or `"tweet_count"`
        (tweet_count/retweet_count) names for everyone; None serves the dataset as is."""
        if names not in {None, "post_count", "tweet_count"}:
            raise ValueError(f"unknown field-name revision {names!r}")
        self._field_names = names

    def set_rate_limit(
        self,
        endpoint: str,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        reset_in: float | None = None,
    ) -> None:
        """Set an endpoint's window (`search`, `counts`, `tweets`, `users`, `users_by`,
        `followers`)."""
        window = self._window(endpoint)
        if limit is not None:
            window.limit = limit
            self.limits[endpoint] = limit
        if remaining is not None:
            window.used = max(0, window.limit - remaining)
        if reset_in is not None:
            window.reset_override = int(self.clock() + reset_in)

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def reject_operators(self, operators: Iterable[str] | None) -> None:
        """Answer 400 to searches and counts using these operators, as X does for an app
        whose product lacks them: names (`min_likes`) or name:value (`is:nullcast`).
        None or an empty set accepts every operator again."""
        self._rejected = {o.lower() for o in operators or ()}

    def billing(self, day: date | None = None) -> Bill:
        """What X would have charged on UTC `day`, or over everything so far (None)."""
        if day is not None:
            return self._ledger.get(day, _Day()).bill()
        bills = [d.bill() for d in self._ledger.values()]
        return Bill(
            requests=sum(b.requests for b in bills),
            posts=sum(b.posts for b in bills),
            users=sum(b.users for b in bills),
            count_requests=sum(b.count_requests for b in bills),
            usd=round(sum(b.usd for b in bills), 6),
        )

    def reset_billing(self) -> None:
        self._ledger.clear()

    def clear_cache(self) -> None:
        """Forget cached search matches (after editing posts in place)."""
        self._matched.clear()
        self._posts_by_id = None

    # --- plumbing ------------------------------------------------------------------

    def _window(self, endpoint: str) -> _Window:
        now = self.clock()
        window = self._windows.get(endpoint)
        if window is None or now >= window.reset_epoch():
            window = _Window(limit=self.limits.get(endpoint, 300), started=now)
            self._windows[endpoint] = window
        return window

    def _rate_headers(self, endpoint: str) -> dict[str, str]:
        window = self._window(endpoint)
        return {
            "x-rate-limit-limit": str(window.limit),
            "x-rate-limit-remaining": str(max(0, window.limit - window.used)),
            "x-rate-limit-reset": str(window.reset_epoch()),
        }

    @staticmethod
    def _endpoint(path: str) -> str:
        if path.startswith("/2/tweets/search"):
            return "search"
        if path.startswith("/2/tweets/counts"):
            return "counts"
        if path.startswith("/2/users/by"):
            return "users_by"
        if path.endswith("/followers"):
            return "followers"
        if path.startswith("/2/users/") and path.endswith("/tweets"):
            return "tweets"
        if path.startswith("/2/usage"):
            return "usage"
        return "users"

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if path.startswith(fault.prefix):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        full = request.path
        path = full[len(self.prefix) :] if self.prefix and full.startswith(self.prefix) else full
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=path,
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                full_path=full,
            )
        )
        if self._latency:
            await asyncio.sleep(self._latency)
        endpoint = self._endpoint(path)
        fault = self._take_fault(path)
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.hold)
            fault = None
        if fault is not None and fault.kind == "status":
            headers = self._rate_headers(endpoint)
            if fault.status == 429 and not fault.headers:
                headers["x-rate-limit-remaining"] = "0"
            headers.update(fault.headers)
            if isinstance(fault.body, str):
                return web.Response(
                    status=fault.status, text=fault.body, content_type="text/html", headers=headers
                )
            body = fault.body if fault.body is not None else _DEFAULT_BODIES.get(fault.status, {})
            return web.json_response(body, status=fault.status, headers=headers)

        if request.headers.get("Authorization") != f"Bearer {self.bearer}":
            return web.json_response(_DEFAULT_BODIES[401], status=401)

        window = self._window(endpoint)
        if window.used >= window.limit:
            return web.json_response(
                _DEFAULT_BODIES[429], status=429, headers=self._rate_headers(endpoint)
            )
        window.used += 1
        try:
            response = await handler(request)
        except _Rejected as rejected:
            response = rejected.response
        except web.HTTPNotFound:
            response = web.json_response(
                {"title": "Not Found Error", "detail": "Route not found", "status": 404}, status=404
            )
        if response.status == 200:
            self._day().requests += 1
        response.headers.update(self._rate_headers(endpoint))
        if fault is not None and fault.kind == "cut":
            return await _cut(request, response)
        return response

    def _day(self) -> _Day:
        return self._ledger.setdefault(self._now().date(), _Day())

    def _bill(
        self,
        posts: Iterable[Mapping[str, Any]] = (),
        users: Iterable[Mapping[str, Any]] = (),
        *,
        count_request: bool = False,
    ) -> None:
        day = self._day()
        day.posts.update(str(p.get("id")) for p in posts)
        day.users.update(str(u.get("id")) for u in users)
        if count_request:
            day.count_requests += 1

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def _render_user(self, user: Mapping[str, Any], fields: set[str] | None) -> dict[str, Any]:
        out = {
            k: copy.deepcopy(v)
            for k, v in user.items()
            if fields is None or k in fields or k in _ALWAYS_USER_FIELDS
        }
        metrics = out.get("public_metrics")
        if isinstance(metrics, dict) and self._field_names:
            old, new = (
                ("tweet_count", "post_count")
                if self._field_names == "post_count"
                else ("post_count", "tweet_count")
            )
            if old in metrics:
                metrics[new] = metrics.pop(old)
        return out

    def _render_post(self, post: Mapping[str, Any], fields: set[str] | None) -> dict[str, Any]:
        out = {
            k: copy.deepcopy(v)
            for k, v in post.items()
            if not k.startswith("_") and (fields is None or k in fields or k in _ALWAYS_POST_FIELDS)
        }
        metrics = out.get("public_metrics")
        if isinstance(metrics, dict) and self._field_names:
            old, new = (
                ("retweet_count", "repost_count")
                if self._field_names == "post_count"
                else ("repost_count", "retweet_count")
            )
            if old in metrics:
                metrics[new] = metrics.pop(old)
        return out

    @staticmethod
    def _fields(request: web.Request, name: str) -> set[str]:
        return {f for f in request.query.get(name, "").split(",") if f}

    @staticmethod
    def _int_param(
        request: web.Request, name: str, default: int, low: int, high: int
    ) -> int | web.Response:
        """The integer parameter, or X's 400 answer when it is out of range."""
        raw = request.query.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            message = f"The `{name}` query parameter value [{raw}] is not between {low} and {high}"
            return web.json_response(invalid_request(name, raw, message), status=400)
        return int(raw)

    # --- endpoints -----------------------------------------------------------------

    def _find_handle(self, handle: str) -> dict[str, Any] | None:
        return self.users_by_handle.get(handle.lower())

    def _query(self, request: web.Request) -> tuple[str, Matcher]:
        """The parsed `query` parameter, or X's 400 (malformed, or an operator refused)."""
        query = request.query.get("query", "")
        try:
            matcher = parse_query(query)
        except ValueError as exc:
            raise _bad("query", query, str(exc)) from None
        refused = matcher.first_of(self._rejected) if self._rejected else None
        if refused is not None:
            message = (
                "There were errors processing your request: Reference to invalid operator "
                f"'{refused.name}'. Operator is not available in current product or you are "
                f"not authorized to use it. (at position {refused.pos})"
            )
            raise _bad("query", query, message)
        return query, matcher

    @staticmethod
    def _list_param(request: web.Request, name: str, allowed: Iterable[str]) -> set[str]:
        """A comma-separated parameter whose every value must be in `allowed`."""
        raw = request.query.get(name)
        if raw is None:
            return set()
        values = [v for v in raw.split(",") if v]
        known = set(allowed)
        for value in values:
            if value not in known:
                message = (
                    f"The `{name}` query parameter value [{value}] is not one of "
                    f"[{', '.join(sorted(known))}]"
                )
                raise _bad(name, value, message)
        return set(values)

    def _window_params(
        self, request: web.Request
    ) -> tuple[datetime | None, datetime | None, int | None, int | None]:
        """`start_time`, `end_time`, `since_id`, `until_id`, validated as X does."""
        now = self._now()
        times: list[datetime | None] = []
        for name in ("start_time", "end_time"):
            raw = request.query.get(name)
            if raw is None:
                times.append(None)
                continue
            parsed = parse_datetime(raw)
            if parsed is None or "T" not in raw:
                message = f"Invalid '{name}':'{raw}'. '{name}' must be an ISO 8601 timestamp"
                raise _bad(name, raw, message)
            times.append(parsed)
        start, end = times
        oldest = now - SEARCH_WINDOW
        if start is not None and start < oldest - timedelta(seconds=60):
            message = (
                f"Invalid 'start_time':'{request.query['start_time']}'. 'start_time' must be "
                f"on or after {oldest:%Y-%m-%dT%H:%MZ}"
            )
            raise _bad("start_time", request.query["start_time"], message)
        if start is not None and end is not None and end <= start:
            message = "Invalid 'end_time'. 'end_time' must be after 'start_time'"
            raise _bad("end_time", request.query["end_time"], message)
        ids: list[int | None] = []
        for name in ("since_id", "until_id"):
            raw = request.query.get(name)
            if raw is not None and not _ID_RE.match(raw):
                raise _bad(name, raw, f"The `{name}` query parameter value [{raw}] is not valid")
            ids.append(int(raw) if raw is not None else None)
        return start, end, ids[0], ids[1]

    def _find(
        self,
        query: str,
        matcher: Matcher,
        sort_order: str | None,
        window: tuple[datetime | None, datetime | None, int | None, int | None],
    ) -> list[Mapping[str, Any]]:
        """Matching posts in search order.

        Cached when serving a world, whose posts are fixed (in-place edits need
        `clear_cache()`): per query and window, and per sort order on top. Relevancy
        decays every post alike, so its order holds as time passes.
        """
        now = self._now()
        start, end, since_id, until_id = window
        base = (query, *window, id(self.posts), len(self.posts), int(now.timestamp()) // 60)
        cache = self.world is not None
        found = self._matched.get(base) if cache else None
        if found is None:
            found = matching_posts(
                self.posts,
                self.users_by_id,
                matcher,
                now,
                start=start,
                end=end,
                since_id=since_id,
                until_id=until_id,
            )
            if cache:
                if len(self._matched) > 64:
                    self._matched.clear()
                self._matched[base] = found
        if sort_order != "relevancy":
            return found
        ranked = self._matched.get((*base, "relevancy")) if cache else None
        if ranked is None:
            ranked = by_relevancy(found, now)
            if cache:
                self._matched[(*base, "relevancy")] = ranked
        return ranked

    def _post_by_id(self, post_id: str) -> Mapping[str, Any] | None:
        if self._posts_by_id is None or len(self._posts_by_id) < len(self.posts):
            self._posts_by_id = {str(p.get("id")): p for p in self.posts}
        return self._posts_by_id.get(post_id)

    def _expand(
        self,
        payload: dict[str, Any],
        raw_page: Sequence[Mapping[str, Any]],
        expansions: set[str],
        post_fields: set[str],
        user_fields: set[str],
    ) -> None:
        """Render `data`, fill `includes` for the requested expansions, and bill them."""
        if "data" not in payload:
            payload.pop("includes", None)
            return
        payload["data"] = [self._render_post(p, post_fields) for p in payload["data"]]
        users: dict[str, Mapping[str, Any]] = {}
        tweets: dict[str, Mapping[str, Any]] = {}
        errors: list[dict[str, Any]] = []

        def add_user(user_id: Any) -> None:
            user = self.users_by_id.get(str(user_id))
            if user is not None:
                users.setdefault(str(user["id"]), user)

        for post in raw_page:
            if "author_id" in expansions:
                add_user(post.get("author_id"))
            if "in_reply_to_user_id" in expansions and post.get("in_reply_to_user_id"):
                add_user(post.get("in_reply_to_user_id"))
            if "entities.mentions.username" in expansions:
                entities = post.get("entities")
                mentions = entities.get("mentions") if isinstance(entities, Mapping) else None
                for mention in mentions or ():
                    add_user(mention.get("id"))
            if expansions & {"referenced_tweets.id", "referenced_tweets.id.author_id"}:
                for ref in post.get("referenced_tweets") or ():
                    ref_id = str(ref.get("id"))
                    found = self._post_by_id(ref_id)
                    if found is None:
                        if "referenced_tweets.id" in expansions:
                            errors.append(_missing_tweet(ref_id))
                        continue
                    if "referenced_tweets.id" in expansions:
                        tweets.setdefault(ref_id, found)
                    if "referenced_tweets.id.author_id" in expansions:
                        add_user(found.get("author_id"))
        includes: dict[str, Any] = {}
        if users:
            includes["users"] = [self._render_user(u, user_fields) for u in users.values()]
        if tweets:
            includes["tweets"] = [self._render_post(t, post_fields) for t in tweets.values()]
        if includes:
            payload["includes"] = includes
        else:
            payload.pop("includes", None)
        if errors:
            payload["errors"] = errors
        self._bill(posts=[*payload["data"], *includes.get("tweets", ())], users=users.values())

    async def _search(self, request: web.Request) -> web.StreamResponse:
        query, matcher = self._query(request)
        size = self._int_param(request, "max_results", 10, 10, 100)
        if isinstance(size, web.Response):
            return size
        sort_order = request.query.get("sort_order")
        if sort_order is not None and sort_order not in SORT_ORDERS:
            message = (
                f"The `sort_order` query parameter value [{sort_order}] is not one of "
                "[recency, relevancy]"
            )
            raise _bad("sort_order", sort_order, message)
        expansions = self._list_param(request, "expansions", SEARCH_EXPANSIONS)
        post_fields = self._list_param(request, "tweet.fields", TWEET_FIELDS)
        user_fields = self._list_param(request, "user.fields", USER_FIELDS)
        window = self._window_params(request)
        scope = "\n".join((query, sort_order or "recency", *(str(w) for w in window)))
        token = request.query.get("next_token")
        try:
            offset = decode_token(scope, token) if token else 0
        except ValueError as exc:
            raise _bad("next_token", token or "", str(exc)) from None
        found = self._find(query, matcher, sort_order, window)
        payload = search_payload(
            found,
            self.users_by_id,
            offset=offset,
            max_results=size,
            scope=scope,
            expand_authors=False,
            find_user=self._find_handle,
        )
        raw_page = found[offset : offset + size]
        self._expand(payload, raw_page, expansions, post_fields, user_fields)
        return web.json_response(payload)

    async def _counts(self, request: web.Request) -> web.StreamResponse:
        query, matcher = self._query(request)
        granularity = request.query.get("granularity", "hour")
        if granularity not in GRANULARITIES:
            message = (
                f"The `granularity` query parameter value [{granularity}] is not one of "
                "[minute, hour, day]"
            )
            raise _bad("granularity", granularity, message)
        window = self._window_params(request)
        now = self._now()
        start = window[0] or now - SEARCH_WINDOW
        end = window[1] or now
        found = self._find(query, matcher, None, window)
        # the newest bucket includes a post made at `end` itself
        payload = counts_payload(
            found, start=start, end=end + timedelta(microseconds=1), granularity=granularity
        )
        payload["data"][-1]["end"] = _iso(end)
        self._bill(count_request=True)
        return web.json_response(payload)

    def _timeline_source(self, user_id: str) -> list[Mapping[str, Any]]:
        if self.world is not None and self.world.timeline(user_id):
            return list(self.world.timeline(user_id))
        return [p for p in self.posts if str(p.get("author_id")) == user_id]

    async def _timeline(self, request: web.Request) -> web.StreamResponse:
        user_id = request.match_info["id"]
        if not _ID_RE.match(user_id):
            raise _bad("id", user_id, f"The `id` query parameter value [{user_id}] is not valid")
        size = self._int_param(request, "max_results", 10, 5, 100)
        if isinstance(size, web.Response):
            return size
        exclude = self._list_param(request, "exclude", TIMELINE_EXCLUDES)
        expansions = self._list_param(request, "expansions", SEARCH_EXPANSIONS)
        post_fields = self._list_param(request, "tweet.fields", TWEET_FIELDS)
        user_fields = self._list_param(request, "user.fields", USER_FIELDS)
        window = self._window_params(request)
        user = self.users_by_id.get(user_id)
        suspended = {s.lower() for s in self.suspended}
        if user is None:
            return web.json_response(timeline_error(user_id, "not_found"))
        if user_id in suspended or str(user.get("username", "")).lower() in suspended:
            return web.json_response(timeline_error(user_id, "suspended"))
        if user.get("protected"):
            return web.json_response(timeline_error(user_id, "protected"))
        scope = "\n".join((user_id, ",".join(sorted(exclude)), *(str(w) for w in window)))
        token = request.query.get("pagination_token")
        try:
            offset = decode_token(scope, token) if token else 0
        except ValueError as exc:
            raise _bad("pagination_token", token or "", str(exc)) from None
        posts = timeline_posts(self._timeline_source(user_id), exclude)
        start, end, since_id, until_id = window
        if any(w is not None for w in window):
            posts = [p for p in posts if _in_window(p, start, end, since_id, until_id)]
        payload = timeline_payload(
            posts, offset=offset, max_results=size, scope=scope, find_user=self._find_handle
        )
        self._expand(payload, posts[offset : offset + size], expansions, post_fields, user_fields)
        return web.json_response(payload)

    async def _lookup(self, request: web.Request, param: str) -> web.StreamResponse:
        raw = request.query.get(param, "")
        values = [v for v in raw.split(",") if v]
        if not 1 <= len(values) <= 100:
            return web.json_response(
                invalid_request(
                    param,
                    raw,
                    f"The number of values in the `{param}` query parameter list [{len(values)}] "
                    "is not between 1 and 100",
                ),
                status=400,
            )
        pattern = _ID_RE if param == "ids" else _USERNAME_RE
        for value in values:
            if not pattern.match(value):
                return web.json_response(
                    invalid_request(
                        param,
                        value,
                        f"The `{param}` query parameter value [{value}] does not match "
                        f"{pattern.pattern}",
                    ),
                    status=400,
                )
        if param == "ids":
            find: Callable[[str], dict[str, Any] | None] = self.users_by_id.get
        else:
            find = lambda handle: self.users_by_handle.get(handle.lower())  # noqa: E731
        payload = lookup_payload(values, param, find, {s.lower() for s in self.suspended})
        fields = self._fields(request, "user.fields")
        if "data" in payload:
            payload["data"] = [self._render_user(u, fields) for u in payload["data"]]
            self._bill(users=payload["data"])
        return web.json_response(payload)

    async def _users(self, request: web.Request) -> web.StreamResponse:
        return await self._lookup(request, "ids")

    async def _users_by(self, request: web.Request) -> web.StreamResponse:
        return await self._lookup(request, "usernames")

    async def _usage(self, request: web.Request) -> web.StreamResponse:
        """The project's Post reads this month (billed posts, once per day each).

        Returns no posts or users, so nothing on it is billed.
        """
        days = self._int_param(request, "days", 7, 1, 90)
        if isinstance(days, web.Response):
            return days
        today = self._now().date()
        this_month = (today.year, today.month)
        month = [d for day, d in self._ledger.items() if (day.year, day.month) == this_month]
        next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        return web.json_response(
            {
                "data": {
                    "cap_reset_day": (next_month - today).days,
                    "project_cap": str(PROJECT_POST_CAP),
                    "project_id": "1369785403853424",
                    "project_usage": str(sum(len(d.posts) for d in month)),
                }
            }
        )

    async def _followers(self, request: web.Request) -> web.StreamResponse:
        user_id = request.match_info["id"]
        size = self._int_param(request, "max_results", 100, 1, 1000)
        if isinstance(size, web.Response):
            return size
        user = self.users_by_id.get(user_id)
        if user is None:
            return web.json_response({"errors": [lookup_error(user_id, "id")]})
        token = request.query.get("pagination_token")
        try:
            offset = decode_token(user_id, token) if token else 0
        except ValueError as exc:
            return web.json_response(
                invalid_request("pagination_token", token or "", str(exc)), status=400
            )
        followers = self.followers.get(user_id)
        if followers is None:
            share = 0.7 if user_id in self.bought else 0.08
            followers = generate_followers(
                user, fake_share=share, limit=self.follower_limit, observed_at=self._now()
            )
            self.followers[user_id] = followers
        payload = followers_payload(followers, offset=offset, max_results=size, scope=user_id)
        fields = self._fields(request, "user.fields")
        if "data" in payload:
            payload["data"] = [self._render_user(u, fields) for u in payload["data"]]
            self._bill(users=payload["data"])
        return web.json_response(payload)


async def _cut(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Send `response`'s headers and half its body, then drop the connection."""
    body = response.body if isinstance(response, web.Response) else b""
    data = body if isinstance(body, bytes) else b""
    cut = web.StreamResponse(status=response.status, headers=response.headers)
    cut.content_length = len(data)
    await cut.prepare(request)
    await cut.write(data[: len(data) // 2])
    if request.transport is not None:
        request.transport.close()
    return cut


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _missing_tweet(post_id: str) -> dict[str, Any]:
    return {
        "value": post_id,
        "detail": f"Could not find tweet with referenced_tweets.id: [{post_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "referenced_tweets.id",
        "resource_id": post_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _in_window(
    post: Mapping[str, Any],
    start: datetime | None,
    end: datetime | None,
    since_id: int | None,
    until_id: int | None,
) -> bool:
    created = parse_datetime(post.get("created_at"))
    pid = int(str(post.get("id", "0")))
    return not (
        (start is not None and (created is None or created < start))
        or (end is not None and (created is None or created > end))
        or (since_id is not None and pid <= since_id)
        or (until_id is not None and pid >= until_id)
    )
