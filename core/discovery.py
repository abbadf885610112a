"""Niche search: recent posts -> authors -> scored, ranked micro influencers, with cost.

X offers no user search to app-only tokens, so discovery reads recent posts on the
niche, expands their authors and aggregates per author. Pages are cached per UTC day,
so a repeat search reads nothing new from X.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.codec import decode_page, encode_page
from core.costs import CostMeter
from core.errors import BudgetExhausted, XRateLimited, XUnavailable
from core.models import Candidate, Cost, Post, SearchPage, SearchRequest, SearchResult, XUser
from core.niches import NicheQuery, build_query
from core.ports import AccountStore, Clock, SearchCache, XSource
from core.scoring import EngagementNorms, ScoringWeights, rank, score_candidate
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_for, tier_range

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    """How much of X a search may read, and how candidates are judged."""

    max_pages: int = 3
    page_size: int = 100
    bounds: TierBoundaries = DEFAULT_TIERS
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    norms: EngagementNorms = field(default_factory=EngagementNorms)


def follower_range(request: SearchRequest, bounds: TierBoundaries) -> tuple[int, int | None]:
    """The tier's range narrowed by min/max followers (max inclusive, as users say it)."""
    low, high = tier_range(request.tier, bounds) if request.tier else (0, None)
    if request.min_followers is not None:
        low = max(low, request.min_followers)
    if request.max_followers is not None:
        capped = request.max_followers + 1
        high = capped if high is None else min(high, capped)
    return low, high


class Discovery:
    """The `find` use case."""

    def __init__(
        self,
        x: XSource,
        cache: SearchCache,
        accounts: AccountStore,
        meter: CostMeter,
        clock: Clock,
        settings: DiscoverySettings | None = None,
    ) -> None:
        self._x = x
        self._cache = cache
        self._accounts = accounts
        self._meter = meter
        self._clock = clock
        self.settings = settings or DiscoverySettings()

    @property
    def source_name(self) -> str:
        return self._x.name

    async def search(self, request: SearchRequest) -> SearchResult:
        lang = None if request.lang in ("", "any") else request.lang
        niche = build_query(request.niche, lang)
        read = await self._read_pages(niche)
        posts_by_author, authors = _aggregate(read.pages)
        if read.fresh:
            now = self._clock.now()
            await self._accounts.save_users(list(authors.values()), now)
            tiered = [u.id for u in authors.values() if tier_for(u.followers, self.settings.bounds)]
            await self._accounts.record_discoveries(niche.key, tiered, now)
            # Cached only now: whoever finds a cached page also finds its discoveries
            # (digests on other instances read both).
            day = now.date()
            for key, page in read.fresh:
                await self._cache.put_cached(key, day, encode_page(page))
        results = self.rank(niche, request, authors, posts_by_author)
        return SearchResult(
            niche=niche.niche,
            query=niche.query,
            source=self._x.name,
            results=tuple(results[: request.limit]),
            cost=read.cost,
            pages_read=len(read.pages),
            from_cache=bool(read.pages) and not read.fresh,
            stopped_early=read.stopped,
            budget_left_usd=await self._meter.budget_left(),
        )

    def rank(
        self,
        niche: NicheQuery,
        request: SearchRequest,
        authors: dict[str, XUser],
        posts_by_author: dict[str, list[Post]],
    ) -> list[Candidate]:
        """Score every author in the follower range and rank them."""
        low, high = follower_range(request, self.settings.bounds)
        now = self._clock.now()
        scored = [
            score_candidate(
                user,
                posts_by_author.get(user.id, []),
                niche,
                bounds=self.settings.bounds,
                now=now,
                weights=self.settings.weights,
                norms=self.settings.norms,
            )
            for user in authors.values()
            if user.followers >= low
            and (high is None or user.followers < high)
            and not user.protected
        ]
        return rank(scored)

    async def _read_pages(self, niche: NicheQuery) -> _PagesRead:
        """Read up to `max_pages`, from today's cache where possible.

        A fault after some pages were read keeps those pages: partial answers beat none.
        """
        s = self.settings
        day = self._clock.now().date()
        read = _PagesRead()
        token: str | None = None
        for index in range(s.max_pages):
            key = page_cache_key(self._x.name, s.page_size, index, niche.query)
            cached = await self._cache.get_cached(key, day)
            if cached is not None:
                page = decode_page(cached)
            else:
                if not await self._meter.affordable(s.page_size, s.page_size):
                    if not read.pages:
                        await self._meter.ensure_affordable(s.page_size, s.page_size)
                    read.stopped = (
                        f"stopped after {len(read.pages)} page(s): the monthly X budget "
                        "would be exceeded by another page"
                    )
                    return read
                try:
                    page = await self._x.search_recent(
                        niche.query, max_results=s.page_size, next_token=token
                    )
                except (XRateLimited, XUnavailable, BudgetExhausted) as err:
                    if not read.pages:
                        raise
                    log.warning("search stopped after %d pages: %s", len(read.pages), err)
                    read.stopped = f"stopped after {len(read.pages)} page(s): {err}"
                    return read
                read.cost = read.cost + await self._meter.charge(
                    requests=1,
                    post_ids=[p.id for p in page.posts],
                    user_ids=[u.id for u in page.users],
                )
                read.fresh.append((key, page))
            read.pages.append(page)
            token = page.next_token
            if not token:
                break
        return read


@dataclass
class _PagesRead:
    """Pages of one search, the ones that came from X (with their cache keys), and why
    reading stopped early, if it did."""

    pages: list[SearchPage] = field(default_factory=list)
    fresh: list[tuple[str, SearchPage]] = field(default_factory=list)
    cost: Cost = field(default_factory=Cost)
    stopped: str | None = None


def page_cache_key(source: str, page_size: int, index: int, query: str) -> str:
    """The search-cache key of page `index` of a query (digests read the same pages)."""
    return f"search|{source}|{page_size}|{index}|{query}"


def _aggregate(
    pages: Sequence[SearchPage],
) -> tuple[dict[str, list[Post]], dict[str, XUser]]:
    """Posts grouped by author, and the latest user object seen per author."""
    posts_by_author: dict[str, list[Post]] = defaultdict(list)
    authors: dict[str, XUser] = {}
    seen: set[str] = set()
    for page in pages:
        for user in page.users:
            authors[user.id] = user
        for post in page.posts:
            if post.id in seen:
                continue
            seen.add(post.id)
            posts_by_author[post.author_id].append(post)
    # An author X did not expand (suspended between post and lookup) cannot be judged.
    return dict(posts_by_author), authors
