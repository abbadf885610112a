"""`TweepyXSource`: the X API v2 behind the `XSource` port, through tweepy's AsyncClient.

Why it looks the way it does:

- tweepy returns the raw `aiohttp.ClientResponse` (`return_type`), so we see the
  `x-rate-limit-*` headers and parse the JSON ourselves with `parse.py`.
- tweepy hard-codes `https://api.twitter.com`; the client gets its own aiohttp
  session whose middleware rewrites that host to the configured base URL (X's
  current host, a proxy, a mock server), keeping any path prefix of the base URL.
- Rate limits are handled here, not by tweepy's `wait_on_rate_limit`, so waits go
  through an injectable `sleep` and long waits become `XRateLimited` instead of a
  silent 15-minute stall.
- Transient failures (5xx, timeouts, garbled answers) are retried by tenacity with
  exponential backoff and jitter; 4xx answers never are.
- tweepy logs request headers, bearer token included, at DEBUG; a filter on its
  loggers redacts them.
- Every post and user X returns is billed, so search asks for the `author_id`
  expansion only when the caller wants authors, and a 402 (credits or spending cap
  used up) stops at once with `XPaymentRequired`: retrying would not pay the bill.
- X re-enabled `min_likes:` and friends in 2026 and may still refuse them; a 400
  naming one becomes `XOperatorRejected` so discovery can search again without it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, NoReturn

import aiohttp
import tweepy
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tweepy.asynchronous import AsyncClient
from yarl import URL

from adapters.x.parse import (
    TWEET_FIELDS,
    USER_FIELDS,
    parse_counts,
    parse_followers_page,
    parse_rate_limit,
    parse_search_page,
    parse_timeline_page,
    parse_users_page,
)
from core.errors import (
    XApiError,
    XAuthError,
    XBadQuery,
    XOperatorRejected,
    XPaymentRequired,
    XRateLimited,
    XUnavailable,
)
from core.models import FollowersPage, PostCounts, RateLimit, SearchPage, TimelinePage, UsersPage
from core.ports import SORT_ORDERS
from core.wording import plural

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.x.com"
MAX_LOOKUP = 100
_TWEEPY_HOST = "api.twitter.com"
# reset is whole epoch seconds and clocks drift: wake a little after it
_RESET_MARGIN = 1.0
# a 429 that keeps coming back after waiting is X telling us to stop
_MAX_RATE_LIMIT_WAITS = 3
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_BEARER_RE = re.compile(r"(Bearer\s+)[^\s'\",}\]]+", re.IGNORECASE)
_TWEEPY_LOGGERS = ("tweepy", "tweepy.client", "tweepy.asynchronous", "tweepy.asynchronous.client")
# engagement operators X may refuse (older products, or before its 2026 search index)
_ENGAGEMENT_OPERATORS = ("min_likes", "min_reposts", "min_retweets", "min_replies", "min_faves")
_OPERATOR_RE = re.compile(r"\b(" + "|".join(_ENGAGEMENT_OPERATORS) + r")\b", re.IGNORECASE)
# endpoints whose 400 means "X rejected the query we built"
_QUERY_ENDPOINTS = frozenset({"search", "counts"})
_PAYMENT_REQUIRED = (
    "X refused the request (402): the X app's credits are used up or its spending cap "
    "is reached. Add credits or raise the spending cap in the X developer console, "
    "then try again."
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- keeping the token out of logs ----------------------------------------------


class _RedactBearer(logging.Filter):
    """Rewrites records that carry a bearer token (tweepy logs its request headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        text = _BEARER_RE.sub(r"\1***", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_REDACTOR = _RedactBearer()


def install_token_redaction(token: str | None = None) -> None:
    """Attach the redacting filter to tweepy's loggers (idempotent) and learn `token`.

    A logger's filters only see records logged on that very logger, so each tweepy
    logger that may log headers gets the filter, not just the package root.
    """
    if token:
        _REDACTOR.secrets.add(token)
    for name in _TWEEPY_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


# --- base URL --------------------------------------------------------------------


def _rewrite_middleware(base: URL) -> aiohttp.ClientMiddlewareType:
    """Client middleware sending tweepy's `api.twitter.com` requests to `base`."""
    prefix = base.raw_path.rstrip("/")
    host_header = base.host_port_subcomponent or ""

    async def rewrite(
        req: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        if req.url.host == _TWEEPY_HOST:
            req.url = URL.build(
                scheme=base.scheme,
                host=base.raw_host or "",
                port=base.explicit_port,
                path=prefix + req.url.raw_path,
                query_string=req.url.raw_query_string,
                encoded=True,
            )
            req.headers["Host"] = host_header
        return await handler(req)

    return rewrite


# --- the source ------------------------------------------------------------------


class _Retry(Exception):
    """Internal: a transient failure worth another attempt (`reason` is user-safe)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _error_body(resp: Any) -> dict[str, Any]:
    """The JSON of an error response tweepy already read, or `{}`."""
    try:
        body = await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError, AttributeError):
        return {}
    return body if isinstance(body, dict) else {}


def _x_message(body: Mapping[str, Any]) -> str:
    """X's own words from an error body: the first `errors[].message`, else `detail`/`title`."""
    errors = body.get("errors")
    if isinstance(errors, list):
        for err in errors:
            if isinstance(err, Mapping) and (err.get("message") or err.get("detail")):
                return str(err.get("message") or err.get("detail"))
    return str(body.get("detail") or body.get("title") or "")


def _x_texts(body: Mapping[str, Any]) -> list[str]:
    """Every human-readable message in an error body, in X's order."""
    texts: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for err in errors:
            if isinstance(err, Mapping):
                texts.extend(str(err[k]) for k in ("message", "detail") if err.get(k))
    texts.extend(str(body[k]) for k in ("detail", "title") if body.get(k))
    return texts


def _rejected_operator(body: Mapping[str, Any]) -> str | None:
    """The engagement operator (`min_likes`, ...) X's 400 names, if any."""
    for text in _x_texts(body):
        found = _OPERATOR_RE.search(text)
        if found:
            return found.group(1).lower()
    return None


def _reason(state: RetryCallState) -> str:
    """The user-safe reason of the `_Retry` that ended this attempt."""
    exc = state.outcome.exception() if state.outcome else None
    return exc.reason if isinstance(exc, _Retry) else "no answer"


def _network_reason(exc: BaseException) -> str:
    """A network failure in words a user understands (it ends up in `XUnavailable`)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the connection broke off in the middle of the answer"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the connection was closed before an answer"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect"
    return type(exc).__name__


def _in(seconds: float) -> str:
    if seconds >= 90:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(max(seconds, 0))} s"


class TweepyXSource:
    """X API v2 through tweepy (name `"x-api"`). One method call is one request to X,
    plus retries of transient failures and at most a short wait on rate limits."""

    def __init__(
        self,
        bearer_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 15.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        max_rate_limit_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not bearer_token or not bearer_token.strip():
            raise XAuthError("No X bearer token: set X_BEARER_TOKEN (or use the sample data).")
        base = URL(base_url)
        if base.scheme not in {"http", "https"} or not base.host:
            raise ValueError(f"X base URL must be http(s)://host[/prefix], got {base_url!r}")
        install_token_redaction(bearer_token)
        self._token = bearer_token
        self._base = base
        self._timeout = timeout
        self._max_retries = max(0, max_retries)
        self._backoff_base = backoff_base
        self._max_wait = max_rate_limit_wait
        self._sleep = sleep
        self._clock = clock
        self._client = AsyncClient(bearer_token=bearer_token, return_type=aiohttp.ClientResponse)
        self._session: aiohttp.ClientSession | None = None
        self._limits: dict[str, RateLimit] = {}

    def __repr__(self) -> str:
        return f"TweepyXSource(base_url={str(self._base)!r})"

    @property
    def name(self) -> str:
        return "x-api"

    @property
    def covered_niches(self) -> tuple[str, ...] | None:
        return None  # live X covers every niche

    @property
    def base_url(self) -> str:
        return str(self._base)

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        """Last rate-limit state per endpoint: `search`, `counts`, `tweets` (timelines),
        `users`, `users_by`, `followers`."""
        return dict(self._limits)

    def _ensure_session(self) -> None:
        # created lazily: aiohttp sessions belong to the running event loop
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                middlewares=(_rewrite_middleware(self._base),),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
            self._client.session = self._session

    async def aclose(self) -> None:
        """Close the HTTP session (safe to call twice)."""
        session, self._session = self._session, None
        self._client.session = None
        if session is not None and not session.closed:
            await session.close()

    # --- public API --------------------------------------------------------------

    async def search_recent(
        self,
        query: str,
        *,
        max_results: int = 100,
        next_token: str | None = None,
        expand_authors: bool = True,
        sort_order: str | None = None,
    ) -> SearchPage:
        if sort_order is not None and sort_order not in SORT_ORDERS:
            raise ValueError(f"sort_order must be 'recency' or 'relevancy', got {sort_order!r}")
        size = max(10, min(100, max_results))
        params: dict[str, Any] = {
            "max_results": size,
            "tweet_fields": TWEET_FIELDS,
            "next_token": next_token,
            "sort_order": sort_order,
        }
        if expand_authors:
            # every user in includes.users is billed: ask only when the caller wants them
            params["expansions"] = "author_id"
            params["user_fields"] = USER_FIELDS
        answer = await self._request(
            "search",
            "recent search",
            lambda: self._client.search_recent_tweets(query, **params),
        )
        page = parse_search_page(answer.payload, answer.rate)
        log.debug("X search: %d posts, %d authors", len(page.posts), len(page.users))
        return page

    async def count_recent(self, query: str) -> PostCounts:
        answer = await self._request(
            "counts",
            "post counts",
            lambda: self._client.get_recent_tweets_count(query, granularity="day"),
        )
        return parse_counts(answer.payload, answer.rate)

    async def user_timeline(
        self,
        user_id: str,
        *,
        max_results: int = 20,
        exclude: Sequence[str] = ("retweets", "replies"),
        pagination_token: str | None = None,
    ) -> TimelinePage:
        wanted = str(user_id).strip()
        if not wanted.isdigit():
            # X would answer 400 for the request; no account can have this id
            return TimelinePage(posts=(), unavailable="not_found")
        size = max(5, min(100, max_results))
        excluded = ",".join(_dedupe([str(e).strip() for e in exclude], fold=True))
        answer = await self._request(
            "tweets",
            "user timeline",
            lambda: self._client.get_users_tweets(
                wanted,
                max_results=size,
                exclude=excluded or None,
                pagination_token=pagination_token,
                tweet_fields=TWEET_FIELDS,
            ),
            not_found_ok=True,
        )
        if not answer.found:
            return TimelinePage(posts=(), unavailable="not_found", rate_limit=answer.rate)
        page = parse_timeline_page(answer.payload, answer.rate)
        if page.unavailable:
            log.debug("X timeline of %s unavailable: %s", wanted, page.unavailable)
        return page

    async def users_by_ids(self, ids: Sequence[str]) -> UsersPage:
        wanted = _dedupe([str(i).strip() for i in ids], fold=False)
        if len(wanted) > MAX_LOOKUP:
            raise ValueError(f"at most {MAX_LOOKUP} ids per lookup, got {len(wanted)}")
        # X rejects the whole request for one malformed id; report it missing instead
        valid = [i for i in wanted if i.isdigit()]
        if not valid:
            return UsersPage(users=(), missing=tuple(wanted))
        answer = await self._request(
            "users",
            "user lookup",
            lambda: self._client.get_users(ids=valid, user_fields=USER_FIELDS),
            not_found_ok=True,
        )
        return parse_users_page(answer.payload, wanted, "ids", answer.rate)

    async def users_by_usernames(self, usernames: Sequence[str]) -> UsersPage:
        wanted = _dedupe([u.strip().lstrip("@") for u in usernames], fold=True)
        if len(wanted) > MAX_LOOKUP:
            raise ValueError(f"at most {MAX_LOOKUP} usernames per lookup, got {len(wanted)}")
        # a handle X cannot have would make X reject the whole request (400)
        valid = [u for u in wanted if _USERNAME_RE.match(u)]
        if not valid:
            return UsersPage(users=(), missing=tuple(wanted))
        answer = await self._request(
            "users_by",
            "user lookup",
            lambda: self._client.get_users(usernames=valid, user_fields=USER_FIELDS),
            not_found_ok=True,
        )
        return parse_users_page(answer.payload, wanted, "usernames", answer.rate)

    async def followers(
        self, user_id: str, *, max_results: int = 1000, pagination_token: str | None = None
    ) -> FollowersPage:
        size = max(1, min(1000, max_results))
        answer = await self._request(
            "followers",
            "followers lookup",
            lambda: self._client.get_users_followers(
                str(user_id),
                max_results=size,
                pagination_token=pagination_token,
                user_fields=USER_FIELDS,
            ),
            not_found_ok=True,
        )
        return parse_followers_page(answer.payload, answer.rate)

    # --- machinery ---------------------------------------------------------------

    def _remember(self, endpoint: str, headers: Mapping[str, str] | None) -> RateLimit | None:
        rate = parse_rate_limit(headers) if headers else None
        if rate is not None:
            self._limits[endpoint] = rate
        return rate

    def _scrub(self, text: str) -> str:
        return _REDACTOR.redact(text.replace(self._token, "***"))

    async def _respect_rate_limit(self, endpoint: str, label: str) -> None:
        """Wait for a spent limit to reset when that is soon; refuse to send otherwise."""
        rate = self._limits.get(endpoint)
        if rate is None or rate.remaining > 0:
            return
        wait = (rate.reset_at - self._clock()).total_seconds()
        if wait <= 0:
            return
        if wait > self._max_wait:
            raise XRateLimited(
                f"X's rate limit for {label} is used up until "
                f"{rate.reset_at:%H:%M} UTC (in {_in(wait)}); try again then.",
                reset_at=rate.reset_at,
            )
        log.info("X rate limit for %s spent; waiting %.1f s for the reset", label, wait)
        await self._sleep(wait + _RESET_MARGIN)
        # the window has reset: forget the spent state rather than trust our clock
        self._limits.pop(endpoint, None)

    def _retrying(self, label: str) -> AsyncRetrying:
        """Retries of transient failures (`_Retry`): `backoff_base * 2**n` plus up to
        `backoff_base` of jitter between tries, through the injected `sleep`.

        tenacity rather than tweepy's or aiohttp's own: tweepy retries nothing but rate
        limits (and stalls silently on those), aiohttp retries nothing. tenacity's
        `wait_exponential` + `wait_random` is exactly the backoff this client always had,
        and its attempt count, sleep and give-up hooks are the knobs the tests turn.
        Rate limits are not retried here: they are waited out before sending.
        """

        def log_retry(state: RetryCallState) -> None:
            assert state.next_action is not None  # set by tenacity before it sleeps
            log.warning(
                "X %s failed (%s); retry %d/%d in %.2f s",
                label,
                _reason(state),
                state.attempt_number,
                self._max_retries,
                state.next_action.sleep,
            )

        def give_up(state: RetryCallState) -> NoReturn:
            raise XUnavailable(
                f"X is not answering ({_reason(state)}) after "
                f"{plural(state.attempt_number, 'attempt')}; "
                "try again in a few minutes."
            ) from None

        return AsyncRetrying(
            sleep=self._sleep,
            retry=retry_if_exception_type(_Retry),
            stop=stop_after_attempt(self._max_retries + 1),
            wait=wait_exponential(multiplier=self._backoff_base, exp_base=2)
            + wait_random(0, self._backoff_base),
            before_sleep=log_retry,
            retry_error_callback=give_up,
        )

    async def _request(
        self,
        endpoint: str,
        label: str,
        call: Callable[[], Awaitable[Any]],
        *,
        not_found_ok: bool = False,
    ) -> _Answer:
        """Send one request: transient failures retried, rate limits waited out."""
        # 429s waited out, counted over the whole request (retries included): a 429 that
        # keeps coming back after waiting is X telling us to stop
        limited = 0

        async def send() -> _Answer:
            nonlocal limited
            while True:
                await self._respect_rate_limit(endpoint, label)
                self._ensure_session()
                try:
                    return await self._attempt(endpoint, label, call, not_found_ok)
                except _RateLimitedNow as exc:
                    limited += 1
                    if exc.reset_at is None or limited >= _MAX_RATE_LIMIT_WAITS:
                        raise XRateLimited(
                            f"X's rate limit for {label} is used up (429); "
                            "try again in a few minutes.",
                            reset_at=exc.reset_at,
                        ) from None
                    # remember it as spent; the next turn waits or raises
                    self._limits[endpoint] = RateLimit(
                        limit=exc.limit, remaining=0, reset_at=exc.reset_at
                    )

        answer: _Answer = await self._retrying(label)(send)
        return answer

    async def _attempt(
        self,
        endpoint: str,
        label: str,
        call: Callable[[], Awaitable[Any]],
        not_found_ok: bool,
    ) -> _Answer:
        """One HTTP exchange, mapped to an answer, `_Retry`, `_RateLimitedNow` or a core error."""
        try:
            resp = await call()
        except tweepy.HTTPException as exc:
            resp = exc.response
            headers = getattr(resp, "headers", None)
            self._remember(endpoint, headers)
            body = await _error_body(resp)
            return self._fail(
                endpoint, label, int(resp.status), headers, body, not_found_ok=not_found_ok
            )
        except aiohttp.ClientResponseError as exc:
            # tweepy could not decode an error body (an HTML 502 from a proxy, say)
            self._remember(endpoint, exc.headers)
            return self._fail(
                endpoint, label, exc.status, exc.headers, {}, not_found_ok=not_found_ok
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Retry(_network_reason(exc)) from None
        except json.JSONDecodeError:
            raise _Retry("garbled error answer") from None
        rate = self._remember(endpoint, resp.headers)
        try:
            payload = await resp.json(content_type=None)
        except (ValueError, aiohttp.ClientError):
            raise _Retry(f"{resp.status}, answer is not JSON") from None
        if not isinstance(payload, dict):
            raise _Retry(f"{resp.status}, unexpected JSON")
        return _Answer(payload, rate)

    def _fail(
        self,
        endpoint: str,
        label: str,
        status: int,
        headers: Mapping[str, str] | None,
        body: Mapping[str, Any],
        *,
        not_found_ok: bool,
    ) -> _Answer:
        """Map an error status to `_Retry`, `_RateLimitedNow`, a core error, or a not-found."""
        if status == 402:
            # credits or spending cap: no retry pays the bill; X's body may carry account
            # details, so the message is ours alone
            raise XPaymentRequired(_PAYMENT_REQUIRED)
        message = self._scrub(_x_message(body))
        if status == 429:
            rate = parse_rate_limit(headers) if headers else None
            raise _RateLimitedNow(rate.reset_at if rate else None, rate.limit if rate else 0)
        if status >= 500:
            raise _Retry(str(status))
        if status == 401:
            raise XAuthError("X rejected the bearer token (401): check X_BEARER_TOKEN.")
        if status == 403:
            detail = message or "the token's access level does not include this endpoint"
            raise XAuthError(f"X refused access to {label} (403): {detail}")
        if status == 404 and not_found_ok:
            return _Answer({}, parse_rate_limit(headers) if headers else None, found=False)
        if status == 400 and endpoint in _QUERY_ENDPOINTS:
            operator = _rejected_operator(body)
            if operator is not None:
                raise XOperatorRejected(
                    f"X rejected the search operator {operator} (400): "
                    f"{message or 'operator not available'}",
                    operator=operator,
                )
            raise XBadQuery(f"X rejected the search query (400): {message or 'invalid request'}")
        detail = f": {message}" if message else ""
        raise XApiError(f"X refused the {label} request ({status}){detail}")


class _Answer(NamedTuple):
    """Internal: a successful exchange (`found=False`: a 404 the caller accepts)."""

    payload: dict[str, Any]
    rate: RateLimit | None
    found: bool = True


class _RateLimitedNow(Exception):
    """Internal: a 429, with the reset time its headers gave (if any)."""

    def __init__(self, reset_at: datetime | None, limit: int) -> None:
        super().__init__("429")
        self.reset_at = reset_at
        self.limit = limit


def _dedupe(values: Sequence[str], *, fold: bool) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.lower() if fold else value
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


__all__ = ["DEFAULT_BASE_URL", "TweepyXSource", "install_token_redaction"]
