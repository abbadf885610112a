"""Today's discovery, frozen as a reference for `bench.discovery_bench` (not product code).

The reading strategy of `core/discovery.py` at commit 5b4a1c6: the newest 3 pages of
100 posts on the niche query with their authors expanded, posts grouped per author,
authors in the micro tier kept (not protected), each scored on the posts of its own
that the search matched, ranked. The scoring is the *current* `core.scoring`
(`score_candidate` and `rank`, whose signatures are kept), so what is frozen here is
the way X is read and paid for, not the scoring function (which, called as at 5b4a1c6,
treats an account's share of posts on the niche as unknown: its posts here are the ones
search matched, not its timeline). No cache and no database:
the benchmark runs every strategy on a fresh database, where today's cache never hits.

`Ranking` is also what the other reference strategies return.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.costs import Prices
from core.models import Cost, Post, SearchPage, Tier, XUser
from core.niches import build_query
from core.ports import XSource
from core.scoring import EngagementNorms, ScoringWeights, rank, score_candidate
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_range

MAX_PAGES = 3
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Ranking:
    """What a reference strategy found: accounts best first, and its own cost tally.

    `cost` counts each post and user once per run, as X bills once per UTC day.
    """

    accounts: tuple[XUser, ...]
    scores: tuple[float, ...]
    cost: Cost
    candidates_scored: int = 0


@dataclass
class Tally:
    """Requests and distinct resources read, priced as X bills them (once per UTC day)."""

    prices: Prices = field(default_factory=Prices)
    requests: int = 0
    post_ids: set[str] = field(default_factory=set)
    user_ids: set[str] = field(default_factory=set)
    timeline_post_ids: set[str] = field(default_factory=set)

    def cost(self) -> Cost:
        search_posts = self.post_ids - self.timeline_post_ids
        usd_posts = len(search_posts) * self.prices.usd_per_post
        usd_timelines = len(self.timeline_post_ids) * self.prices.usd_per_post
        usd_users = len(self.user_ids) * self.prices.usd_per_user
        return Cost(
            requests=self.requests,
            posts_read=len(search_posts),
            users_read=len(self.user_ids),
            usd=round(usd_posts + usd_timelines + usd_users, 6),
            timeline_posts=len(self.timeline_post_ids),
            usd_posts=round(usd_posts, 6),
            usd_users=round(usd_users, 6),
            usd_timelines=round(usd_timelines, 6),
        )


async def discover(
    x: XSource,
    niche: str,
    *,
    limit: int = 50,
    lang: str = "en",
    now: datetime | None = None,
    bounds: TierBoundaries = DEFAULT_TIERS,
    weights: ScoringWeights | None = None,
    norms: EngagementNorms | None = None,
) -> Ranking:
    """Today's `find` for `niche` in the micro tier: read, aggregate, score, rank."""
    query = build_query(niche, lang)
    tally = Tally()
    pages = await read_pages(x, query.query, MAX_PAGES, tally)
    posts_by_author, authors = aggregate(pages)
    low, high = tier_range(Tier.MICRO, bounds)
    moment = now or datetime.now(UTC)
    scored = [
        score_candidate(
            user,
            posts_by_author.get(user.id, []),
            query,
            bounds=bounds,
            now=moment,
            weights=weights or ScoringWeights(),
            norms=norms or EngagementNorms(),
        )
        for user in authors.values()
        if user.followers >= low and (high is None or user.followers < high) and not user.protected
    ]
    ranked = rank(scored)[:limit]
    return Ranking(
        accounts=tuple(c.user for c in ranked),
        scores=tuple(c.score for c in ranked),
        cost=tally.cost(),
        candidates_scored=len(scored),
    )


async def read_pages(x: XSource, query: str, pages: int, tally: Tally) -> list[SearchPage]:
    """Up to `pages` newest pages of `query`, authors expanded, counted in `tally`."""
    read: list[SearchPage] = []
    token: str | None = None
    for _ in range(pages):
        page = await x.search_recent(
            query, max_results=PAGE_SIZE, next_token=token, expand_authors=True
        )
        tally.requests += 1
        tally.post_ids.update(p.id for p in page.posts)
        tally.user_ids.update(u.id for u in page.users)
        read.append(page)
        token = page.next_token
        if not token:
            break
    return read


def aggregate(pages: Sequence[SearchPage]) -> tuple[dict[str, list[Post]], dict[str, XUser]]:
    """Posts grouped by author, and the latest user object seen per author (as at 5b4a1c6)."""
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
