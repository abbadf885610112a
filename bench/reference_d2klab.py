"""A D2KLab micro-influencer-detector style pipeline, as a reference for `bench.discovery_bench`.

After S. Leonardi, D. Monti, G. Rizzo and M. Morisio, "Mining micro-influencers from
social media posts", Proc. 35th ACM/SIGAPP Symposium on Applied Computing (SAC '20),
pp. 867-874, 2020 (doi:10.1145/3341105.3373954), and its code,
github.com/D2KLab/micro-influencer-detector (`user_list_from_topic_selected`,
`compute_and_store_interest`). The paper's candidate step, on X API v2 terms:

1. read 1,000 recent posts on the topic (10 pages of 100, authors expanded);
2. keep the authors with 10K-50K followers (the paper used 1K-20K) who follow fewer
   accounts than follow them;
3. read each kept account's 20 latest posts (timeline, no reposts or replies);
4. score = share of those posts on the topic x mean engagement rate, and rank.

The topic test is `core.niches.matches_niche` against the niche query (the paper looked
for the hashtag or the word in the text). The paper's later steps (followers' overlap,
personality traits, an SVM) are left out: they cost more X reads, not fewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bench.reference_today import Ranking, Tally, aggregate, read_pages
from core.models import Post, XUser
from core.niches import NicheQuery, build_query, matches_niche
from core.ports import XSource
from core.scoring import engagement_rate

PAGES = 10
MIN_FOLLOWERS = 10_000
MAX_FOLLOWERS = 50_000  # exclusive, as the micro tier's upper bound
TIMELINE_POSTS = 20
# timelines in flight at once (X allows 10,000 timeline requests per 15 min)
CONCURRENCY = 8


def keep(user: XUser) -> bool:
    """Step 2: the follower band, and following fewer than followers."""
    return (
        MIN_FOLLOWERS <= user.followers < MAX_FOLLOWERS
        and user.following < user.followers
        and not user.protected
    )


def interest(posts: Sequence[Post], query: NicheQuery) -> float:
    """Share of the sampled posts on the topic (the paper's S_int)."""
    if not posts:
        return 0.0
    return sum(1 for p in posts if matches_niche(p.text, query)) / len(posts)


async def discover(x: XSource, niche: str, *, limit: int = 50, lang: str = "en") -> Ranking:
    """Run the pipeline for `niche`; the accounts best first, with what was read."""
    query = build_query(niche, lang)
    tally = Tally()
    pages = await read_pages(x, query.query, PAGES, tally)
    _, authors = aggregate(pages)
    kept = [u for u in authors.values() if keep(u)]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def judge(user: XUser) -> tuple[float, XUser]:
        async with gate:
            timeline = await x.user_timeline(
                user.id, max_results=TIMELINE_POSTS, exclude=("retweets", "replies")
            )
        tally.requests += 1
        ids = {p.id for p in timeline.posts}
        tally.post_ids.update(ids)
        tally.timeline_post_ids.update(ids)
        posts = list(timeline.posts[:TIMELINE_POSTS])
        return interest(posts, query) * engagement_rate(posts, user.followers), user

    scored = list(await asyncio.gather(*(judge(u) for u in kept)))
    scored.sort(key=lambda pair: (-pair[0], pair[1].username.lower(), pair[1].id))
    top = scored[:limit]
    return Ranking(
        accounts=tuple(u for _, u in top),
        scores=tuple(s for s, _ in top),
        cost=tally.cost(),
        candidates_scored=len(scored),
    )
