"""What a seed account is about, learned from its own latest posts (for `like:@handle`).

The seed's hashtags and recurring words become the terms of an ordinary niche search,
and the accounts it mentions become candidates directly: creators engage with the
people they resemble. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from core.models import Mention, Post

MAX_HASHTAGS = 4
MAX_WORDS = 3
# A term must recur: one post's word is an accident, two make a habit.
MIN_POSTS_WITH_TERM = 2
WORD_SHARE = 0.4

_WORD = re.compile(r"(?<![#@\w'])[^\W\d_]\w{2,}", re.UNICODE)
_TAG = re.compile(r"(?<![\w#])#(\w{2,50})", re.UNICODE)
_URL = re.compile(r"https?://\S+")
# Words too common to say what an account is about (English; other languages fall back
# on hashtags, which are language-neutral).
_STOPWORDS = frozenset(
    (
        "about",
        "after",
        "again",
        "all",
        "also",
        "always",
        "amp",
        "and",
        "another",
        "any",
        "anyone",
        "are",
        "around",
        "back",
        "because",
        "been",
        "before",
        "being",
        "best",
        "better",
        "between",
        "both",
        "but",
        "came",
        "come",
        "could",
        "daily",
        "days",
        "does",
        "doing",
        "done",
        "down",
        "each",
        "even",
        "ever",
        "every",
        "first",
        "for",
        "from",
        "full",
        "good",
        "great",
        "had",
        "has",
        "have",
        "here",
        "how",
        "into",
        "just",
        "keep",
        "know",
        "last",
        "like",
        "little",
        "long",
        "look",
        "love",
        "made",
        "make",
        "many",
        "more",
        "most",
        "much",
        "must",
        "need",
        "never",
        "new",
        "next",
        "not",
        "now",
        "off",
        "one",
        "only",
        "onto",
        "other",
        "our",
        "out",
        "over",
        "really",
        "right",
        "same",
        "should",
        "since",
        "some",
        "still",
        "such",
        "sure",
        "take",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "things",
        "think",
        "this",
        "those",
        "three",
        "time",
        "today",
        "tomorrow",
        "tonight",
        "two",
        "very",
        "via",
        "want",
        "was",
        "week",
        "weekend",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "without",
        "work",
        "would",
        "year",
        "years",
        "you",
        "your",
        "yours",
    )
)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def seed_terms(posts: Sequence[Post], *, handle: str = "", bio: str = "") -> tuple[str, ...]:
    """The seed's topic as search terms: its recurring hashtags first, then words.

    Hashtags come from `entities` when X sent them, else from the text. A term counts
    once per post and must appear in at least `MIN_POSTS_WITH_TERM` posts (or, for a
    seed with a single post, in that one). A word must also be in the bio or in
    `WORD_SHARE` of the posts: a phrase repeated twice ("matters more than itself") is
    a habit of speech, not a topic.
    """
    tags: Counter[str] = Counter()
    words: Counter[str] = Counter()
    own = handle.lower()
    for post in posts:
        text = _URL.sub(" ", _normal(post.text))
        post_tags = set(post.hashtags) or {t.lower() for t in _TAG.findall(text)}
        tags.update(t for t in post_tags if any(c.isalpha() for c in t))
        without_tags = _TAG.sub(" ", text)
        post_words = {w for w in _WORD.findall(without_tags) if w not in _STOPWORDS}
        words.update(w for w in post_words if w != own)
    need = 1 if len(posts) == 1 else MIN_POSTS_WITH_TERM
    top_tags = [t for t, n in _ranked(tags) if n >= need][:MAX_HASHTAGS]
    in_bio = set(_WORD.findall(_normal(bio)))
    common = max(need, WORD_SHARE * len(posts))
    top_words = [w for w, n in _ranked(words) if n >= need and (w in in_bio or n >= common)]
    top_words = top_words[:MAX_WORDS]
    return (*(f"#{t}" for t in top_tags), *top_words)


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    # Most frequent first; ties alphabetically, so the same posts give the same terms.
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def engaged_accounts(posts: Sequence[Post], seed_id: str) -> tuple[Mention, ...]:
    """Accounts the seed mentions in its own posts, most mentioned first (not itself)."""
    counts: Counter[str] = Counter()
    handles: dict[str, Mention] = {}
    for post in posts:
        for mention in post.mentions:
            if mention.id != seed_id:
                counts[mention.id] += 1
                handles.setdefault(mention.id, mention)
    return tuple(handles[i] for i, _ in _ranked(counts))
