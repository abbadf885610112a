"""A real local HTTP server speaking the X API v2 wire format, for integration tests.

Serves recent search, user lookups (by ids and usernames) and followers from a
dataset produced by `adapters.x.sample_gen.generate()`, with per-endpoint rate-limit
headers, X-shaped error bodies, and fault injection:

    async with FakeXServer(dataset, bearer="test-token") as server:
        server.fail_next("/2/tweets/search/recent", 503, times=2)
        source = TweepyXSource("test-token", base_url=server.base_url)
        ...
        assert len(server.requests) == 3
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from aiohttp import web

from adapters.x.query_match import parse_query
from adapters.x.sample import (
    decode_token,
    followers_payload,
    lookup_error,
    lookup_payload,
    matching_posts,
    search_payload,
)
from adapters.x.sample_gen import generate, generate_followers, shift_dataset

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {"search": 450, "users": 300, "users_by": 300, "followers": 300}
WINDOW_SECONDS = 900
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
}


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


@dataclass(slots=True)
class _Fault:
    prefix: str
    status: int
    times: int
    body: Any
    headers: dict[str, str]


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
    """The fake X API. Seed it with a dataset; use it as an async context manager."""

    dataset: Mapping[str, Any] | None = None
    bearer: str = "test-token"
    prefix: str = ""
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    follower_limit: int = 2_000
    clock: Callable[[], float] = time.time
    requests: list[RecordedRequest] = field(default_factory=list)
    suspended: set[str] = field(default_factory=set)
    followers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        raw = self.dataset if self.dataset is not None else generate()
        data = shift_dataset(raw, datetime.fromtimestamp(self.clock(), tz=UTC))
        self.data: dict[str, Any] = data
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

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        p = self.prefix
        app.router.add_get(p + "/2/tweets/search/recent", self._search)
        app.router.add_get(p + "/2/users", self._users)
        app.router.add_get(p + "/2/users/by", self._users_by)
        app.router.add_get(p + "/2/users/{id}/followers", self._followers)
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
    ) -> None:
        """Answer the next `times` requests whose path starts with `path_prefix` with `status`.

        `body` may be a dict (sent as JSON) or a str (sent as text/html); by default an
        X-shaped body for the status. `headers` override the rate-limit headers; a 429
        without them says `remaining: 0` until the end of the current window.
        """
        self._faults.append(_Fault(path_prefix, status, times, body, dict(headers or {})))

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
        """Set an endpoint's window (`search`, `users`, `users_by`, `followers`)."""
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
        if path.startswith("/2/users/by"):
            return "users_by"
        if path.endswith("/followers"):
            return "followers"
        return "users"

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if path.startswith(fault.prefix):
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
        if fault is not None:
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
        except web.HTTPNotFound:
            response = web.json_response(
                {"title": "Not Found Error", "detail": "Route not found", "status": 404}, status=404
            )
        response.headers.update(self._rate_headers(endpoint))
        return response

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
            if fields is None or k in fields or k in _ALWAYS_POST_FIELDS
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

    async def _search(self, request: web.Request) -> web.StreamResponse:
        query = request.query.get("query", "")
        try:
            matcher = parse_query(query)
        except ValueError as exc:
            return web.json_response(invalid_request("query", query, str(exc)), status=400)
        size = self._int_param(request, "max_results", 10, 10, 100)
        if isinstance(size, web.Response):
            return size
        token = request.query.get("next_token")
        try:
            offset = decode_token(query, token) if token else 0
        except ValueError as exc:
            return web.json_response(
                invalid_request("next_token", token or "", str(exc)), status=400
            )
        found = matching_posts(self.posts, self.users_by_id, matcher, self._now())
        payload = search_payload(
            found, self.users_by_id, offset=offset, max_results=size, scope=query
        )
        post_fields = self._fields(request, "tweet.fields")
        user_fields = self._fields(request, "user.fields")
        if "data" in payload:
            payload["data"] = [self._render_post(p, post_fields) for p in payload["data"]]
            if "author_id" in request.query.get("expansions", "").split(","):
                payload["includes"]["users"] = [
                    self._render_user(u, user_fields) for u in payload["includes"]["users"]
                ]
            else:
                payload.pop("includes", None)
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
        return web.json_response(payload)

    async def _users(self, request: web.Request) -> web.StreamResponse:
        return await self._lookup(request, "ids")

    async def _users_by(self, request: web.Request) -> web.StreamResponse:
        return await self._lookup(request, "usernames")

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
        return web.json_response(payload)
