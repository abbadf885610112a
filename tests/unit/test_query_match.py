"""query_match.py: the subset of X's query language the core emits, and X-like rejections."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.x.query_match import MAX_QUERY_LENGTH, parse_query

CORE_QUERY = '(fitness OR #fitness OR "home workout") lang:en -is:retweet -is:reply'


def _post(text: str, lang: str = "en", **extra: Any) -> dict[str, Any]:
    return {"id": "1", "author_id": "42", "text": text, "lang": lang, **extra}


AUTHOR = {"id": "42", "username": "Mara_Lifts", "verified": True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fitness is a habit", True),
        ("Loving my #Fitness journey", True),
        ("A home workout, 20 minutes", True),
        ("A workout at home", False),  # phrase words must be adjacent and in order
        ("fitnessfreak life", False),  # tokenized match, not substring
        ("Nothing relevant here", False),
    ],
)
def test_core_query_terms(text: str, expected: bool) -> None:
    assert parse_query(CORE_QUERY)(_post(text), AUTHOR) is expected


def test_lang_filter() -> None:
    matcher = parse_query(CORE_QUERY)
    assert matcher(_post("fitness hoy", lang="es"), AUTHOR) is False


def test_excludes_retweets_and_replies() -> None:
    matcher = parse_query(CORE_QUERY)
    retweet = _post(
        "RT @someone: fitness tips", referenced_tweets=[{"type": "retweeted", "id": "9"}]
    )
    old_style_rt = _post("RT @someone: fitness tips")
    reply = _post(
        "@x fitness", in_reply_to_user_id="7", referenced_tweets=[{"type": "replied_to", "id": "8"}]
    )
    quote = _post("fitness", referenced_tweets=[{"type": "quoted", "id": "8"}])
    assert not matcher(retweet, AUTHOR)
    assert not matcher(old_style_rt, AUTHOR)
    assert not matcher(reply, AUTHOR)
    assert matcher(quote, AUTHOR)


def test_hashtag_only_matches_hashtags() -> None:
    matcher = parse_query("#yoga")
    assert matcher(_post("morning #yoga"))
    assert not matcher(_post("morning yoga"))


def test_and_binds_tighter_than_or() -> None:
    matcher = parse_query("apple OR banana cherry")
    assert matcher(_post("apple"))
    assert matcher(_post("banana and cherry"))
    assert not matcher(_post("banana"))


def test_negated_group_and_mentions_and_from() -> None:
    assert parse_query("coffee -(decaf OR instant)")(_post("coffee time"))
    assert not parse_query("coffee -(decaf OR instant)")(_post("instant coffee"))
    assert parse_query("@mara_lifts")(_post("thanks @Mara_Lifts!"))
    assert parse_query("from:mara_lifts")(_post("anything"), AUTHOR)
    assert not parse_query("from:someone_else")(_post("anything"), AUTHOR)
    assert parse_query("yoga is:verified")(_post("yoga"), AUTHOR)
    assert parse_query("$BTC")(_post("watching $btc today"))
    assert parse_query("coffee has:links")(_post("coffee https://example.com"))


def test_punctuated_term_matches_as_sequence() -> None:
    matcher = parse_query("plant-based")
    assert matcher(_post("Plant-based dinner"))
    assert matcher(_post("plant based dinner"))
    assert not matcher(_post("plants are based"))


def test_niche_text_in_quotes_is_not_operators() -> None:
    matcher = parse_query('"fitness) OR (from:someone" lang:en')
    assert matcher.query.startswith('"fitness)')
    assert matcher(_post("Fitness) or (from: someone"))
    assert not matcher(_post("fitness from someone"))
    assert not matcher(_post("someone"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "can not be empty"),
        ("   ", "can not be empty"),
        ("(fitness OR yoga", "Unmatched parenthesis"),
        ("fitness) OR (yoga", "Unmatched parenthesis"),
        ('"fitness', "Unmatched quote"),
        ("lang:en", "non-stand-alone"),
        ("is:retweet", "non-stand-alone"),
        ("-fitness", "non-stand-alone"),
        ("(fitness OR lang:en)", "non-stand-alone"),
        ("fitness OR", "Expected a term"),
        ("OR fitness", "Expected a term"),
        ("()", "Expected a term"),
        ("fitness lang:", "needs a value"),
        ("fitness is:cool", "invalid is: value"),
        ("fitness bogus:thing", "invalid operator"),
        ('fitness ""', "Empty quoted phrase"),
        ("x" * (MAX_QUERY_LENGTH + 1), "512"),
    ],
)
def test_malformed_queries(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_query(query)


def test_errors_read_like_x() -> None:
    with pytest.raises(
        ValueError, match=r"^There were errors processing your request: .*\(at position 1\)"
    ):
        parse_query("(fitness")


def test_max_length_is_allowed() -> None:
    query = ("a " * (MAX_QUERY_LENGTH // 2))[:MAX_QUERY_LENGTH]
    assert parse_query(query)(_post("a"))
