"""The shared command grammar: what chat text becomes, and friendly errors for the rest."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.commands import (
    AT,
    COMMANDS,
    DAY,
    FIND,
    LIKE,
    LIMIT,
    MIN_FOLLOWERS,
    SPENDING_NOTES,
    TIER,
    TZ,
    DigestAction,
    DigestCommand,
    FindInfluencers,
    HelpCommand,
    OptionKind,
    WatchAction,
    WatchlistCommand,
    command_spec,
    is_slow,
    parse_command,
    parse_handle,
)
from core.digests import DEFAULT_AT, DEFAULT_TZ, DEFAULT_WEEKDAY
from core.errors import BadInput
from core.models import SearchRequest, Tier


def test_find_defaults() -> None:
    cmd = parse_command("find-influencers", "fitness")
    assert isinstance(cmd, FindInfluencers)
    r = cmd.request
    assert (r.niche, r.tier, r.lang, r.limit) == ("fitness", Tier.MICRO, "en", 10)
    assert r.min_followers is None
    assert r.max_followers is None


def test_find_options_in_any_order() -> None:
    cmd = parse_command(
        "/find-influencers", "limit:5 home workout tier:nano min:2k max:9,500 lang:DE"
    )
    assert isinstance(cmd, FindInfluencers)
    r = cmd.request
    assert r.niche == "home workout"
    assert (r.tier, r.min_followers, r.max_followers, r.lang, r.limit) == (
        Tier.NANO,
        2_000,
        9_500,
        "de",
        5,
    )


def test_tier_any_means_no_tier() -> None:
    cmd = parse_command("find-influencers", "fitness tier:any")
    assert isinstance(cmd, FindInfluencers)
    assert cmd.request.tier is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Which niche"),
        ("fitness color:red", "Unknown option color:"),
        ("fitness tier:huge", "Unknown tier"),
        ("fitness limit:0", "between 1 and 50"),
        ("fitness limit:500", "between 1 and 50"),
        ("fitness limit:ten", "whole number"),
        ("fitness min:lots", "10k"),
        ("fitness min:50k max:10k", "above max"),
        ("fitness lang:english", "ISO code"),
        ("fitness tier:micro tier:nano", "twice"),
        ("fitness min:", "needs a value"),
        ("a" * 2_001, "too long"),
        ("from:nasa", "Unknown option from:"),
    ],
)
def test_find_errors_are_friendly(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_command("find-influencers", text)


def test_operator_looking_words_stay_words() -> None:
    cmd = parse_command("find-influencers", "fitness) OR (from:nasa")
    assert isinstance(cmd, FindInfluencers)
    assert cmd.request.niche == "fitness) OR (from:nasa"  # the niche cleaner defuses it


@given(st.text(max_size=300))
def test_parse_never_crashes_on_any_text(text: str) -> None:
    # Either a command or a BadInput with a message: nothing else may escape.
    message = "parsed"
    try:
        parse_command("find-influencers", text)
    except BadInput as err:
        message = str(err)
    assert message


@pytest.mark.parametrize(
    ("raw", "handle"),
    [
        ("@Jane_Lifts", "Jane_Lifts"),
        ("jane", "jane"),
        ("https://x.com/jane_lifts", "jane_lifts"),
        ("twitter.com/jane/", "jane"),
        ("@a,", "a"),
        ("https://mobile.twitter.com/jane?s=20", "jane"),
    ],
)
def test_handles(raw: str, handle: str) -> None:
    assert parse_handle(raw) == handle


@pytest.mark.parametrize(
    "raw", ["@", "@this_is_far_too_long_a_handle", "@jane-lifts", "<@U123>", "@jäne"]
)
def test_bad_handles(raw: str) -> None:
    with pytest.raises(BadInput, match="not an X handle"):
        parse_handle(raw)


def test_watchlist_grammar() -> None:
    assert parse_command("watchlist", "") == WatchlistCommand(WatchAction.LIST)
    assert parse_command("watchlist", "list") == WatchlistCommand(WatchAction.LIST)
    cmd = parse_command("watchlist", "add @a @b @a")
    assert cmd == WatchlistCommand(WatchAction.ADD, ("a", "b"))
    with pytest.raises(BadInput, match="Which accounts"):
        parse_command("watchlist", "add")
    with pytest.raises(BadInput, match=r"add\|remove\|list"):
        parse_command("watchlist", "destroy @a")
    hundred = parse_command("watchlist", "add " + " ".join(f"@u{i}" for i in range(100)))
    assert hundred == WatchlistCommand(WatchAction.ADD, tuple(f"u{i}" for i in range(100)))
    with pytest.raises(BadInput, match="At most 100"):
        parse_command("watchlist", "add " + " ".join(f"@u{i}" for i in range(101)))


def test_digest_grammar() -> None:
    cmd = parse_command("digest", "subscribe home workout day:fri time:17:30 tz:Europe/Berlin")
    assert cmd == DigestCommand(
        DigestAction.SUBSCRIBE, "home workout", 4, time(17, 30), "Europe/Berlin"
    )
    assert parse_command("digest", "") == DigestCommand(DigestAction.LIST)
    # Not given is None (issue 11): a re-subscription keeps the channel's own schedule;
    # only a new subscription takes the defaults (core.digests).
    bare = parse_command("digest", "subscribe fitness")
    assert bare == DigestCommand(DigestAction.SUBSCRIBE, "fitness", None, None, None)
    only_tz = parse_command("digest", "subscribe fitness tz:UTC")
    assert only_tz == DigestCommand(DigestAction.SUBSCRIBE, "fitness", None, None, "UTC")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subscribe", "Which niche"),
        ("subscribe fitness day:someday", "Unknown day"),
        ("subscribe fitness time:25:00", "09:00"),
        ("subscribe fitness tz:Mars/Olympus", "Unknown time zone"),
        ("subscribe fitness tz:../../etc/passwd", "Unknown time zone"),
        ("explode fitness", "subscribe"),
    ],
)
def test_digest_errors(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_command("digest", text)


def test_help_and_unknown_command() -> None:
    assert parse_command("influencer-help", "") == HelpCommand(None)
    assert parse_command("influencer-help", "/watchlist") == HelpCommand("watchlist")
    with pytest.raises(BadInput, match="Unknown command"):
        parse_command("make-coffee", "")


def test_build_find_matches_chat_grammar() -> None:
    typed = FIND.build(
        None, ["fitness"], {"tier": "nano", "min": "2000", "limit": "5", "lang": "any"}
    )
    chat = parse_command("find-influencers", "fitness tier:nano min:2000 limit:5 lang:any")
    assert typed == chat


def test_command_table_is_consistent() -> None:
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names))
    for spec in COMMANDS:
        assert spec.usage.startswith(f"/{spec.name}")
        for opt in spec.options:
            assert f"{opt.name}:" in spec.usage or spec.name == "influencer-help"


# Lookalike searches: like:@handle, with or without a niche


@pytest.mark.parametrize(
    ("text", "niche", "like"),
    [
        ("like:@jane_lifts", "", "jane_lifts"),
        ("like:jane_lifts", "", "jane_lifts"),
        ("like:https://x.com/Jane_Lifts", "", "Jane_Lifts"),
        ("like:x.com/jane_lifts?s=21&t=abc", "", "jane_lifts"),
        ("like:twitter.com/jane/", "", "jane"),
        ("LIKE:@a", "", "a"),
        ("running like:@nadia_runs", "running", "nadia_runs"),
        ("like:@nadia_runs home workout tier:nano", "home workout", "nadia_runs"),
    ],
)
def test_like_takes_a_handle_and_the_niche_becomes_optional(
    text: str, niche: str, like: str
) -> None:
    cmd = parse_command("find-influencers", text)
    assert isinstance(cmd, FindInfluencers)
    assert (cmd.request.niche, cmd.request.like) == (niche, like)


def test_like_keeps_the_other_options() -> None:
    cmd = parse_command("find-influencers", "like:@jane tier:nano limit:5 lang:de")
    assert cmd == FindInfluencers(
        SearchRequest(niche="", tier=Tier.NANO, lang="de", limit=5, like="jane")
    )
    assert parse_command("find-influencers", "fitness") == FindInfluencers(
        SearchRequest("fitness")
    )  # no like: a plain niche search, as before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("like:", "Option like: needs a value, e.g. like:@jane_lifts"),
        ("like:@", "Option like: '@' is not an X handle"),
        ("like:@@x", "Option like: '@@x' is not an X handle"),
        ("like:https://evil.com/x", "Option like: 'https://evil.com/x' is not an X handle"),
        ("like:(from:x)", "Option like: '(from:x)' is not an X handle"),
        ("like:@jane-lifts", "not an X handle"),
        ("like:@this_is_far_too_long_a_handle", "not an X handle"),
        ("like:x.com/jane/status/123", "not an X handle"),
        ("like:@jäne", "not an X handle"),
        ("like:<@U123>", "not an X handle"),
        ("like:@a like:@b", "Option like: is given twice"),
        ("like:@a tier:huge", "Unknown tier"),
        ("like:@a min:50k max:10k", "above max"),
        ("tier:nano", "Which niche?"),
    ],
)
def test_bad_like_input_is_refused_in_plain_words(text: str, message: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_command("find-influencers", text)
    assert message in str(err.value)
    assert "Traceback" not in str(err.value)


def test_without_niche_or_like_the_answer_shows_both_ways() -> None:
    with pytest.raises(BadInput) as err:
        parse_command("find-influencers", "")
    assert "/find-influencers fitness" in str(err.value)
    assert "like:@" in str(err.value)


@given(st.text(max_size=60))
def test_any_like_value_parses_to_a_handle_or_a_friendly_refusal(value: str) -> None:
    message = ""
    try:
        cmd = parse_command("find-influencers", "like:" + "".join(value.split()))
    except BadInput as err:
        message = str(err)
    if message:
        assert message.startswith(("Option like:", "Which niche?"))
        return
    assert isinstance(cmd, FindInfluencers)
    like = cmd.request.like
    assert like is not None
    assert 1 <= len(like) <= 15
    assert all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in like)


def test_build_find_like_matches_chat_grammar() -> None:
    typed = FIND.build(None, [], {"like": "@jane_lifts", "tier": "any", "limit": "3"})
    chat = parse_command("find-influencers", "like:@jane_lifts tier:any limit:3")
    assert typed == chat
    assert FIND.build(None, ["running"], {"like": "x.com/nadia_runs"}) == parse_command(
        "find-influencers", "running like:nadia_runs"
    )


def test_the_table_says_like_makes_the_niche_optional() -> None:
    find = command_spec("find-influencers")
    assert find.argument_required is False
    assert find.option("like").kind is OptionKind.HANDLE
    assert "like:@handle" in find.usage
    assert any("like:@" in ex and ex.count(" ") == 1 for ex in find.examples)
    assert any("like:" in note for note in find.notes)
    spending = " ".join(SPENDING_NOTES)
    assert "X_MONTHLY_BUDGET_USD" in spending
    assert "402" in spending


def test_the_table_says_which_commands_are_slow() -> None:
    # Slow commands read X: Slack and Discord answer them in the background with progress.
    slow = {
        "find-influencers fitness",
        "find-influencers like:@jane",
        "digest preview yoga",
        "audit @jane",
    }
    quick = {
        "watchlist add @jane",
        "watchlist remove @jane",
        "watchlist list",
        "digest subscribe yoga",
        "digest unsubscribe yoga",
        "digest list",
        "influencer-help",
    }
    for typed in slow | quick:
        name, _, text = typed.partition(" ")
        assert is_slow(parse_command(name, text)) is (typed in slow), typed


def test_every_action_takes_options_of_its_own_command() -> None:
    for spec in COMMANDS:
        assert spec.actions
        assert len({a.name for a in spec.actions}) == len(spec.actions)
        for action in spec.actions:
            assert set(action.options) <= set(spec.options)
            assert (action.name is None) is (not spec.has_subcommands)
        if spec.default_action is not None:
            assert spec.action(spec.default_action).name == spec.default_action


def test_options_are_read_back_with_their_types() -> None:
    options = FIND.parse_options({"min": "10k", "tier": "any"})
    assert options[LIMIT] == 10  # the table's default
    assert options[TIER] is None  # any: no tier filter
    assert options.get(MIN_FOLLOWERS) == 10_000
    assert options.get(LIKE) is None


# Aliases and the nearest command (issue 11, item 5)


@pytest.mark.parametrize(
    ("alias", "text", "real"),
    [
        ("find", "fitness tier:nano", "find-influencers"),
        ("/find-influencer", "fitness", "find-influencers"),
        ("INFLUENCERS", "like:@jane_lifts", "find-influencers"),
        ("help", "", "influencer-help"),
        ("/help", "watchlist", "influencer-help"),
        ("watch", "add @jane_lifts", "watchlist"),
        ("digests", "list", "digest"),
    ],
)
def test_aliases_build_the_same_command_as_the_real_name(alias: str, text: str, real: str) -> None:
    assert parse_command(alias, text) == parse_command(real, text)
    assert command_spec(alias) is command_spec(real)


def test_help_on_an_alias_is_help_on_the_command() -> None:
    assert parse_command("help", "find") == HelpCommand("find-influencers")
    assert parse_command("help", "/watch") == HelpCommand("watchlist")
    assert parse_command("help", "coffee") == HelpCommand("coffee")  # Scout refuses it


def test_aliases_are_unique_and_never_a_real_name() -> None:
    names = [c.name for c in COMMANDS]
    aliases = [a for c in COMMANDS for a in c.aliases]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & set(names)
    assert all(a == a.lower() and " " not in a for a in aliases)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("fnd", "Unknown command /fnd. Did you mean /find-influencers?"),
        ("/find-influncers", "Unknown command /find-influncers. Did you mean /find-influencers?"),
        ("hlep", "Unknown command /hlep. Did you mean /influencer-help?"),
        ("wathclist", "Unknown command /wathclist. Did you mean /watchlist?"),
        ("dgest", "Unknown command /dgest. Did you mean /digest?"),
        ("make-coffee", "Unknown command /make-coffee. Try /influencer-help."),
        ("quit", "Unknown command /quit. Try /influencer-help."),
    ],
)
def test_an_unknown_command_is_answered_with_the_nearest_one(typed: str, message: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_command(typed, "")
    assert str(err.value) == message


# Time zones in any case, a suggestion on a typo; digest examples per action (item 8)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("america/new_york", "America/New_York"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("utc", "UTC"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_a_time_zone_in_any_case_is_stored_by_its_real_name(typed: str, canonical: str) -> None:
    cmd = parse_command("digest", f"subscribe fitness tz:{typed}")
    assert isinstance(cmd, DigestCommand)
    assert cmd.tz == canonical


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Europe/Berln", "Unknown time zone 'Europe/Berln'. Did you mean Europe/Berlin?"),
        (
            "america/new_yrok",
            "Unknown time zone 'america/new_yrok'. Did you mean America/New_York?",
        ),
        ("berlin", "Unknown time zone 'berlin'. Did you mean Europe/Berlin?"),
        ("Mars/Olympus", "Unknown time zone 'Mars/Olympus'. Use a name like Europe/Berlin or UTC."),
    ],
)
def test_a_mistyped_time_zone_names_the_likely_one(typed: str, message: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_command("digest", f"subscribe fitness tz:{typed}")
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("action", "example"),
    [
        ("preview", "/digest preview fitness"),
        ("unsubscribe", "/digest unsubscribe fitness"),
        ("subscribe", "/digest subscribe fitness day:mon"),
    ],
)
def test_a_digest_without_a_niche_is_shown_an_example_of_its_own_action(
    action: str, example: str
) -> None:
    with pytest.raises(BadInput) as err:
        parse_command("digest", action)
    assert f"Which niche? For example: {example}" in str(err.value)


def test_the_tables_digest_defaults_are_a_new_subscriptions_schedule() -> None:
    assert DAY.parse(DAY.default or "") == DEFAULT_WEEKDAY
    assert AT.parse(AT.default or "") == DEFAULT_AT
    assert TZ.parse(TZ.default or "") == DEFAULT_TZ
