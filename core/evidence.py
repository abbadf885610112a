"""What a niche's posts say about their authors before anyone pays to look them up.

X bills every user it returns, so discovery reads posts without expanding authors and
decides from the free parts of each post (metrics and entities) whom to look up:

- impressions and interactions per post estimate the size of an author's audience
  (a post is typically seen by a fraction of its author's followers), so accounts far
  outside the wanted follower range are skipped unseen;
- mentions arrive with the post: distinct niche authors mentioning an account is an
  authority signal (Cognos, Ghosh et al., SIGIR 2012) that also finds creators who did
  not post the keyword this week.

Pure functions; the thresholds are documented where they are defined.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.models import Post

# Typical share of an account's followers that see one of its posts, and typical
# interactions per follower and post (both rough medians for accounts on X). Only the
# order of magnitude matters: they widen into the window below.
TYPICAL_REACH = 0.15
TYPICAL_ENGAGEMENT = 0.012
# An author is worth a lookup when its estimated audience is within this factor of the
# wanted range: estimates from a few posts are noisy, and a lookup costs $0.01.
ESTIMATE_SLACK = 2.5


@dataclass
class AuthorEvidence:
    """One account as the niche's posts show it: its own niche posts, who mentions it."""

    author_id: str
    posts: list[Post] = field(default_factory=list)
    mentioned_by: set[str] = field(default_factory=set)
    handle: str = ""

    @property
    def estimated_followers(self) -> float | None:
        """Audience size estimated from the posts' impressions (else interactions)."""
        if not self.posts:
            return None
        impressions = [p.impressions for p in self.posts if p.impressions > 0]
        if impressions:
            return statistics.median(impressions) / TYPICAL_REACH
        return statistics.median(p.interactions for p in self.posts) / TYPICAL_ENGAGEMENT


def gather(posts: Iterable[Post]) -> dict[str, AuthorEvidence]:
    """Evidence per account: authors with their posts (each once), and mentioned accounts.

    An account's own posts mentioning itself, and an author mentioning the same account
    twice, count once: `mentioned_by` holds distinct authors.
    """
    evidence: dict[str, AuthorEvidence] = {}
    seen: set[str] = set()
    for post in posts:
        if post.id in seen:
            continue
        seen.add(post.id)
        author = evidence.setdefault(post.author_id, AuthorEvidence(post.author_id))
        author.posts.append(post)
        for mention in post.mentions:
            if mention.id == post.author_id:
                continue
            target = evidence.setdefault(mention.id, AuthorEvidence(mention.id))
            target.handle = target.handle or mention.username
            target.mentioned_by.add(post.author_id)
    return evidence


def plausible(ev: AuthorEvidence, low: int, high: int | None) -> bool:
    """Whether the account may be in [low, high) followers, judged from its posts.

    Accounts seen only through mentions have no estimate and stay plausible.
    """
    estimate = ev.estimated_followers
    if estimate is None:
        return True
    if estimate * ESTIMATE_SLACK < low:
        return False
    return high is None or estimate / ESTIMATE_SLACK < high


def worth_looking_up(
    evidence: dict[str, AuthorEvidence],
    low: int,
    high: int | None,
    *,
    min_mentions: int = 2,
    exclude: Sequence[str] = (),
) -> list[str]:
    """Account ids worth a lookup, most promising first.

    Authors whose posts put them near the wanted range, and accounts mentioned by at
    least `min_mentions` distinct niche authors. Ordered by authority (mentions), then
    niche posts seen, then total interactions.
    """
    skip = set(exclude)
    picked = [
        ev
        for ev in evidence.values()
        if ev.author_id not in skip
        and plausible(ev, low, high)
        and (ev.posts or len(ev.mentioned_by) >= min_mentions)
    ]
    picked.sort(
        key=lambda ev: (
            -len(ev.mentioned_by),
            -len(ev.posts),
            -sum(p.interactions for p in ev.posts),
            ev.author_id,
        )
    )
    return [ev.author_id for ev in picked]
