"""Niche names -> safe X recent-search queries, and niche matching on bios and posts.

Safety rule: text a user types must never become X query syntax. X operators need an
upper-case `OR`, a colon (`from:`), or a leading `-`, `#`, `@`, `$`, `"` or `(`; so a
niche is NFKC-normalized, lower-cased and reduced to words made of unicode letters,
digits, underscores (plus combining marks inside such words, which some scripts need
to spell anything). Everything else becomes a word break. The standalone words `or`
and `and` are dropped for clarity. The query is then assembled only from those words:

    fitness) OR (from:nasa   ->  niche "fitness from nasa"
    ("fitness from nasa" OR #fitnessfromnasa) lang:en -is:retweet -is:reply

i.e. hostile input turns into a harmless (and probably fruitless) exact phrase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from core.errors import BadInput

__all__ = [
    "MAX_NICHE_CHARS",
    "MAX_NICHE_WORDS",
    "MAX_RAW_CHARS",
    "SYNONYMS",
    "NicheQuery",
    "build_query",
    "matches_niche",
    "normalize_niche",
    "query_from_terms",
]

MAX_RAW_CHARS = 200
MAX_NICHE_CHARS = 60
MAX_NICHE_WORDS = 6
QUERY_SUFFIX = "-is:retweet -is:reply"

_EMPTY = "Type a niche with at least one letter or number, e.g. /find-influencers fitness"
# Dropped wherever they stand: lower-case they are plain words to X, but they read
# like operators to people and add nothing to a niche.
_DROPPED_WORDS = frozenset({"or", "and"})
_LANG = re.compile(r"[a-z]{2,3}", re.ASCII)

# A few synonyms per common marketing niche, in the order they are worth keeping when a
# query must be shortened. Words, "multi word phrases" (quoted in the query) and
# #hashtags. The niche itself (and its hashtag) always comes first and is not listed.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fitness": ("workout", "#workout", "gym", "#fitfam", "personal trainer"),
    "yoga": ("yogi", "#yogi", "#yogalife", "meditation"),
    "running": ("runner", "#runner", "marathon", "#marathontraining", "trail running"),
    "cooking": ("recipe", "#recipe", "home cooking", "chef", "#foodie"),
    "food": ("foodie", "#foodie", "recipe", "#foodphotography", "restaurant"),
    "vegan": ("plant based", "#plantbased", "#veganfood", "veganism"),
    "baking": ("baker", "#bakery", "sourdough", "#sourdough", "pastry"),
    "gaming": ("gamer", "#gamer", "videogames", "#videogames", "streamer"),
    "esports": ("#esports", "pro gamer", "tournament", "#gaming"),
    "travel": ("#travelgram", "wanderlust", "#wanderlust", "travel tips", "backpacking"),
    "crypto": ("bitcoin", "#bitcoin", "ethereum", "#ethereum", "defi", "blockchain"),
    "web3": ("blockchain", "nft", "#nft", "defi", "dao"),
    "personal finance": ("#finance", "budgeting", "financial freedom", "saving money"),
    "investing": ("investor", "stocks", "#stocks", "stock market", "dividends"),
    "skincare": ("skin care", "#skincareroutine", "dermatologist", "spf"),
    "beauty": ("makeup", "#makeup", "cosmetics", "#mua", "beauty tips"),
    "makeup": ("#mua", "cosmetics", "beauty", "#beauty", "makeup tutorial"),
    "fashion": ("#ootd", "style", "outfit", "streetwear", "#fashionblogger"),
    "parenting": ("parents", "#momlife", "#dadlife", "toddler", "motherhood"),
    "pets": ("pet", "#petlovers", "dogs", "cats"),
    "dogs": ("dog", "#dog", "puppy", "#dogsofx", "#dogsoftwitter"),
    "cats": ("cat", "#cat", "kitten", "#catsofx", "#catsoftwitter"),
    "photography": ("photographer", "#photographer", "#photooftheday", "street photography"),
    "music": ("musician", "#musician", "new music", "#newmusic", "songwriter"),
    "tech": ("technology", "#technology", "gadgets", "software"),
    "ai": ("artificial intelligence", "#artificialintelligence", "machine learning", "llm"),
    "startups": ("startup", "#startup", "founder", "entrepreneur", "#buildinpublic"),
    "gardening": ("garden", "#garden", "houseplants", "#gardenersworld", "grow your own"),
    "books": ("#booktwitter", "reading", "#amreading", "booklover", "book review"),
    "coffee": ("espresso", "#espresso", "barista", "latte", "specialty coffee"),
    "wine": ("sommelier", "winelover", "#winetasting", "vineyard", "natural wine"),
}

# Other spellings of a table niche that mean the same thing. Plurals and spacing
# ("make up", "startup", "dog") are found without being listed here.
_ALIASES: dict[str, str] = {
    "technology": "tech",
    "artificial intelligence": "ai",
    "video games": "gaming",
    "videogames": "gaming",
    "games": "gaming",
    "invest": "investing",
    "investment": "investing",
    "investments": "investing",
    "finance": "personal finance",
    "personalfinance": "personal finance",
    "cook": "cooking",
    "bake": "baking",
    "run": "running",
    "photo": "photography",
    "photos": "photography",
}


@dataclass(frozen=True)
class NicheQuery:
    """A niche ready for X recent search.

    `terms` are what the query ORs, without query syntax: words (`gym`), phrases
    (`home workout`, quoted in the query) and hashtags (`#fitness`).
    """

    niche: str  # cleaned display form, e.g. "home workout"
    key: str  # lowercase normalized key used in storage
    terms: tuple[str, ...]  # the keywords/phrases/hashtags the query ORs (no operators)
    query: str  # the full X query


def _clean_words(text: str) -> list[str]:
    """Reduce user text to safe lower-case words (see the module docstring)."""
    if len(text) > MAX_RAW_CHARS:
        raise BadInput(
            f"That niche is too long ({len(text)} characters). Use a few words, e.g. "
            "'home workout'."
        )
    # NFKC first so full-width or styled look-alikes (ＯＲ, （) become the plain
    # characters they render as, and are lower-cased/stripped like them.
    # Lower-cased before and after: NFKC may produce capitals (ℝ -> R), and
    # lower() may produce non-NFKC sequences. Only lower-case `or` reaches X.
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).lower()).lower()
    out: list[str] = []
    for ch in text:
        if ch.isalnum() or ch == "_":
            out.append(ch)
        elif unicodedata.category(ch).startswith("M") and out and out[-1] != " ":
            # A combining mark is part of the letter before it (Devanagari vowel signs,
            # accents); alone, e.g. the U+FE0F after an emoji, it is noise.
            out.append(ch)
        else:
            out.append(" ")
    words = "".join(out).split()
    return [w for w in words if w not in _DROPPED_WORDS and any(c.isalnum() for c in w)]


def _clean(niche: str) -> str:
    """The cleaned niche: safe words joined by single spaces; BadInput if unusable."""
    words = _clean_words(niche)
    if not words:
        raise BadInput(_EMPTY)
    if len(words) > MAX_NICHE_WORDS:
        raise BadInput(
            f"A niche is at most {MAX_NICHE_WORDS} words; try fewer, e.g. 'home workout'."
        )
    cleaned = " ".join(words)
    if len(cleaned) > MAX_NICHE_CHARS:
        raise BadInput(
            f"That niche is too long ({len(cleaned)} characters, at most {MAX_NICHE_CHARS}). "
            "Use a few words, e.g. 'home workout'."
        )
    return cleaned


def _variants(cleaned: str) -> list[str]:
    """Spellings worth trying against the synonym table: as is, unspaced, (un)plural."""
    head, _, last = cleaned.rpartition(" ")
    prefix = f"{head} " if head else ""
    forms = [cleaned, cleaned.replace(" ", "")]
    if last.endswith("ies"):
        forms.append(f"{prefix}{last[:-3]}y")
    if last.endswith("es"):
        forms.append(f"{prefix}{last[:-2]}")
    if last.endswith("s"):
        forms.append(f"{prefix}{last[:-1]}")
    else:
        forms.append(f"{prefix}{last}s")
    return forms


def _table_key(cleaned: str) -> str | None:
    """The synonym-table niche `cleaned` is a spelling of, if any."""
    for form in _variants(cleaned):
        if form in SYNONYMS:
            return form
        if form in _ALIASES:
            return _ALIASES[form]
    return None


def normalize_niche(niche: str) -> str:
    """The storage key of a niche: its cleaned form, or the table niche it spells.

    "Fitness", " FITNESS " and "fitness" share a key; so do "dog" and "dogs", and
    "make up" and "makeup". Raises `BadInput` on the same input `build_query` rejects.
    """
    cleaned = _clean(niche)
    return _table_key(cleaned) or cleaned


def _hashtag(term: str) -> str | None:
    """`#term` without spaces, or None when X would not treat it as a hashtag."""
    tag = term.replace(" ", "")
    # X does not link all-digit hashtags (#2024), so they would match nothing.
    return f"#{tag}" if any(c.isalpha() for c in tag) else None


def _render(term: str) -> str:
    """A term as it appears in the query: phrases quoted, the rest verbatim."""
    return f'"{term}"' if " " in term else term


def _assemble(terms: list[str], lang: str | None) -> str:
    lang_part = f" lang:{lang}" if lang else ""
    return f"({' OR '.join(_render(t) for t in terms)}){lang_part} {QUERY_SUFFIX}"


def _check_lang(lang: str | None) -> str | None:
    """Validated language code, or None for "any language"."""
    if lang is None:
        return None
    code = lang.strip().lower()
    if code in ("", "any"):
        return None
    if not _LANG.fullmatch(code):
        raise BadInput(f"Language must be a code like en, de or pt (or 'any'), not {lang[:20]!r}.")
    return code


def build_query(niche: str, lang: str | None = "en", *, max_length: int = 512) -> NicheQuery:
    """Build the X recent-search query for a niche typed by a user.

    `(fitness OR #fitness OR workout OR #workout OR gym) lang:en -is:retweet -is:reply`:
    the cleaned niche (multi-word niches as an exact phrase) and its hashtag, then
    synonyms from `SYNONYMS` when the niche is a known one. `lang` None, "" or "any"
    adds no language operator; otherwise it must be a 2–3 letter code. Synonyms are
    dropped from the end until the query fits `max_length`; if the niche alone does not
    fit, `BadInput`.
    """
    code = _check_lang(lang)
    cleaned = _clean(niche)
    table = _table_key(cleaned)
    terms: list[str] = []
    for term in (cleaned, _hashtag(cleaned), table, *SYNONYMS.get(table or "", ())):
        if term and term not in terms:
            terms.append(term)
    while len(_assemble(terms, code)) > max_length and len(terms) > 1:
        terms.pop()
    query = _assemble(terms, code)
    if len(query) > max_length:
        raise BadInput(
            f"The niche '{cleaned}' makes an X query longer than {max_length} characters; "
            "use fewer words."
        )
    return NicheQuery(niche=cleaned, key=table or cleaned, terms=tuple(terms), query=query)


_TERM = re.compile(r"#?\w+(?: \w+)*", re.UNICODE)


def query_from_terms(
    display: str, key: str, terms: Sequence[str], lang: str | None = "en", *, max_length: int = 512
) -> NicheQuery:
    """A query ORing terms learned from X data (a seed's hashtags and words).

    The terms come from posts, not from a user, but they are held to the same rule:
    only words, phrases of words and hashtags reach X (anything else is dropped), all
    lower-case so no `OR` can appear. Terms are dropped from the end until it fits.
    """
    code = _check_lang(lang)
    kept: list[str] = []
    for raw in terms:
        term = " ".join(unicodedata.normalize("NFKC", raw).lower().split())
        words = term.lstrip("#").split()
        if (
            _TERM.fullmatch(term)
            and term not in kept
            and not any(w in _DROPPED_WORDS for w in words)
            and any(c.isalpha() for c in term)
        ):
            kept.append(term)
    if not kept:
        raise BadInput("Found no words or hashtags to search for.")
    while len(_assemble(kept, code)) > max_length and len(kept) > 1:
        kept.pop()
    query = _assemble(kept, code)
    if len(query) > max_length:
        raise BadInput(f"The search terms make an X query longer than {max_length} characters.")
    return NicheQuery(niche=display, key=key, terms=tuple(kept), query=query)


@lru_cache(maxsize=256)
def _matcher(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching any term as a whole word, phrase or hashtag (lower-case text)."""
    parts: list[str] = []
    for term in terms:
        if term.startswith("#"):
            # `#fitness` but not `#fitnessgoals`, and not `##fitness` glued to a word.
            parts.append(rf"(?<![\w#]){re.escape(term.lower())}(?!\w)")
        else:
            # Words of a phrase may be split by any punctuation ("home-workout"), the way
            # X's own tokenizer sees them. A bare word also matches its hashtag.
            words = [re.escape(w) for w in term.lower().split()]
            if words:
                parts.append(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)")
    return re.compile("|".join(parts) if parts else r"(?!x)x")


def matches_niche(text: str, nq: NicheQuery) -> bool:
    """Whether `text` (a bio or a post) mentions any of the niche's terms, whole-word.

    Case-insensitive. A phrase term matches as a phrase, a hashtag term matches that
    hashtag only, and a word term matches the word or its hashtag.
    """
    if not text:
        return False
    normalized = unicodedata.normalize("NFKC", text).lower()
    return _matcher(nq.terms).search(normalized) is not None
