"""`FakeX`: the one in-process `XSource` for tests, each feature opt-in.

By default it answers from the accounts and posts it holds: search pages through all
posts (authors expanded unless asked not to), counts count them, a timeline is an
account's own posts newest first, lookups find held accounts, followers are empty.
Options add what a test needs:

- `timelines`: fixed timelines per account id instead (missing ids read as "not_found");
- `followers_of`: followers per account id, paged like X;
- `page_size_cap`: fewer posts a search page than asked for;
- `filter_min_likes`: search and counts keep only posts passing the query's `min_likes:`;
- `rejected_operators`: operators a search answers with a 400 (as X did before May 2026);
- `script(kind, ...)`: faults consumed one per request of that kind;
- `delay`: seconds every request takes;
- `backing`: another `XSource` that answers instead (the bundled sample, say), with the
  recording, faults and delay above on top;
- `forbidden`: request kinds that fail the test, with the reason.

Every request is recorded in `calls` as `(kind, args)`; `count(kind)`, `searches`,
`lookups` and `follower_calls` read it. Requests break X's limits loudly: more than 100
ids in a lookup, or a followers page outside 1-1000.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from core.errors import XOperatorRejected, XRateLimited, XUnavailable
from core.models import (
    FollowersPage,
    Post,
    PostCounts,
    SearchPage,
    TimelinePage,
    UsersPage,
    XUser,
)
from core.ports import XSource

__all__ = ["FakeX", "Kind", "rate_limited", "unavailable"]

# One per port method that is a request to X (`aclose` is not).
Kind = Literal["search", "counts", "timeline", "ids", "usernames", "followers"]

_OLDEST = datetime.min.replace(tzinfo=UTC)


class FakeX:
    """An `XSource` over accounts and posts tests hold and change; see the module doc."""

    def __init__(  # noqa: PLR0913  one configurable fake: every switch keyword-only with a default
        self,
        users: Iterable[XUser] = (),
        posts: Iterable[Post] = (),
        *,
        timelines: Mapping[str, Sequence[Post]] | None = None,
        followers_of: Mapping[str, Sequence[XUser]] | None = None,
        page_size_cap: int = 100,
        filter_min_likes: bool = False,
        rejected_operators: Iterable[str] = (),
        delay: float = 0.0,
        backing: XSource | None = None,
        forbidden: Mapping[Kind, str] | None = None,
        name: str | None = None,
    ) -> None:
        self.users: dict[str, XUser] = {u.id: u for u in users}
        self.posts: list[Post] = list(posts)
        # None: timelines come from `posts`.
        self.timelines: dict[str, list[Post]] | None = (
            None if timelines is None else {uid: list(p) for uid, p in timelines.items()}
        )
        self.followers_of: dict[str, list[XUser]] = {
            uid: list(f) for uid, f in (followers_of or {}).items()
        }
        self.page_size_cap = page_size_cap
        self.filter_min_likes = filter_min_likes
        self.rejected_operators: set[str] = set(rejected_operators)
        self.delay = delay
        self.backing = backing
        self.forbidden: dict[Kind, str] = dict(forbidden or {})
        self.faults: dict[Kind, list[Exception | None]] = {}
        self.calls: list[tuple[Kind, Any]] = []
        self.name: str = name or (backing.name if backing is not None else "x-api")
        self.covered_niches: tuple[str, ...] | None = (
            backing.covered_niches if backing is not None else None
        )

    # --- what tests change ----------------------------------------------------------------

    def add(self, *users: XUser) -> None:
        for user in users:
            self.users[user.id] = user

    def set_followers(self, uid: str, followers: int) -> None:
        self.users[uid] = replace(self.users[uid], followers=followers)

    def rename(self, uid: str, username: str) -> None:
        self.users[uid] = replace(self.users[uid], username=username)

    def remove(self, uid: str) -> None:
        """The account is gone from X (suspended, deleted)."""
        del self.users[uid]

    def script(self, kind: Kind, *outcomes: Exception | None) -> None:
        """The next requests of `kind`, one outcome each: None answers, an exception raises."""
        self.faults[kind] = list(outcomes)

    # --- what tests read ------------------------------------------------------------------

    def count(self, kind: Kind) -> int:
        return sum(1 for k, _ in self.calls if k == kind)

    @property
    def searches(self) -> int:
        return self.count("search")

    @property
    def lookups(self) -> list[tuple[str, ...]]:
        """The ids of each lookup by id, in order."""
        return [ids for kind, ids in self.calls if kind == "ids"]

    @property
    def follower_calls(self) -> list[tuple[str, int, str | None]]:
        """`(user_id, max_results, pagination_token)` of each followers request."""
        return [args for kind, args in self.calls if kind == "followers"]

    # --- the port -------------------------------------------------------------------------

    async def search_recent(
        self,
        query: str,
        *,
        max_results: int = 100,
        next_token: str | None = None,
        expand_authors: bool = True,
        sort_order: str | None = None,
    ) -> SearchPage:
        await self._request("search", (query, max_results, next_token))
        for operator in self.rejected_operators:
            if f"{operator}:" in query:
                raise XOperatorRejected(f"Reference to invalid operator '{operator}'", operator)
        if self.backing is not None:
            return await self.backing.search_recent(
                query,
                max_results=max_results,
                next_token=next_token,
                expand_authors=expand_authors,
                sort_order=sort_order,
            )
        posts = self._matching(query)
        start = int(next_token or 0)
        chunk = posts[start : start + min(max_results, self.page_size_cap)]
        authors = {p.author_id for p in chunk}
        end = start + len(chunk)
        users = tuple(u for u in self.users.values() if u.id in authors)
        return SearchPage(
            posts=tuple(chunk),
            users=users if expand_authors else (),
            next_token=str(end) if end < len(posts) else None,
        )

    async def count_recent(self, query: str) -> PostCounts:
        await self._request("counts", query)
        if self.backing is not None:
            return await self.backing.count_recent(query)
        return PostCounts(total=len(self._matching(query)))

    async def user_timeline(
        self,
        user_id: str,
        *,
        max_results: int = 20,
        exclude: Sequence[str] = ("retweets", "replies"),
        pagination_token: str | None = None,
    ) -> TimelinePage:
        await self._request("timeline", (user_id, max_results))
        if self.backing is not None:
            return await self.backing.user_timeline(
                user_id, max_results=max_results, exclude=exclude, pagination_token=pagination_token
            )
        if self.timelines is not None:
            if user_id not in self.timelines:
                return TimelinePage((), unavailable="not_found")
            return TimelinePage(tuple(self.timelines[user_id][:max_results]))
        if user_id not in self.users:
            return TimelinePage((), unavailable="not_found")
        own = [p for p in self.posts if p.author_id == user_id]
        own.sort(key=lambda p: p.created_at or _OLDEST, reverse=True)
        return TimelinePage(tuple(own[:max_results]))

    async def users_by_ids(self, ids: Sequence[str]) -> UsersPage:
        if len(ids) > 100:
            raise ValueError(f"at most 100 ids per lookup, got {len(ids)}")
        await self._request("ids", tuple(ids))
        if self.backing is not None:
            return await self.backing.users_by_ids(ids)
        found = tuple(self.users[i] for i in ids if i in self.users)
        return UsersPage(found, tuple(i for i in ids if i not in self.users))

    async def users_by_usernames(self, usernames: Sequence[str]) -> UsersPage:
        await self._request("usernames", tuple(usernames))
        if self.backing is not None:
            return await self.backing.users_by_usernames(usernames)
        wanted = {u.lower() for u in usernames}
        found = tuple(u for u in self.users.values() if u.username.lower() in wanted)
        names = {u.username.lower() for u in found}
        return UsersPage(found, tuple(u for u in usernames if u.lower() not in names))

    async def followers(
        self, user_id: str, *, max_results: int = 1000, pagination_token: str | None = None
    ) -> FollowersPage:
        assert 1 <= max_results <= 1000, max_results
        await self._request("followers", (user_id, max_results, pagination_token))
        if self.backing is not None:
            return await self.backing.followers(
                user_id, max_results=max_results, pagination_token=pagination_token
            )
        everyone = self.followers_of.get(user_id, [])
        start = int(pagination_token or 0)
        page = everyone[start : start + max_results]
        end = start + len(page)
        return FollowersPage(tuple(page), str(end) if end < len(everyone) else None)

    async def aclose(self) -> None:
        if self.backing is not None:
            await self.backing.aclose()

    # --- inside ---------------------------------------------------------------------------

    async def _request(self, kind: Kind, args: Any) -> None:
        """Record the request, then take the time and the scripted fault it is given."""
        self.calls.append((kind, args))
        if kind in self.forbidden:
            raise AssertionError(self.forbidden[kind])
        if self.delay:
            await asyncio.sleep(self.delay)
        faults = self.faults.get(kind)
        if faults:
            fault = faults.pop(0)
            if fault is not None:
                raise fault

    def _matching(self, query: str) -> list[Post]:
        """The posts a query finds: all, or those passing its `min_likes:` if asked to."""
        if not self.filter_min_likes:
            return self.posts
        limit = 0
        for token in query.split():
            if token.startswith("min_likes:"):
                limit = int(token.partition(":")[2])
        return [p for p in self.posts if p.likes >= limit]


def rate_limited() -> XRateLimited:
    return XRateLimited(
        "X rate limit reached for search", datetime(2026, 11, 16, 9, 15, tzinfo=UTC)
    )


def unavailable() -> XUnavailable:
    return XUnavailable("X is not answering (503)")
