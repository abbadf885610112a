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


# --- engagement thresholds, nullcast, operator inventory ---------------------------


def _metrics(**counts: int) -> dict[str, Any]:
    return {"public_metrics": counts}


@pytest.mark.parametrize(
    ("query", "metrics", "expected"),
    [
        ("fitness min_likes:10", {"like_count": 10}, True),
        ("fitness min_likes:10", {"like_count": 9}, False),
        ("fitness min_likes:0", {}, True),
        ("fitness min_reposts:5", {"repost_count": 5}, True),
        ("fitness min_reposts:5", {"retweet_count": 7}, True),  # the older field name
        ("fitness min_reposts:5", {"retweet_count": 4}, False),
        ("fitness min_retweets:5", {"repost_count": 6}, True),
        ("fitness min_replies:2", {"reply_count": 1}, False),
        ("fitness min_replies:2", {"reply_count": 2}, True),
        ("fitness -min_likes:100", {"like_count": 99}, True),
        ("fitness -min_likes:100", {"like_count": 100}, False),
        ("min_likes:50", {"like_count": 60}, True),  # standalone, unlike is:/has:/lang:
    ],
)
def test_engagement_thresholds(query: str, metrics: dict[str, int], expected: bool) -> None:
    post = _post("fitness every day", **_metrics(**metrics))
    assert parse_query(query)(post, AUTHOR) is expected


def test_min_operators_need_a_number() -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        parse_query("fitness min_likes:lots")
    with pytest.raises(ValueError, match="non-negative integer"):
        parse_query("fitness min_likes:-3")
    with pytest.raises(ValueError, match="invalid operator 'min_faves'"):
        parse_query("fitness min_faves:3")


def test_nullcast_reads_the_private_flag_and_needs_a_keyword() -> None:
    ad = _post("fitness sale", _nullcast=True)
    organic = _post("fitness sale")
    assert parse_query("fitness is:nullcast")(ad)
    assert not parse_query("fitness is:nullcast")(organic)
    assert parse_query("fitness -is:nullcast")(organic)
    assert not parse_query("fitness -is:nullcast")(ad)
    with pytest.raises(ValueError, match="non-stand-alone"):
        parse_query("is:nullcast")


def test_reply_quote_and_mentions_operators() -> None:
    reply = _post("@x fitness", referenced_tweets=[{"type": "replied_to", "id": "8"}])
    quote = _post("fitness", referenced_tweets=[{"type": "quoted", "id": "8"}])
    linked = _post(
        "fitness with a friend",
        entities={"mentions": [{"start": 0, "end": 2, "username": "friend", "id": "9"}]},
    )
    assert parse_query("fitness is:reply")(reply)
    assert not parse_query("fitness is:reply")(quote)
    assert parse_query("fitness is:quote")(quote)
    assert not parse_query("fitness -is:quote")(quote)
    assert parse_query("fitness has:mentions")(reply)  # from the text
    assert parse_query("fitness has:mentions")(linked)  # from entities
    assert not parse_query("fitness has:mentions")(quote)
    assert parse_query("fitness -has:links")(quote)
    assert not parse_query("fitness -has:links")(_post("fitness https://t.co/abc"))


def test_matcher_lists_the_operators_it_uses() -> None:
    matcher = parse_query("(fitness OR gym) min_likes:10 -is:nullcast lang:en")
    assert [(o.name, o.value) for o in matcher.operators] == [
        ("min_likes", "10"),
        ("is", "nullcast"),
        ("lang", "en"),
    ]
    assert matcher.operators[0].pos == 18
    first = matcher.first_of({"is:nullcast", "from"})
    assert first is not None
    assert (first.name, first.value) == ("is", "nullcast")
    assert matcher.first_of({"min_replies", "is:reply"}) is None
    assert parse_query("fitness").operators == ()
