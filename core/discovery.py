"""Niche search that spends on evidence: posts first, then only the authors worth a look.

X bills every post and every user it returns, and most posts on a niche keyword come
from small accounts and spam. So a search:

1. sizes the niche with recent counts ($0.005) and, when it is larger than the pages
   it may read, asks only for posts with some likes (`min_likes:`, derived from the
   wanted follower range; dropped for the day if X answers 400 for it);
2. reads those posts without expanding their authors (post metrics and mentions come
   free), and estimates from impressions and interactions who may be in range;
3. looks up only those authors and the accounts the niche's authors mention, 100 per
   request, skipping accounts stored in the last `user_max_age`;
4. verifies the best candidates on their own timeline: the share of what they post
   that is on the niche, and engagement over all of it;
5. ranks, leaving out accounts below the minimum relevance (and saying so).

Every request passes the budget check first and is cached per UTC day, so a repeat
search the same day reads nothing from X. A fault after some evidence was read ends
the search with what was found so far.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from core import lookalike
from core.costs import CostMeter
from core.errors import (
    BadInput,
    BudgetExhausted,
    ScoutError,
    UnknownHandle,
    XBadQuery,
    XOperatorRejected,
    XPaymentRequired,
    XRateLimited,
    XUnavailable,
)
from core.evidence import AuthorEvidence, gather, plausible, worth_looking_up
from core.models import (
    Candidate,
    Cost,
    EmptyCause,
    FoundCandidates,
    LeftOut,
    NothingFound,
    Post,
    PostCounts,
    RejectedOperator,
    SearchPage,
    SearchRequest,
    SearchResult,
    Tier,
    TimelinePage,
    XUser,
)
from core.niches import NicheQuery, build_query, matches_niche, query_from_terms
from core.ports import AccountStore, Clock, SearchCache, XSource
from core.scoring import EngagementNorms, ScoringWeights, rank, score_candidate
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_for, tier_range
from core.wording import plural, tier_conflict
from core.workspace_settings import SearchTuning

log = logging.getLogger(__name__)

MAX_LOOKUP = 100
# Rounds of lookups a search may make when the first leaves its list short.
MAX_LOOKUP_ROUNDS = 3
# Faults that end a search with whatever evidence it already has.
_STOPPING = (XRateLimited, XUnavailable, BudgetExhausted, XPaymentRequired)
# A workspace's own boundaries, weights and minimum relevance for the running search
# (`search(tuning=)`): every step reads `Discovery.settings`, which applies them.
_tuning: ContextVar[SearchTuning | None] = ContextVar("search_tuning", default=None)


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    """How much of X a search may read, and how candidates are judged.

    `like_band` bounds the likes of the posts asked for, as multiples of what an account
    at each end of the wanted range typically gets (its tier's engagement norm): for
    micro (10K-50K, norm 1 %) the default (0.4, 3.0) asks for `min_likes:40
    -min_likes:1500`. A micro account at under half the typical engagement still clears
    the floor; casual posts and spam do not; posts above the ceiling come from bigger
    accounts. (0, 0) turns the band off. `lookups_per_result` bounds the authors looked
    up per result wanted. The best `verify_top` are read on their own timeline:
    `verify_first` posts, and up to `verify_posts` when the first ones leave the share on
    the niche unclear ($0.005 a post).
    """

    max_pages: int = 3
    page_size: int = 100
    bounds: TierBoundaries = DEFAULT_TIERS
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    norms: EngagementNorms = field(default_factory=EngagementNorms)
    # Measured on the realistic world (bench/discovery_bench.py): within the likes band,
    # X's relevancy order surfaces more authentic micro creators per page than recency.
    sort_order: str = "relevancy"
    like_band: tuple[float, float] = (0.4, 3.0)
    size_niche: bool = True
    user_max_age: timedelta = timedelta(hours=24)
    lookups_per_result: float = 1.2
    min_lookups: int = 30
    min_mentions: int = 2
    verify_top: int = 10
    verify_first: int = 10
    verify_posts: int = 20
    min_relevance: float = 0.35
    # Timelines read at once: X allows thousands a window; this only keeps bursts polite.
    verify_concurrency: int = 4


def follower_range(request: SearchRequest, bounds: TierBoundaries) -> tuple[int, int | None]:
    """The tier's range narrowed by min/max followers (max inclusive, as users say it).

    A min/max outside the tier leaves no range at all: `BadInput` says why and what to
    type instead (min above max is refused when the command is parsed).
    """
    low, high = tier_range(request.tier, bounds) if request.tier else (0, None)
    if request.tier is not None:
        if request.min_followers is not None and high is not None and request.min_followers >= high:
            raise BadInput(tier_conflict(request.tier, "min", request.min_followers, bounds))
        if request.max_followers is not None and request.max_followers < low:
            raise BadInput(tier_conflict(request.tier, "max", request.max_followers, bounds))
    if request.min_followers is not None:
        low = max(low, request.min_followers)
    if request.max_followers is not None:
        capped = request.max_followers + 1
        high = capped if high is None else min(high, capped)
    return low, high


class SeedUnusable(BadInput):
    """A lookalike seed that exists but shows nothing to learn from."""


class _MinLikesRejected(Exception):
    """Internal: X answered 400 for `min_likes:`; read again without it."""


@dataclass
class _Run:
    """What one search spent, and whether (and why) it stopped early.

    `halted` means X itself said stop (402: no credits; 5xx after retries): no further
    request of any kind is sent, whatever the step.
    """

    cost: Cost = field(default_factory=Cost)
    stopped: str | None = None
    halted: bool = False
    cached_reads: int = 0
    pages: int = 0

    def add(self, cost: Cost) -> None:
        # Called with an already awaited cost: `run.cost + await ...` would read
        # run.cost before the await and lose what concurrent timeline reads added.
        self.cost = self.cost + cost

    def stop(self, why: str, err: Exception | None = None) -> None:
        self.stopped = self.stopped or why
        if isinstance(err, XPaymentRequired | XUnavailable):
            self.halted = True


class Discovery:
    """The `find` use case (niche searches and lookalikes)."""

    def __init__(
        self,
        x: XSource,
        cache: SearchCache,
        accounts: AccountStore,
        meter: CostMeter,
        clock: Clock,
        *,
        settings: DiscoverySettings | None = None,
    ) -> None:
        self._x = x
        self._cache = cache
        self._accounts = accounts
        self._meter = meter
        self._clock = clock
        self._settings = settings or DiscoverySettings()

    @property
    def settings(self) -> DiscoverySettings:
        """The deployment's settings, with the running search's workspace tuning."""
        tuning = _tuning.get()
        if tuning is None:
            return self._settings
        return replace(
            self._settings,
            bounds=tuning.bounds,
            weights=tuning.weights,
            min_relevance=tuning.min_relevance,
        )

    @settings.setter
    def settings(self, value: DiscoverySettings) -> None:
        self._settings = value

    @contextmanager
    def _tuned(self, tuning: SearchTuning | None) -> Iterator[None]:
        token = _tuning.set(tuning)
        try:
            yield
        finally:
            _tuning.reset(token)

    @property
    def source_name(self) -> str:
        return self._x.name

    # --- entry points ---------------------------------------------------------------

    async def search(
        self, request: SearchRequest, *, tuning: SearchTuning | None = None
    ) -> SearchResult:
        """A niche search, or a lookalike search when `request.like` is set.

        `tuning` is the asking workspace's boundaries, weights and minimum relevance.
        """
        if tuning is not None:
            with self._tuned(tuning):
                return await self.search(request)
        follower_range(request, self.settings.bounds)  # a contradiction costs nothing
        if request.like:
            return await self._lookalike(request)
        niche = build_query(request.niche, _lang(request))
        result = await self._discover(niche, request, _Run())
        if _cleaned(request.niche, niche.niche):
            result = replace(result, typed_niche=request.niche)
        return result

    async def ranked_since(
        self, request: SearchRequest, first_day: date, *, tuning: SearchTuning | None = None
    ) -> tuple[list[Candidate], Cost]:
        """Everything found in the niche from `first_day` to today, best first.

        Runs today's search (free when someone already searched today), then merges the
        candidates every search of the niche stored per day: digests see the week.
        """
        if tuning is not None:
            with self._tuned(tuning):
                return await self.ranked_since(request, first_day)
        niche = build_query(request.niche, _lang(request))
        cost = Cost()
        try:
            cost = (await self.search(request)).cost
        except ScoutError as err:
            log.warning("digest of %r uses stored results only: %s", niche.niche, err)
        low, high = follower_range(request, self.settings.bounds)
        latest: dict[str, Candidate] = {}
        day, today = first_day, self._clock.now().date()
        while day <= today:  # oldest first: later days' numbers win
            key = self._found_key(niche, low, high)
            stored = await self._cache.get_cached(key, day, kind=FoundCandidates)
            for candidate in stored.candidates if stored else ():
                latest[candidate.user.id] = candidate
            day += timedelta(days=1)
        return rank(latest.values()), cost

    # --- the pipeline ---------------------------------------------------------------

    async def _discover(
        self,
        niche: NicheQuery,
        request: SearchRequest,
        run: _Run,
        *,
        seed: XUser | None = None,
        seed_terms: tuple[str, ...] = (),
        extra_ids: Sequence[str] = (),
    ) -> SearchResult:
        s = self.settings
        low, high = follower_range(request, s.bounds)
        exclude = {seed.id} if seed else set()
        size = await self._niche_size(niche, run) if s.size_niche else None
        posts = await self._read_evidence(niche, request, low=low, high=high, size=size, run=run)
        evidence = gather(posts)
        wanted = max(s.min_lookups, math.ceil(request.limit * s.lookups_per_result))
        ids = worth_looking_up(
            evidence, low, high, min_mentions=s.min_mentions, exclude=sorted(exclude)
        )
        ids = list(dict.fromkeys([*[i for i in extra_ids if i not in exclude], *ids]))
        users: list[XUser] = []
        ranked: list[Candidate] = []
        # Look up the most promising first; only when they leave the list short of what
        # was asked for, the next ones (each lookup is $0.010).
        for batch in range(MAX_LOOKUP_ROUNDS):
            start, end = batch * wanted, (batch + 1) * wanted
            if start >= len(ids) or run.halted or (batch and run.stopped):
                break
            users += await self._users(ids[start:end], run)
            in_range = [
                u
                for u in users
                if u.followers >= low
                and (high is None or u.followers < high)
                and not u.protected
                and u.id not in exclude
            ]
            ranked = rank(self._score(u, evidence.get(u.id), niche) for u in in_range)
            if sum(c.relevance >= s.min_relevance for c in ranked) >= request.limit:
                break
        now = self._clock.now()
        tiered = [u.id for u in users if tier_for(u.followers, s.bounds)]
        await self._accounts.record_discoveries(niche.key, tiered, found_at=now)
        ranked = await self._verify(ranked, evidence, niche, run)
        kept = [c for c in ranked if c.relevance >= s.min_relevance]
        left_out: tuple[LeftOut, ...] = ()
        if len(kept) < len(ranked):
            left_out = (
                LeftOut(
                    len(ranked) - len(kept),
                    f"niche relevance below {s.min_relevance:.2f} (they mostly post on "
                    "other topics, or posted on it once)",
                ),
            )
        await self._store_found(self._found_key(niche, low, high), kept)
        nothing = None
        if not kept:
            nothing = self._nothing_found(
                posts, evidence, users, ranked, low=low, high=high, niche=niche, exclude=exclude
            )
        return SearchResult(
            niche=niche.niche,
            query=niche.query,
            source=self._x.name,
            results=tuple(kept[: request.limit]),
            cost=run.cost,
            pages_read=run.pages,
            from_cache=run.cost.requests == 0 and run.cached_reads > 0,
            stopped_early=run.stopped,
            budget_left_usd=await self._meter.budget_left(),
            left_out=left_out,
            niche_size=size,
            seed=seed,
            seed_terms=seed_terms,
            nothing_found=nothing,
        )

    def _nothing_found(
        self,
        posts: Sequence[Post],
        evidence: dict[str, AuthorEvidence],
        users: Sequence[XUser],
        ranked: Sequence[Candidate],
        *,
        low: int,
        high: int | None,
        niche: NicheQuery,
        exclude: set[str],
    ) -> NothingFound:
        """Why a search lists nobody: no posts (or none in the sample), nobody in the
        range, or nobody on topic; with what the answer needs to say so."""
        s = self.settings
        covered = self._x.covered_niches
        if not posts:
            if covered is not None and niche.key not in covered:
                return NothingFound(EmptyCause.NOT_COVERED, low, high, covered=tuple(covered))
            return NothingFound(EmptyCause.NO_POSTS, low, high)
        if ranked:
            return NothingFound(
                EmptyCause.OFF_TOPIC,
                low,
                high,
                in_range=len(ranked),
                min_relevance=s.min_relevance,
            )
        # Authors of niche posts outside the range: exact for those looked up, else as
        # their posts' reach estimates them (they were never paid for).
        known = {u.id: u.followers for u in users}
        tiers: list[Tier | None] = []
        for ev in evidence.values():
            if not ev.posts or ev.author_id in exclude:
                continue
            followers = known.get(ev.author_id)
            if followers is None:
                if plausible(ev, low, high) or ev.estimated_followers is None:
                    continue  # may be in range: not looked up only for want of rounds
                followers = int(ev.estimated_followers)
            if followers >= low and (high is None or followers < high):
                continue
            tiers.append(tier_for(followers, s.bounds))
        nearest = Counter(tiers).most_common(1)[0][0] if tiers else None
        return NothingFound(EmptyCause.OUT_OF_RANGE, low, high, outside=len(tiers), nearest=nearest)

    async def _store_found(self, key: str, kept: Sequence[Candidate]) -> None:
        """Merge this search's candidates into the day's (a smaller search keeps a
        larger one's finds).

        Written by every search, even one served from the cache: another instance may
        have cached the evidence and not yet stored its results, and a digest here must
        not read an empty day.
        """
        day = self._clock.now().date()
        stored = await self._cache.get_cached(key, day, kind=FoundCandidates)
        merged = {c.user.id: c for c in stored.candidates} if stored else {}
        merged.update((c.user.id, c) for c in kept)
        found = FoundCandidates(tuple(rank(merged.values())))
        await self._cache.put_cached(key, day, value=found)

    def _score(
        self,
        user: XUser,
        ev: AuthorEvidence | None,
        niche: NicheQuery,
        timeline: Sequence[Post] | None = None,
    ) -> Candidate:
        s = self.settings
        seen = ev.posts if ev else []
        candidate = score_candidate(
            user,
            timeline if timeline is not None else seen,
            niche,
            bounds=s.bounds,
            now=self._clock.now(),
            weights=s.weights,
            norms=s.norms,
            verified=timeline is not None,
            mentioned_by=len(ev.mentioned_by) if ev else 0,
            niche_posts_seen=len(seen),
        )
        if timeline is not None and not candidate.sample_posts and seen:
            best = sorted(seen, key=lambda p: (-p.interactions, p.id))[:3]
            candidate = replace(candidate, sample_posts=tuple(best))
        return candidate

    # --- reading --------------------------------------------------------------------

    async def _niche_size(self, niche: NicheQuery, run: _Run) -> int | None:
        key = f"counts|{self._x.name}|{niche.query}"
        day = self._clock.now().date()
        cached = await self._cache.get_cached(key, day, kind=PostCounts)
        if cached is not None:
            run.cached_reads += 1
            return cached.total
        if not await self._meter.affordable(0, 0, count_requests=1):
            return None
        try:
            counts = await self._x.count_recent(niche.query)
        except (XRateLimited, XBadQuery) as err:  # the size is a nicety: search without it
            log.warning("recent counts unavailable: %s", err)
            return None
        run.add(await self._meter.charge(requests=1, count_requests=1))
        await self._cache.put_cached(key, day, value=counts)
        return counts.total

    def _like_band(self, low: int, high: int | None, size: int | None) -> str | None:
        """`min_likes:L [-min_likes:H]`, or None when the niche fits in the pages we may read."""
        s = self.settings
        floor, ceiling = s.like_band
        if low <= 0 or floor <= 0:
            return None
        if size is not None and size <= s.max_pages * s.page_size:
            return None
        norms, bounds = s.norms, s.bounds
        band = f"min_likes:{max(1, round(low * norms.for_tier(tier_for(low, bounds)) * floor))}"
        if high is not None and ceiling > 0:
            top = round(high * norms.for_tier(tier_for(high - 1, bounds)) * ceiling)
            band += f" -min_likes:{max(2, top)}"
        return band

    async def _operator_rejected(self, operator: str) -> bool:
        key = f"operator-rejected|{self._x.name}|{operator}"
        day = self._clock.now().date()
        return await self._cache.get_cached(key, day, kind=RejectedOperator) is not None

    async def _read_evidence(
        self,
        niche: NicheQuery,
        request: SearchRequest,
        *,
        low: int,
        high: int | None,
        size: int | None,
        run: _Run,
    ) -> list[Post]:
        """Posts on the niche, from today's cache where possible, until enough authors."""
        s = self.settings
        min_likes = self._like_band(low, high, size)
        if min_likes is not None and await self._operator_rejected("min_likes"):
            min_likes = None
        wanted = max(s.min_lookups, math.ceil(request.limit * s.lookups_per_result))
        posts: list[Post] = []
        token: str | None = None
        index = 0
        while index < s.max_pages and not run.halted:
            query = _with_min_likes(niche.query, min_likes)
            try:
                page = await self._page(query, index, token, run, have_evidence=bool(posts))
            except _MinLikesRejected:
                min_likes, token, index, posts = None, None, 0, []
                continue
            if page is None:
                break
            run.pages += 1
            posts.extend(page.posts)
            token = page.next_token
            index += 1
            if not token:
                break
            found = worth_looking_up(gather(posts), low, high, min_mentions=s.min_mentions)
            if len(found) >= wanted:
                break
        return posts

    async def _page(
        self, query: str, index: int, token: str | None, run: _Run, *, have_evidence: bool
    ) -> SearchPage | None:
        """One evidence page, or None to stop reading."""
        s = self.settings
        day = self._clock.now().date()
        key = f"posts|{self._x.name}|{s.page_size}|{s.sort_order}|{index}|{query}"
        cached = await self._cache.get_cached(key, day, kind=SearchPage)
        if cached is not None:
            run.cached_reads += 1
            return cached
        if not await self._meter.affordable(s.page_size, 0):
            if not have_evidence:
                await self._meter.ensure_affordable(s.page_size, 0)
            run.stop(
                f"stopped after {plural(run.pages, 'page')}: the monthly X budget would be "
                "exceeded by another page"
            )
            return None
        try:
            page = await self._x.search_recent(
                query,
                max_results=s.page_size,
                next_token=token,
                expand_authors=False,
                sort_order=s.sort_order,
            )
        except XOperatorRejected as err:
            if "min_likes:" not in query:
                raise
            log.info("X refused %s; searching without it today", err.operator)
            await self._cache.put_cached(
                f"operator-rejected|{self._x.name}|min_likes",
                day,
                value=RejectedOperator(err.operator),
            )
            raise _MinLikesRejected from None
        except _STOPPING as err:
            if not have_evidence:
                raise
            log.warning("search stopped after %d pages: %s", run.pages, err)
            run.stop(f"stopped after {plural(run.pages, 'page')}: {err}", err)
            return None
        run.add(await self._meter.charge(requests=1, post_ids=[p.id for p in page.posts]))
        await self._cache.put_cached(key, day, value=page)
        return page

    async def _users(self, ids: Sequence[str], run: _Run) -> list[XUser]:
        """The accounts behind `ids`: stored ones seen recently, the rest from X."""
        if not ids:
            return []
        now = self._clock.now()
        known = await self._accounts.users_by_ids(ids, seen_since=now - self.settings.user_max_age)
        if known:
            run.cached_reads += 1
        missing = [i for i in ids if i not in known]
        fetched: list[XUser] = []
        for start in range(0, len(missing), MAX_LOOKUP):
            chunk = missing[start : start + MAX_LOOKUP]
            if run.halted:
                break
            if not await self._meter.affordable(0, len(chunk)):
                run.stop("stopped looking up accounts: the monthly X budget would be exceeded")
                break
            try:
                page = await self._x.users_by_ids(chunk)
            except _STOPPING as err:
                log.warning("account lookups stopped: %s", err)
                run.stop(f"stopped looking up accounts: {err}", err)
                break
            run.add(await self._meter.charge(requests=1, user_ids=[u.id for u in page.users]))
            fetched.extend(page.users)
        if fetched:
            await self._accounts.save_users(fetched, now)
        by_id = {**known, **{u.id: u for u in fetched}}
        return [by_id[i] for i in ids if i in by_id]

    async def _timeline(self, user_id: str, count: int, run: _Run) -> tuple[Post, ...] | None:
        """An account's latest posts (today's cache first); None when X shows none."""
        day = self._clock.now().date()
        key = f"timeline|{self._x.name}|{user_id}|{count}"
        cached = await self._cache.get_cached(key, day, kind=TimelinePage)
        if cached is not None:
            run.cached_reads += 1
            return None if cached.unavailable else cached.posts
        page = await self._x.user_timeline(user_id, max_results=count)
        run.add(await self._meter.charge(requests=1, timeline_post_ids=[p.id for p in page.posts]))
        await self._cache.put_cached(key, day, value=page)
        return None if page.unavailable else page.posts

    async def _verify(
        self,
        ranked: list[Candidate],
        evidence: dict[str, AuthorEvidence],
        niche: NicheQuery,
        run: _Run,
    ) -> list[Candidate]:
        """Re-score the best `verify_top` on their own timeline; drop those X cannot show.

        An account whose search evidence already settles its niche (several niche posts
        this week and a bio on the niche) is not read again: the money goes where the
        evidence is thin.
        """
        s = self.settings
        head = ranked[: s.verify_top] if s.verify_posts >= 5 else []
        top = [c for c in head if not _settled(c, niche)]
        # The worst case of every timeline is checked before any is read, so reading
        # them at once cannot overrun the budget.
        affordable = len(top)
        while affordable and not await self._meter.affordable(s.verify_posts * affordable, 0):
            affordable -= 1
        if affordable < len(top):
            run.stop("verified fewer accounts: the monthly X budget would be exceeded")
            top = top[:affordable]
        gate = asyncio.Semaphore(s.verify_concurrency)
        first = max(5, min(s.verify_first, s.verify_posts))

        async def one(candidate: Candidate) -> Candidate | None:
            async with gate:
                if run.halted:
                    return candidate
                try:
                    posts = await self._timeline(candidate.user.id, first, run)
                    if posts is not None and _unclear(posts, niche, first):
                        # The latest posts of the short read cost nothing again today.
                        posts = await self._timeline(candidate.user.id, s.verify_posts, run)
                except _STOPPING as err:
                    run.stop(f"verified fewer accounts: {err}", err)
                    return candidate
            if posts is None:
                return None
            return self._score(candidate.user, evidence.get(candidate.user.id), niche, posts)

        checked = await asyncio.gather(*(one(c) for c in top))
        read = {c.user.id for c in top}
        rest = [c for c in ranked if c.user.id not in read]
        return rank([*(c for c in checked if c is not None), *rest])

    # --- lookalikes -----------------------------------------------------------------

    async def _lookalike(self, request: SearchRequest) -> SearchResult:
        handle = (request.like or "").lstrip("@")
        run = _Run()
        seed = await self._seed(handle, run)
        count = max(self.settings.verify_posts, 50)
        await self._meter.ensure_affordable(count, 0)
        posts = await self._timeline(seed.id, count, run)
        if posts is None:
            raise SeedUnusable(
                f"X shows no posts of @{seed.username}, so there is nothing to learn."
            )
        if not posts:
            raise SeedUnusable(
                f"@{seed.username} has no recent posts (replies and reposts aside) to learn "
                "from; try another account or a niche."
            )
        learned = lookalike.seed_terms(posts, handle=seed.username, bio=seed.description)
        base = build_query(request.niche, _lang(request)).terms if request.niche.strip() else ()
        terms = (*base, *learned)
        if not terms:
            raise SeedUnusable(
                f"@{seed.username}'s latest posts have no recurring words or hashtags to "
                "search for; add a niche, e.g. like:@handle fitness."
            )
        # Reasons read "4 posts on trailrunning / running": the terms, not query syntax.
        display = " / ".join(dict.fromkeys(t.lstrip("#") for t in terms[:3]))
        niche = query_from_terms(display, f"like:{seed.username.lower()}", terms, _lang(request))
        engaged = [m.id for m in lookalike.engaged_accounts(posts, seed.id)]
        return await self._discover(
            niche, request, run, seed=seed, seed_terms=niche.terms, extra_ids=engaged
        )

    async def _seed(self, handle: str, run: _Run) -> XUser:
        known = await self._accounts.users_by_username([handle])
        seed = known.get(handle.lower())
        if seed is None:
            await self._meter.ensure_affordable(0, 1)
            page = await self._x.users_by_usernames([handle])
            run.add(await self._meter.charge(requests=1, user_ids=[u.id for u in page.users]))
            if not page.users:
                raise UnknownHandle([handle])
            seed = page.users[0]
            await self._accounts.save_users([seed], self._clock.now())
        if seed.protected:
            raise SeedUnusable(
                f"@{seed.username} is protected: its posts are private, so there is nothing "
                "to learn from."
            )
        return seed

    # --- keys -----------------------------------------------------------------------

    def _found_key(self, niche: NicheQuery, low: int, high: int | None) -> str:
        """Where a day's ranked candidates of a niche and range are kept (for digests).

        A workspace that ranks otherwise keeps its own: no workspace reads another's.
        """
        key = f"found|{self._x.name}|{low}|{high}|{niche.query}"
        s, base = self.settings, self._settings
        ranks = (s.bounds, s.weights, s.min_relevance)
        if ranks != (base.bounds, base.weights, base.min_relevance):
            w = s.weights
            key += (
                f"|tuned:{','.join(map(str, s.bounds.as_tuple()))}|{w.engagement:g},"
                f"{w.relevance:g},{w.authenticity:g},{w.suspicion_penalty:g}|{s.min_relevance:g}"
            )
        return key


# A short timeline read whose share on the niche falls in this range is read further.
UNCLEAR_SHARE = (0.25, 0.55)


# Niche posts seen in search that, with a bio on the niche, settle an account's focus.
SETTLED_NICHE_POSTS = 3


def _settled(candidate: Candidate, niche: NicheQuery) -> bool:
    return candidate.niche_posts >= SETTLED_NICHE_POSTS and matches_niche(
        candidate.user.description, niche
    )


def _unclear(posts: Sequence[Post], niche: NicheQuery, asked: int) -> bool:
    """Whether `asked` latest posts leave the account's share on the niche undecided."""
    if len(posts) < asked:  # that is all it has posted lately: reading on finds nothing
        return False
    share = sum(1 for p in posts if matches_niche(p.text, niche)) / len(posts)
    return UNCLEAR_SHARE[0] <= share <= UNCLEAR_SHARE[1]


def _cleaned(typed: str, searched: str) -> bool:
    """Whether cleaning the niche changed more than its case and spacing."""
    return " ".join(typed.lower().split()) != searched


def _lang(request: SearchRequest) -> str | None:
    return None if request.lang in ("", "any") else request.lang


def _with_min_likes(query: str, band: str | None) -> str:
    return query if band is None else f"{query} {band}"
