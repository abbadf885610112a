"""Niche -> X query building: safety against hostile input first, then the features."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import BadInput
from core.niches import (
    MAX_NICHE_CHARS,
    SYNONYMS,
    NicheQuery,
    build_query,
    matches_niche,
    normalize_niche,
)

_WRAPPER = re.compile(
    r"\((?P<inner>.*)\)(?P<lang> lang:[a-z]{2,3})? -is:retweet -is:reply", re.DOTALL
)


def _is_word(word: str) -> bool:
    """`\\w+`, plus combining marks after a word character (needed by many scripts)."""
    if not word or not re.fullmatch(r"\w", word[0]):
        return False
    return all(re.fullmatch(r"\w", c) or unicodedata.category(c).startswith("M") for c in word)


def _is_phrase(text: str) -> bool:
    words = text.split(" ")
    return len(words) > 1 and all(_is_word(w) for w in words)


def assert_safe(nq: NicheQuery, max_length: int = 512) -> None:
    """Everything the user could influence is plain words, phrases and hashtags."""
    q = nq.query
    assert len(q) <= max_length
    m = _WRAPPER.fullmatch(q)
    assert m is not None, q
    inner = m["inner"]
    # Our wrapper holds the only group, the only colons and the only minus signs.
    assert q.count("(") == 1
    assert q.count(")") == 1
    assert q.count("-") == 2
    assert q.count(":") == (3 if m["lang"] else 2)
    for bad in ":()-@$*\n\t\r\x00":
        assert bad not in inner
    parts = inner.split(" OR ")
    assert list(nq.terms) == [p.strip('"') for p in parts]
    assert q.count(" OR ") == len(parts) - 1
    for part in parts:
        # No operator survives inside a term: the only upper-case OR is ours.
        assert "OR" not in part
        assert part == part.lower()
        if part.startswith('"'):
            assert part.endswith('"')
            assert part.count('"') == 2
            assert _is_phrase(part[1:-1]), part
        elif part.startswith("#"):
            assert _is_word(part[1:]), part
            assert any(c.isalpha() for c in part)
        else:
            assert _is_word(part), part
    assert inner.count('"') % 2 == 0
    # The cleaned niche is made of the same safe words.
    assert all(_is_word(w) for w in nq.niche.split(" "))
    assert nq.niche == nq.niche.strip()
    assert "  " not in nq.niche


def try_build(text: str, lang: str | None = "en", max_length: int = 512) -> NicheQuery | None:
    """The query, or None when `build_query` refused with a message a user can read."""
    try:
        return build_query(text, lang, max_length=max_length)
    except BadInput as err:
        message = str(err)
    assert message
    return None


HOSTILE = [
    "fitness) OR (from:nasa",
    '"fitness"',
    "-fitness",
    "fitness -is:retweet",
    "from:elonmusk",
    "#fitness",
    "@nasa",
    'url:"x.com"',
    "fitness OR",
    "((((",
    "🏋️",
    "🏋️ fitness",
    "'; DROP TABLE accounts; --",
    "\x00\n\t",
    "a" * 2_000,
    "$TSLA",
    "café",
    "東京 travel",
    "lang:fr",
    "is:retweet",
    "has:links",
    "",
    "   ",
    "fitness OR from:nasa OR (lang:fr)",
    "ＯＲ （from：nasa）",  # full-width look-alikes
    "fitness\u200bOR\u200bfrom:x",  # zero-width spaces
    "yoga AND -is:reply",
    '"unbalanced',
    "fitness ~ * ? ! %",
    "𝐎𝐑 fitness",  # mathematical bold letters, NFKC -> "OR"
    "हिन्दी",
    "-",
    "OR",
    "or and OR AND",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_safe_or_rejected(text: str) -> None:
    nq = try_build(text)
    if nq is not None:
        assert_safe(nq)


@pytest.mark.parametrize(
    ("text", "niche"),
    [
        ("fitness) OR (from:nasa", "fitness from nasa"),
        ('"fitness"', "fitness"),
        ("-fitness", "fitness"),
        ("fitness -is:retweet", "fitness is retweet"),
        ("from:elonmusk", "from elonmusk"),
        ("#fitness", "fitness"),
        ("@nasa", "nasa"),
        ('url:"x.com"', "url x com"),
        ("fitness OR", "fitness"),
        ("🏋️ fitness", "fitness"),
        ("'; DROP TABLE accounts; --", "drop table accounts"),
        ("$TSLA", "tsla"),
        ("café", "café"),
        ("東京 travel", "東京 travel"),
        ("lang:fr", "lang fr"),
        ("ＯＲ （from：nasa）", "from nasa"),
        ("𝐎𝐑 fitness", "fitness"),
        ("हिन्दी", "हिन्दी"),
    ],
)
def test_hostile_input_becomes_a_plain_niche(text: str, niche: str) -> None:
    assert build_query(text).niche == niche


def test_operator_injection_becomes_a_phrase() -> None:
    nq = build_query("fitness) OR (from:nasa")
    assert nq.query == ('("fitness from nasa" OR #fitnessfromnasa) lang:en -is:retweet -is:reply')


@pytest.mark.parametrize(
    "text", ["", "   ", "((((", "🏋️", "\x00\n\t", "-", "OR", "or and OR AND", "___", "!!!"]
)
def test_nothing_usable_is_a_friendly_error(text: str) -> None:
    with pytest.raises(BadInput) as err:
        build_query(text)
    assert str(err.value) == (
        "Type a niche with at least one letter or number, e.g. /find-influencers fitness"
    )


def test_raw_input_too_long() -> None:
    with pytest.raises(BadInput, match="too long"):
        build_query("a" * 2_000)
    # Even if cleaning would leave something short.
    with pytest.raises(BadInput, match="too long"):
        build_query("!" * 198 + "fit")


def test_cleaned_niche_length_limit() -> None:
    assert build_query("a" * MAX_NICHE_CHARS).niche == "a" * MAX_NICHE_CHARS
    with pytest.raises(BadInput, match="too long"):
        build_query("a" * (MAX_NICHE_CHARS + 1))


def test_word_limit() -> None:
    assert build_query("one two three four five six").niche == "one two three four five six"
    with pytest.raises(BadInput, match="6 words"):
        build_query("one two three four five six seven")


# --- hypothesis: any text is either rejected or safe ---------------------------------

_OPERATOR_TOKENS = [
    "OR",
    "or",
    "AND",
    "(",
    ")",
    '"',
    ":",
    "-",
    "#",
    "@",
    "$",
    "*",
    "from:",
    "to:",
    "-is:retweet",
    "lang:",
    "has:links",
    "url:",
    "fitness",
    "home",
    "Ｏ",
    "Ｒ",
    "（",
    "）",
    "＂",
    "：",
    "\u200b",
    "\ufe0f",
    "\u0301",
    "🏋️",
    " ",
    "\n",
    "\t",
    "ß",
    "İ",
    "ǅ",
]
hostile_text = st.lists(st.sampled_from(_OPERATOR_TOKENS), max_size=30).map("".join) | st.lists(
    st.sampled_from(_OPERATOR_TOKENS), max_size=15
).map(" ".join)


def _check(text: str, lang: str | None = "en", max_length: int = 512) -> None:
    nq = try_build(text, lang, max_length)
    if nq is not None:
        assert_safe(nq, max_length)
        assert normalize_niche(text) == nq.key


@settings(max_examples=400)
@given(st.text(max_size=250))
@example("fitness) OR (from:nasa")
@example("\u0301fitness")
def test_any_text_is_safe(text: str) -> None:
    _check(text)


@settings(max_examples=400)
@given(hostile_text)
def test_operator_heavy_text_is_safe(text: str) -> None:
    _check(text)


@given(hostile_text, st.sampled_from([None, "any", "en", "pt"]), st.integers(30, 512))
def test_safe_with_any_lang_and_length(text: str, lang: str | None, max_length: int) -> None:
    _check(text, lang, max_length)


# --- synonyms, keys, phrases -----------------------------------------------------------


def test_fitness_query() -> None:
    nq = build_query("fitness")
    assert nq.query.startswith("(fitness OR #fitness OR workout OR #workout OR gym")
    assert nq.query.endswith(") lang:en -is:retweet -is:reply")
    assert nq.niche == "fitness"
    assert nq.key == "fitness"
    assert nq.terms[:5] == ("fitness", "#fitness", "workout", "#workout", "gym")
    assert_safe(nq)


@pytest.mark.parametrize("spelling", ["Fitness", "  FITNESS ", "fitness", "#Fitness", "FITNESS!"])
def test_spellings_agree(spelling: str) -> None:
    assert build_query(spelling) == build_query("fitness")
    assert normalize_niche(spelling) == "fitness"


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("dog", "dogs"),
        ("Dogs", "dogs"),
        ("cat", "cats"),
        ("startup", "startups"),
        ("book", "books"),
        ("pet", "pets"),
        ("make up", "makeup"),
        ("Make-Up", "makeup"),
        ("skin care", "skincare"),
        ("web 3", "web3"),
        ("Technology", "tech"),
        ("Artificial Intelligence", "ai"),
        ("personal finance", "personal finance"),
        ("underwater basket weaving", "underwater basket weaving"),
    ],
)
def test_keys_fold_variants(spelling: str, key: str) -> None:
    assert normalize_niche(spelling) == key
    assert build_query(spelling).key == key


def test_variant_keeps_what_the_user_typed_first() -> None:
    nq = build_query("dog")
    assert nq.niche == "dog"
    assert nq.terms[:3] == ("dog", "#dog", "dogs")
    assert "puppy" in nq.terms
    assert len(nq.terms) == len(set(nq.terms))


@pytest.mark.parametrize("niche", sorted(SYNONYMS))
def test_every_table_niche_builds_a_safe_query(niche: str) -> None:
    nq = build_query(niche)
    assert_safe(nq)
    assert nq.key == niche
    assert len(nq.terms) >= 4
    assert len(nq.terms) == len(set(nq.terms))


def test_synonym_table_has_the_common_niches() -> None:
    for niche in ("fitness", "yoga", "crypto", "skincare", "gaming", "travel", "coffee", "wine"):
        assert niche in SYNONYMS
    assert len(SYNONYMS) >= 25


def test_multi_word_niche_is_phrase_plus_hashtag() -> None:
    nq = build_query("Home   Workout")
    assert nq.niche == "home workout"
    assert nq.terms == ("home workout", "#homeworkout")
    assert nq.query == '("home workout" OR #homeworkout) lang:en -is:retweet -is:reply'


def test_all_digit_niche_gets_no_hashtag() -> None:
    # X does not treat #2024 as a hashtag.
    assert build_query("2024").terms == ("2024",)


def test_unicode_niche() -> None:
    nq = build_query("東京 travel")
    assert nq.terms == ("東京 travel", "#東京travel")
    assert build_query("Café").terms == ("café", "#café")


# --- lang ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "suffix"),
    [
        ("en", " lang:en -is:retweet -is:reply"),
        ("pt", " lang:pt -is:retweet -is:reply"),
        ("zh", " lang:zh -is:retweet -is:reply"),
        ("fil", " lang:fil -is:retweet -is:reply"),
        ("EN", " lang:en -is:retweet -is:reply"),
        (" de ", " lang:de -is:retweet -is:reply"),
        (None, ") -is:retweet -is:reply"),
        ("any", ") -is:retweet -is:reply"),
        ("ANY", ") -is:retweet -is:reply"),
        ("", ") -is:retweet -is:reply"),
    ],
)
def test_lang(lang: str | None, suffix: str) -> None:
    nq = build_query("yoga", lang)
    assert nq.query.endswith(suffix)
    assert_safe(nq)


@pytest.mark.parametrize(
    "lang", ["english", "e", "en-US", "e1", "ｅｎ", "en OR from:x", "en)", "é", "1234", "zh_tw"]
)
def test_bad_lang(lang: str) -> None:
    with pytest.raises(BadInput, match="Language"):
        build_query("yoga", lang)


def test_default_lang_is_english() -> None:
    assert " lang:en " in build_query("yoga").query


# --- max_length --------------------------------------------------------------------------


def test_default_queries_fit_512() -> None:
    nq = build_query("aaaaaaaaa " * 6)
    assert len(nq.query) <= 512


def test_trimming_drops_synonyms_from_the_end() -> None:
    full = build_query("fitness")
    for limit in range(len(full.query), 38, -7):
        nq = build_query("fitness", max_length=limit)
        assert len(nq.query) <= limit
        assert full.terms[: len(nq.terms)] == nq.terms
        assert nq.terms[0] == "fitness"
        assert_safe(nq, limit)


def test_exact_fit_keeps_everything() -> None:
    full = build_query("fitness")
    assert build_query("fitness", max_length=len(full.query)) == full
    shorter = build_query("fitness", max_length=len(full.query) - 1)
    assert len(shorter.terms) == len(full.terms) - 1


def test_bare_niche_fits_minimum() -> None:
    nq = build_query("fitness", None, max_length=len("(fitness) -is:retweet -is:reply"))
    assert nq.terms == ("fitness",)
    assert nq.query == "(fitness) -is:retweet -is:reply"


def test_bare_niche_too_long_is_bad_input() -> None:
    with pytest.raises(BadInput, match="longer than 30"):
        build_query("fitness", max_length=30)


# --- matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Personal trainer. Fitness coach.", True),
        ("FITNESS", True),
        ("love my #Fitness journey", True),
        ("gym rat", True),
        ("#GYM", True),  # a word term matches its hashtag
        ("#fitfam forever", True),
        ("fitfam forever", False),  # a hashtag term needs the hashtag
        ("#fitnessgoals", False),  # whole words only
        ("unfit", False),
        ("fitnesses", False),
        ("gymnastics", False),
        ("workout_plan", False),
        ("", False),
        ("I am a personal-trainer", True),  # phrase split by punctuation
        ("personal stuff; trainer", False),
    ],
)
def test_matches_niche_fitness(text: str, expected: bool) -> None:
    assert matches_niche(text, build_query("fitness")) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Home Workout videos", True),
        ("home   workout", True),
        ("home-workout", True),
        ("#HomeWorkout", True),
        ("#homeworkouts", False),
        ("home workouts", False),
        ("homeworkout", False),
        ("workout at home", False),
    ],
)
def test_matches_niche_phrase(text: str, expected: bool) -> None:
    assert matches_niche(text, build_query("home workout")) is expected


def test_matches_niche_unicode_and_regex_chars() -> None:
    assert matches_niche("Le meilleur CAFÉ de Paris", build_query("café"))
    assert matches_niche("旅行 東京 travel", build_query("東京 travel"))
    weird = NicheQuery(niche="c++", key="c++", terms=("c++", "a.b"), query="")
    assert not matches_niche("cxx", weird)
    assert not matches_niche("aXb", weird)


def test_matches_niche_with_no_terms() -> None:
    empty = NicheQuery(niche="", key="", terms=(), query="")
    assert not matches_niche("anything", empty)
