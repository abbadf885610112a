"""Discord rendering: every reply fits Discord's limits, and nothing is dropped to fit."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, time

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.buttons import AUDIT_TEMPLATE, TRACK_TEMPLATE, AuditButton, TrackButton
from adapters.discord.errors import friendly_error
from adapters.discord.render import (
    MAX_BUTTONS,
    MAX_CONTENT,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    Outgoing,
    render,
    text,
)
from core.commands import COMMANDS
from core.errors import (
    BadInput,
    BudgetExhausted,
    XAuthError,
    XBadQuery,
    XPaymentRequired,
    XRateLimited,
    XUnavailable,
)
from core.models import (
    AccountNotice,
    AuditNeedsConfirmation,
    AuditResult,
    Candidate,
    Cost,
    Digest,
    DigestSubscription,
    DigestSubscriptionsView,
    HelpView,
    LeftOut,
    Post,
    Reason,
    ReasonCount,
    ReasonKind,
    Scope,
    SearchResult,
    Tier,
    WatchChange,
    WatchEntry,
    WatchlistView,
    XUser,
)

SCOPE = Scope("discord", "1", "2")


def candidate(i: int, *, name: str = "", reason: str = "engagement 2.3%") -> Candidate:
    user = XUser(
        id=str(i),
        username=f"acct_{i}"[:15],
        name=name or f"Account {i}",
        followers=12_345 + i,
        following=100,
        post_count=500,
    )
    reasons = (
        Reason(ReasonKind.STRENGTH, reason),
        Reason(ReasonKind.SUSPICION, "3 months old with 40K followers"),
    )
    return Candidate(user, Tier.MICRO, 0.0234, 0.75, 0.2, 88.5, reasons, 5)


def search(candidates: list[Candidate], *, source: str = "x-api") -> SearchResult:
    return SearchResult(
        niche="fitness",
        query="(fitness OR #fitness) lang:en -is:retweet -is:reply",
        source=source,
        results=tuple(candidates),
        cost=Cost(requests=2, posts_read=150, users_read=60, usd=1.35),
        budget_left_usd=20.5,
    )


def assert_within_limits(messages: list[Outgoing]) -> None:
    assert messages
    for m in messages:
        assert len(m.content or "") <= MAX_CONTENT
        assert 1 <= len(m.embeds) <= MAX_EMBEDS
        assert sum(len(e) for e in m.embeds) <= MAX_EMBED_TOTAL
        assert len(m.track) <= MAX_BUTTONS
        for e in m.embeds:
            assert len(e.fields) <= MAX_FIELDS
            for f in e.fields:
                assert f.name
                assert f.value
                assert len(f.name) <= MAX_FIELD_NAME
                assert len(f.value) <= MAX_FIELD_VALUE


def field_names(messages: list[Outgoing]) -> list[str]:
    return [str(f.name) for m in messages for e in m.embeds for f in e.fields]


def test_a_search_is_one_message_with_a_field_and_a_track_button_per_account() -> None:
    (message,) = render(search([candidate(i) for i in range(10)]))
    (embed,) = message.embeds
    assert embed.title == "Influencers on X for “fitness”"
    assert embed.description == "10 accounts found, best first."
    assert embed.footer.text is not None
    assert "X cost: 2 requests · 150 posts · 60 users = $1.35" in embed.footer.text
    assert "monthly budget left $20.50" in embed.footer.text
    assert embed.footer.text.endswith("Query: (fitness OR #fitness) lang:en -is:retweet -is:reply")
    first = embed.fields[0]
    assert first.name == "1. Account 0 (@acct\\_0)"  # a handle's _ cannot start italics
    assert first.value is not None
    assert first.value.splitlines()[0] == (
        "**12.3K** followers · micro · engagement **2.34%** · relevance 0.75 · "
        "suspicion 0.20 · score **88/100**"
    )
    assert "✅ engagement 2.3%" in first.value
    assert "🔍 check: 3 months old with 40K followers" in first.value
    assert first.value.endswith("[x.com/acct_0](https://x.com/acct_0)")
    assert message.track == tuple(f"acct_{i}" for i in range(10))


def test_sample_results_say_so_and_live_ones_do_not() -> None:
    (sample,) = render(search([candidate(1)], source="sample"))
    (live,) = render(search([candidate(1)]))
    assert "Sample data" in (sample.embeds[0].description or "")
    assert "Sample data" not in (live.embeds[0].description or "")


def test_an_empty_search_explains_what_to_try() -> None:
    (message,) = render(search([]))
    assert "Try another tier" in (message.embeds[0].description or "")
    assert message.view() is None


def test_fifty_long_accounts_are_split_across_messages_in_order() -> None:
    long_reason = "x" * 2_000
    messages = render(search([candidate(i, reason=long_reason) for i in range(50)]))
    assert len(messages) > 1
    assert_within_limits(messages)
    names = field_names(messages)
    assert [n.split(". ")[0] for n in names] == [str(i) for i in range(1, 51)]
    assert [h for m in messages for h in m.track] == [f"acct_{i}" for i in range(50)]
    # Each message's buttons belong to the accounts shown in it.
    for m in messages:
        shown = [
            str(f.name).rsplit("(@", 1)[1].rstrip(")").replace("\\", "")
            for e in m.embeds
            for f in e.fields
        ]
        assert list(m.track) == shown
    # The cut keeps the profile link.
    value = messages[0].embeds[0].fields[0].value or ""
    assert value.endswith("(https://x.com/acct_0)")
    assert "…" in value


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 50),
    name=st.text(min_size=0, max_size=400),
    reason=st.text(min_size=1, max_size=3_000),
    niche=st.text(min_size=1, max_size=600),
)
def test_any_search_fits_discords_limits(count: int, name: str, reason: str, niche: str) -> None:
    result = search([candidate(i, name=name, reason=reason) for i in range(count)])
    result = SearchResult(
        niche=niche,
        query=result.query * 5,
        source=result.source,
        results=result.results,
        cost=result.cost,
        stopped_early="x" * 5_000,
    )
    messages = render(result)
    assert_within_limits(messages)
    assert len(field_names(messages)) == count


def test_markdown_in_names_cannot_format_the_message() -> None:
    (message,) = render(search([candidate(1, name="**bold** _it_ [link](https://evil)")]))
    name = message.embeds[0].fields[0].name or ""
    # An escaped opening bracket is enough: `\[link](…)` is no link any more.
    assert name == "1. \\*\\*bold\\*\\* \\_it\\_ \\[link](https://evil) (@acct\\_1)"


def test_track_buttons_are_persistent_with_stable_custom_ids() -> None:
    view = Outgoing(track=("jane_lifts", "a")).view()
    assert view is not None
    assert view.timeout is None
    assert view.is_persistent()
    ids = [item.custom_id for item in view.children if isinstance(item, TrackButton)]
    assert ids == ["track:jane_lifts", "track:a"]
    assert all(re.fullmatch(TRACK_TEMPLATE, i) for i in ids)


@pytest.mark.parametrize("handle", ["a", "jane_lifts", "A1_b2_C3_d4_E5f"])
def test_the_track_template_matches_every_x_handle(handle: str) -> None:
    match = re.fullmatch(TRACK_TEMPLATE, f"track:{handle}")
    assert match is not None
    assert match["username"] == handle


@pytest.mark.parametrize("custom_id", ["track:", "track:sixteen_chars_xx", "track:a-b", "x:a"])
def test_the_track_template_refuses_what_is_not_a_handle(custom_id: str) -> None:
    assert re.fullmatch(TRACK_TEMPLATE, custom_id) is None


def test_watch_change_lists_what_happened() -> None:
    (message,) = render(
        WatchChange(added=("a", "b"), already=("c",), not_found=("zz",), cost=Cost(1, 0, 3, 0.03))
    )
    embed = message.embeds[0]
    assert embed.description == (
        "Now tracking @a, @b in this channel.\nAlready tracked here: @c.\nNot found on X: @zz."
    )
    assert embed.footer.text is not None
    assert embed.footer.text.startswith("X cost: 1 request · ")


def test_a_big_watchlist_is_paged_not_cut() -> None:
    entries = tuple(
        WatchEntry(str(i), f"user_{i}", f"User {i}", 10_000 + i, Tier.MICRO) for i in range(300)
    )
    messages = render(WatchlistView(SCOPE, entries))
    assert_within_limits(messages)
    assert len(field_names(messages)) == 300
    assert messages[0].embeds[0].title == "Watchlist: 300 accounts"
    assert all(m.track == () for m in messages)


def test_an_empty_watchlist_says_how_to_add() -> None:
    (message,) = render(WatchlistView(SCOPE, ()))
    assert "/watchlist add @handle" in (message.embeds[0].description or "")


def test_subscriptions_show_day_time_and_zone() -> None:
    sub = DigestSubscription(1, SCOPE, "fitness", 4, time(8, 30), "Europe/Berlin", paused=True)
    (message,) = render(DigestSubscriptionsView(SCOPE, (sub,), "Subscribed."))
    field = message.embeds[0].fields[0]
    assert (field.name, field.value) == ("fitness", "Fridays at 08:30 Europe/Berlin (paused)")


def test_a_digest_preview_is_labelled() -> None:
    digest = Digest(SCOPE, "yoga", (candidate(1),), "sample", Cost(), preview=True)
    (message,) = render(digest)
    assert message.embeds[0].title == "Digest preview: new micro influencers in “yoga”"
    assert message.track == ("acct_1",)


def test_help_has_a_field_per_command_of_the_table() -> None:
    (message,) = render(HelpView())
    assert field_names([message]) == [f"/{spec.name}" for spec in COMMANDS]
    (one,) = render(HelpView("digest"))
    assert field_names([one]) == ["/digest"]


def test_an_account_notice_says_how_to_clean_up() -> None:
    (message,) = render(AccountNotice(SCOPE, "1", "gone_acct", "suspended", "Since Monday."))
    assert message.embeds[0].title == "@gone_acct is suspended on X"
    assert "/watchlist remove @gone_acct" in (message.embeds[0].description or "")


def audit(**overrides: object) -> AuditResult:
    values: dict[str, object] = {
        "user_id": "1",
        "handle": "jane_lifts",
        "name": "Jane",
        "followers": 24_300,
        "requested_sample": 200,
        "sample_size": 200,
        "fake_count": 23,
        "fake_share": 0.115,
        "ci_low": 0.078,
        "ci_high": 0.166,
        "mean_probability": 0.2,
        "top_reasons": (ReasonCount("default_avatar", "default avatar", 17),),
        "cost": Cost(1, 0, 200, 2.0),
        "source": "x-api",
        "observed_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        **overrides,
    }
    return AuditResult(**values)  # type: ignore[arg-type]


def test_an_audit_shows_the_estimate_with_its_interval_and_signs() -> None:
    (message,) = render(audit())
    embed = message.embeds[0]
    assert embed.title == "Follower audit of @jane_lifts (Jane)"
    assert embed.url == "https://x.com/jane_lifts"
    description = embed.description or ""
    assert "Likely fake: **23** of the 200 most recent followers = **11.5%**" in description
    assert "(95% interval 7.8%–16.6%)" in description
    assert "not a verdict" in description
    assert (embed.fields[0].name, embed.fields[0].value) == ("default avatar", "17 followers")
    assert embed.footer.text is not None
    assert "Audited 2026-03-02 09:00 UTC" in embed.footer.text
    assert message.view() is None


def test_an_audit_says_how_sure_it_is() -> None:
    (message,) = render(
        audit(
            share_low=0.052,
            share_high=0.221,
            people_flagged=(0.006, 0.02),
            fakes_caught=(0.73, 0.985),
        )
    )
    description = message.embeds[0].description or ""
    assert (
        "Allowing for the model's own error: **5.2%–22.1%** of them are likely fake." in description
    )
    assert "about 1 real person in 50 on accounts unlike the ones it learned from" in description
    assert (
        "(1 in 170 on accounts like them) and catches 73%–98% of bought followers." in description
    )
    (old,) = render(audit())
    assert "model's own error" not in (old.embeds[0].description or "")
    assert "Likely fake = a fake probability of 50% or more." in (old.embeds[0].description or "")


def test_a_sample_audit_says_what_it_would_cost_on_x() -> None:
    (message,) = render(audit(source="sample"))
    embed = message.embeds[0]
    assert "Sample data" in (embed.description or "")
    assert embed.footer.text is not None
    assert embed.footer.text.startswith("What this would cost on X: 1 request · ")
    (live,) = render(audit())
    assert live.embeds[0].footer.text is not None
    assert live.embeds[0].footer.text.startswith("X cost: 1 request · ")


def test_the_watchlist_shows_each_accounts_last_audit() -> None:
    audited = WatchEntry("1", "jane_lifts", "Jane", 24_300, Tier.MICRO, last_audit=audit().summary)
    never = WatchEntry("2", "dara", "Dara", 12_000, Tier.MICRO)
    messages = render(WatchlistView(SCOPE, (audited, never)))
    assert_within_limits(messages)
    jane, dara = [f.value for m in messages for e in m.embeds for f in e.fields]
    stamp = int(datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp())
    assert jane == (
        "24.3K followers · micro\n"
        f"Last audit: **11.5%** likely fake (95% 7.8%–16.6%), <t:{stamp}:d>"
    )
    assert dara == "12K followers · micro"
    kept = replace(audited, last_audit=audit(share_low=0.052, share_high=0.221).summary)
    (value,) = [
        f.value for m in render(WatchlistView(SCOPE, (kept,))) for e in m.embeds for f in e.fields
    ]
    assert "Last audit: **11.5%** likely fake (5.2%–22.1% allowing for the model's error)" in (
        value or ""
    )


def test_an_audit_of_nobody_says_so() -> None:
    (message,) = render(audit(sample_size=0, fake_count=0, fake_share=0.0, top_reasons=()))
    assert "X returned no followers to check." in (message.embeds[0].description or "")


def test_a_costly_audit_asks_first_with_a_persistent_button() -> None:
    ask = AuditNeedsConfirmation("jane_lifts", 5_000, 50.0, 2.5)
    (message,) = render(ask)
    assert "may cost up to **$50.00**" in (message.embeds[0].description or "")
    view = message.view()
    assert view is not None
    assert view.is_persistent()
    (button,) = [i for i in view.children if isinstance(i, AuditButton)]
    assert button.custom_id == "audit:jane_lifts:5000"
    assert re.fullmatch(AUDIT_TEMPLATE, button.custom_id)
    assert button.item.label == "Audit anyway (up to $50.00)"


def test_plain_text_is_cut_to_discords_limit() -> None:
    assert len(text("x" * 5_000).content or "") == MAX_CONTENT


def test_render_refuses_unknown_types() -> None:
    with pytest.raises(TypeError):
        render(object())


# Errors in the user's words


def test_core_errors_are_shown_as_they_are() -> None:
    assert friendly_error(BadInput("Which niche?")) == "⚠️ Which niche?"


def test_an_x_rate_limit_says_when_it_resets_in_the_readers_time_zone() -> None:
    reset = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    message = friendly_error(XRateLimited("429 from search", reset))
    assert message == (
        "⚠️ X's rate limit is reached for now. X allows more requests "
        f"<t:{int(reset.timestamp())}:R>. Please try again then."
    )


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (BudgetExhausted("The monthly X budget is spent."), "The monthly X budget is spent."),
        (XAuthError("401 Unauthorized: token xyz"), "X refused the bot's credentials."),
        (XUnavailable("503"), "X is not answering right now."),
        (XBadQuery("400 query"), "X could not run a search for that niche."),
        (XPaymentRequired("402 credits xyz"), "X says this app's credits are used up"),
    ],
)
def test_x_errors_read_as_in_slack(err: Exception, expected: str) -> None:
    message = friendly_error(err)
    assert message.startswith("⚠️ " + expected)
    assert "xyz" not in message
    assert "401" not in message


def test_a_discord_error_is_not_blamed_on_the_user() -> None:
    class Response:
        status = 500
        reason = "Server Error"

    err = discord.HTTPException(Response(), {"message": "boom", "code": 0})  # type: ignore[arg-type]
    assert (
        friendly_error(err) == "⚠️ Discord did not accept the reply. Please try again in a moment."
    )


def test_an_unexpected_error_is_logged_and_not_shown(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        message = friendly_error(RuntimeError("secret internals"))
    assert message == "⚠️ Something went wrong on our side; the details are in the bot's log."
    assert "secret internals" not in message
    assert caplog.records[0].exc_info is not None


# Evidence, lookalikes and the split cost

SEED = XUser("77", "nadia_runs", "Nadia", 22_716, 300, 2_000)
SPLIT_COST = Cost(
    requests=9,
    posts_read=100,
    users_read=38,
    usd=1.885,
    timeline_posts=200,
    count_requests=1,
    usd_posts=0.5,
    usd_users=0.38,
    usd_timelines=1.0,
    usd_counts=0.005,
)
SPLIT_COST_LINE = (
    "X cost: 9 requests · 100 posts $0.50 · 38 users $0.38 · 200 timeline posts $1.00 · "
    "counts $0.005 = $1.89"
)


def evidence_candidate(
    i: int, *, verified: bool = True, small: bool = False, reason: str = ""
) -> Candidate:
    base = candidate(i, reason=reason or "engagement 2.1% over 20 posts (micro norm 1.0%)")
    post = Post(f"{180000 + i}", base.user.id, "Hill repeats **today**, 18 km easy", likes=120)
    return replace(
        base,
        score=78.4,
        niche_posts=5 if verified else 2,
        verified_on=20 if verified else 0,
        verified_on_niche=18 if verified else 0,
        mentioned_by=3,
        small_sample=small,
        sample_posts=(post,),
    )


def lookalike(candidates: list[Candidate], **overrides: object) -> SearchResult:
    values: dict[str, object] = {
        "niche": "running, marathon, trail",
        "query": "(running OR marathon OR trail) lang:en -is:retweet -is:reply",
        "source": "x-api",
        "results": tuple(candidates),
        "cost": SPLIT_COST,
        "left_out": (LeftOut(7, "relevance below 0.35"),),
        "niche_size": 10_382,
        "seed": SEED,
        "seed_terms": ("running", "marathon", "trail"),
        **overrides,
    }
    return SearchResult(**values)  # type: ignore[arg-type]


def test_a_lookalike_has_its_header_terms_size_left_out_and_split_cost() -> None:
    (message,) = render(lookalike([evidence_candidate(1), evidence_candidate(2)]))
    (embed,) = message.embeds
    assert embed.title == "Accounts like @nadia_runs"
    assert (embed.description or "").split("\n") == [
        "Learned from [@nadia\\_runs](https://x.com/nadia_runs): running, marathon, trail",
        "2 accounts found, best first.",
        "📊 ~10,400 posts on running, marathon, trail this week.",
        "7 accounts left out: relevance below 0.35.",
    ]
    assert embed.footer.text is not None
    assert embed.footer.text.startswith(SPLIT_COST_LINE + "\nQuery: (running OR")
    assert message.track == ("acct_1", "acct_2")


def test_a_candidate_shows_score_out_of_100_evidence_and_a_sample_post() -> None:
    (message,) = render(lookalike([evidence_candidate(1)]))
    value = message.embeds[0].fields[0].value or ""
    lines = value.split("\n")
    assert lines[0].endswith("score **78/100**")
    assert "✅ engagement 2.1% over 20 posts (micro norm 1.0%)" in lines
    assert lines[-2] == "☑️ verified on its 20 latest posts · 5 niche posts in search"
    assert lines[-1] == (
        "[x.com/acct_1](https://x.com/acct_1) · "
        "[sample post](https://x.com/i/status/180001): “Hill repeats \\*\\*today\\*\\*, 18 km easy”"
    )


def test_an_unverified_small_sample_is_flagged() -> None:
    (message,) = render(lookalike([evidence_candidate(1, verified=False, small=True)]))
    value = message.embeds[0].fields[0].value or ""
    assert value.split("\n")[0].endswith("score **78/100** · **small sample**")
    assert "❔ not verified on its timeline (judged on 2 search posts)" in value
    assert "verified on its 20" not in value


def test_a_niche_search_without_counts_or_seed_shows_neither() -> None:
    result = lookalike(
        [evidence_candidate(1)], seed=None, seed_terms=(), niche="running", niche_size=None
    )
    (message,) = render(result)
    embed = message.embeds[0]
    assert embed.title == "Influencers on X for “running”"
    assert "Learned from" not in (embed.description or "")
    assert "this week" not in (embed.description or "")


def test_an_empty_lookalike_says_what_to_try() -> None:
    (message,) = render(lookalike([], left_out=()))
    description = message.embeds[0].description or ""
    assert "Nobody in range posted like @nadia\\_runs in the last 7 days" in description
    assert "`/find-influencers niche:<niche> like:@nadia_runs`" in description
    assert message.view() is None


def test_fifty_long_evidence_rich_accounts_fit_and_keep_their_links() -> None:
    candidates = [evidence_candidate(i, reason="y" * 2_000) for i in range(50)]
    messages = render(lookalike(candidates))
    assert len(messages) > 1
    assert_within_limits(messages)
    values = [f.value or "" for m in messages for e in m.embeds for f in e.fields]
    assert len(values) == 50
    for i, value in enumerate(values):
        assert "…" in value  # the reasons were cut ...
        assert "/100**" in value
        assert f"[sample post](https://x.com/i/status/{180000 + i})" in value  # ... not the links
        assert "verified on its 20 latest posts" in value
    assert [h for m in messages for h in m.track] == [f"acct_{i}" for i in range(50)]
    last_footer = messages[-1].embeds[-1].footer.text or ""
    assert last_footer.startswith(SPLIT_COST_LINE)
    assert messages[0].embeds[0].title == "Accounts like @nadia_runs"


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(0, 50),
    text=st.text(max_size=2_000),
    terms=st.lists(st.text(min_size=1, max_size=200), max_size=20),
    reason=st.text(min_size=1, max_size=500),
)
def test_any_lookalike_fits_discords_limits(
    count: int, text: str, terms: list[str], reason: str
) -> None:
    candidates = [
        replace(
            evidence_candidate(i, reason=reason),
            sample_posts=(Post(str(i), str(i), text),),
        )
        for i in range(count)
    ]
    result = lookalike(
        candidates,
        seed_terms=tuple(terms),
        left_out=tuple(LeftOut(i, reason) for i in range(5)),
        stopped_early="x" * 3_000,
    )
    messages = render(result)
    assert_within_limits(messages)
    assert len(field_names(messages)) == count


def test_help_names_the_budget_meter_xs_spending_cap_and_lookalikes() -> None:
    (message,) = render(HelpView())
    embed = message.embeds[0]
    footer = embed.footer.text or ""
    assert "X_MONTHLY_BUDGET_USD in a calendar month" in footer
    assert "answers 402, and the search stops at once" in footer
    find = embed.fields[0].value or ""
    assert "• `like`: Find accounts like this X account" in find
    assert "e.g. `/find-influencers like:@jane_lifts`" in find
    assert_within_limits([message])
