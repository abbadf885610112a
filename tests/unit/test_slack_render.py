"""Block Kit rendering: Slack's limits hold for any result, and X text stays inert."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time
from typing import Any

import pytest

from adapters.slack.render import (
    AUDIT_ACTION,
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_SECTION_CHARS,
    SHARE_ACTION,
    TRACK_ACTION,
    SlackMessage,
    audit_button_value,
    escape,
    header,
    paginate,
    render,
    render_digest,
    render_help,
    render_progress,
    render_search,
    search_command_text,
    search_cost_text,
)
from core.commands import COMMANDS, FindInfluencers, parse_command
from core.models import (
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
    SearchRequest,
    SearchResult,
    Tier,
    WatchChange,
    WatchEntry,
    WatchlistView,
    XUser,
)

SCOPE = Scope("slack", "T1", "C1")


def candidate(i: int, *, long: bool = False) -> Candidate:
    name = ("Very Long Display Name <!here> & friends " * 3)[:50] if long else f"Person {i}"
    reasons = tuple(
        Reason(ReasonKind.STRENGTH if r % 2 else ReasonKind.SUSPICION, f"reason {r} " * 40)
        for r in range(12 if long else 2)
    )
    return Candidate(
        user=XUser(f"{1000 + i}", f"user_{i:02d}", name, 12_000 + i, 300, 900),
        tier=Tier.MICRO,
        engagement_rate=0.0321,
        relevance=0.8,
        suspicion=0.1,
        score=70.0 - i,
        reasons=reasons,
    )


def result(n: int, *, long: bool = False, source: str = "x-api") -> SearchResult:
    return SearchResult(
        niche="fitness",
        query="(fitness OR #fitness) lang:en -is:retweet -is:reply",
        source=source,
        results=tuple(candidate(i, long=long) for i in range(n)),
        cost=Cost(3, 300, 120, 2.7),
        stopped_early="stopped after 2 page(s): X is slow",
        budget_left_usd=22.3,
    )


def sections(messages: list[SlackMessage]) -> list[dict[str, Any]]:
    return [b for m in messages for b in m.blocks if b["type"] == "section"]


def check_limits(messages: list[SlackMessage]) -> None:
    assert 1 <= len(messages) <= 4  # a slash command's response_url takes 5 posts
    for m in messages:
        assert m.text.strip()
        assert len(m.blocks) <= MAX_BLOCKS
        action_ids = []
        for b in m.blocks:
            if b["type"] == "section":
                assert len(b["text"]["text"]) <= MAX_SECTION_CHARS
                if "accessory" in b:
                    action_ids.append(b["accessory"]["action_id"])
            if b["type"] == "header":
                assert len(b["text"]["text"]) <= MAX_HEADER_CHARS
            if b["type"] == "actions":
                action_ids += [e["action_id"] for e in b["elements"]]
        assert len(action_ids) == len(set(action_ids)), "action ids must be unique"


@pytest.mark.parametrize("long", [False, True])
def test_fifty_results_fit_slacks_limits_and_all_get_a_track_button(long: bool) -> None:
    request = SearchRequest("fitness", limit=50)
    messages = render_search(result(50, long=long), share=request)

    check_limits(messages)
    tracked = [b["accessory"]["value"] for b in sections(messages) if "accessory" in b]
    assert tracked == [f"user_{i:02d}" for i in range(50)]
    assert messages[0].blocks[0]["type"] == "header"
    last = messages[-1].blocks
    assert last[-1]["type"] == "actions"
    assert last[-1]["elements"][0]["action_id"] == SHARE_ACTION
    assert any("Query:" in e["text"] for b in last if b["type"] == "context" for e in b["elements"])


@pytest.mark.parametrize("n", [0, 1, 10, 45, 46, 47, 48, 49, 50])
def test_every_result_size_fits(n: int) -> None:
    messages = render_search(result(n, source="sample"), share=SearchRequest("fitness"))
    check_limits(messages)
    assert len([b for b in sections(messages) if "accessory" in b]) == n


def test_candidate_shows_handle_name_numbers_reasons_and_track() -> None:
    (message,) = render_search(result(1))
    block = next(b for b in message.blocks if b["type"] == "section")
    text = block["text"]["text"]
    assert "<https://x.com/user_00|@user_00>" in text
    assert "Person 0" in text
    assert "12K" in text
    assert "micro" in text
    assert "3.21%" in text
    assert "0.80" in text
    assert "reason 1" in text
    assert "Check: reason 0" in text
    assert block["accessory"]["text"]["text"] == "Track"
    assert block["accessory"]["action_id"] == f"{TRACK_ACTION}:user_00"
    assert block["accessory"]["value"] == "user_00"


def test_x_text_cannot_ping_or_forge_links() -> None:
    (message, *_) = render_search(result(1, long=True))
    text = next(b for b in message.blocks if b["type"] == "section")["text"]["text"]
    assert "<!here>" not in text
    assert "&lt;!here&gt; &amp; friends" in text
    assert escape("<@U1|x> & <http://evil|ok>") == "&lt;@U1|x&gt; &amp; &lt;http://evil|ok&gt;"


def test_private_answer_has_post_to_channel_and_shared_answer_does_not() -> None:
    private = render_search(result(2), share=SearchRequest("fitness"))
    shared = render_search(result(2), shared_by="U7")
    assert any(b["type"] == "actions" for b in private[-1].blocks)
    assert not any(b["type"] == "actions" for b in shared[-1].blocks)
    assert "Shared by <@U7>" in str(shared[0].blocks)


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest("fitness"),
        SearchRequest("home workout", tier=None, min_followers=5_000, max_followers=80_000),
        SearchRequest("fitness) OR (from:nasa", tier=Tier.NANO, lang="any", limit=50),
    ],
)
def test_share_button_value_parses_back_to_the_same_search(request_: SearchRequest) -> None:
    command = parse_command("find-influencers", search_command_text(request_))
    assert command == FindInfluencers(request_)


def test_empty_result_says_what_to_try() -> None:
    (message,) = render_search(result(0))
    assert "`tier:any`" in str(message.blocks)
    assert message.text.startswith("0 influencers")


def test_sample_results_are_labelled() -> None:
    (message,) = render_search(result(1, source="sample"))
    assert "Sample data" in str(message.blocks)
    assert "sample data" in message.text


def test_digest_is_always_one_message_within_limits() -> None:
    many = tuple(candidate(i) for i in range(60))
    (message,) = render_digest(Digest(SCOPE, "fitness", many, "x-api", Cost()))
    check_limits([message])
    assert "…and" in str(message.blocks)


def test_paginate_never_exceeds_the_block_limit() -> None:
    for head in range(1, 4):
        for tail in range(1, 4):
            for n in range(120):
                pages = paginate([{}] * head, [{"i": i} for i in range(n)], [{}] * tail)
                assert all(len(p) <= MAX_BLOCKS for p in pages)
                assert sum(len(p) for p in pages) == head + n + tail


def test_help_shows_every_command_and_option() -> None:
    (message,) = render_help(HelpView())
    text = str(message.blocks)
    for spec in COMMANDS:
        assert spec.usage in text
        for opt in spec.options:
            assert f"`{opt.name}:`" in text


def audit(**overrides: object) -> AuditResult:
    values: dict[str, object] = {
        "user_id": "1",
        "handle": "jane_lifts",
        "name": "Jane <!channel>",
        "followers": 24_300,
        "requested_sample": 200,
        "sample_size": 200,
        "fake_count": 23,
        "fake_share": 0.115,
        "ci_low": 0.078,
        "ci_high": 0.166,
        "mean_probability": 0.2,
        "top_reasons": (
            ReasonCount("default_avatar", "default avatar", 17),
            ReasonCount("odd", "<@U1> & friends", 1),
        ),
        "cost": Cost(2, 0, 201, 2.01),
        "source": "x-api",
        "observed_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "budget_left_usd": 40.0,
        **overrides,
    }
    return AuditResult(**values)  # type: ignore[arg-type]


def texts(message: SlackMessage) -> str:
    parts = []
    for b in message.blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        parts += [e.get("text", "") for e in b.get("elements", []) if e["type"] == "mrkdwn"]
    return "\n".join(parts)


def test_an_audit_shows_the_estimate_interval_signs_and_cost() -> None:
    (message,) = render(audit())
    text = texts(message)
    assert message.blocks[0]["text"]["text"] == "Follower audit of @jane_lifts"
    assert "*<https://x.com/jane_lifts|@jane_lifts>* · Jane &lt;!channel&gt;" in text
    assert "*24.3K* followers" in text
    assert "Likely fake: *23* of the 200 most recent followers = *11.5%*" in text
    assert "(95% interval 7.8%–16.6%)" in text
    assert "• default avatar: 17 followers" in text
    assert "• &lt;@U1&gt; &amp; friends: 1 follower\n" in text  # escaped, singular
    assert "not a verdict" in text
    assert "X cost: 2 requests · 201 users = *$2.01*" in text
    assert "monthly budget left $40.00" in text
    assert "Sample data" not in text
    assert "Partial" not in text
    assert "today's audit" not in text
    assert message.text.startswith("Follower audit of @jane_lifts: 11.5% likely fake")
    assert "$2.01" in message.text
    assert "<!channel>" not in str(message.blocks)


def test_an_audit_says_how_sure_it_is() -> None:
    (message,) = render(
        audit(
            share_low=0.052,
            share_high=0.221,
            people_flagged=(0.006, 0.02),
            fakes_caught=(0.73, 0.985),
        )
    )
    text = texts(message)
    assert "Allowing for the model's own error: *5.2%–22.1%* of them are likely fake." in text
    assert (
        "Likely fake = a fake probability of 50% or more. At that line the model flags about "
        "1 real person in 50 on accounts unlike the ones it learned from (1 in 170 on "
        "accounts like them) and "
        "catches 73%–98% of bought followers. People who rarely post are flagged more often."
        in text
    )


def test_an_audit_stored_before_the_model_error_was_kept_says_only_its_threshold() -> None:
    (message,) = render(audit())
    text = texts(message)
    assert "model's own error" not in text
    assert "Likely fake = a fake probability of 50% or more." in text


def test_a_sample_partial_or_repeated_audit_says_so() -> None:
    (message,) = render(
        audit(source="sample", partial="stopped after 1 page(s)", from_cache=True, cost=Cost())
    )
    text = texts(message)
    assert "Sample data" in text
    assert "What this would cost on X: 0 requests" in text
    assert ":hourglass: Partial: stopped after 1 page(s)." in text
    assert "Served from today's audit: no followers were read again." in text


def test_an_audit_of_nobody_says_so() -> None:
    (message,) = render(audit(sample_size=0, fake_count=0, fake_share=0.0, top_reasons=()))
    assert "X returned no followers to check." in texts(message)
    assert "Most common signs" not in texts(message)
    assert "no followers to check" in message.text


def test_a_costly_audit_asks_first_with_an_audit_anyway_button() -> None:
    ask = AuditNeedsConfirmation("jane_lifts", 5_000, 50.0, 2.5, "1", 24_300)
    (message,) = render(ask)
    text = texts(message)
    assert "may cost up to *$50.00*" in text
    assert "more than the $2.50" in text
    assert "24.3K in all" in text
    (actions,) = [b for b in message.blocks if b["type"] == "actions"]
    (button,) = actions["elements"]
    assert button["action_id"] == AUDIT_ACTION
    assert button["value"] == audit_button_value(ask) == "jane_lifts:5000"
    assert button["text"]["text"] == "Audit anyway (up to $50.00)"
    assert button["style"] == "danger"
    assert "/audit @jane_lifts sample:5000 confirm" in text
    assert "$50.00" in message.text


def test_the_watchlist_shows_each_accounts_last_audit() -> None:
    audited = WatchEntry("1", "jane_lifts", "Jane", 24_300, Tier.MICRO, last_audit=audit().summary)
    never = WatchEntry("2", "dara", "Dara", 12_000, Tier.MICRO)
    (message,) = render(WatchlistView(SCOPE, (audited, never)))
    jane, dara = texts(message).split("\n")[1:3]
    assert "last audit *11.5%* likely fake (95% 7.8%–16.6%) on <!date^" in jane
    assert "|2026-03-02>" in jane
    assert "last audit" not in dara
    # an audit that kept its range with the model's error shows that range instead
    kept = audit(share_low=0.052, share_high=0.221).summary
    (message,) = render(WatchlistView(SCOPE, (dataclasses.replace(audited, last_audit=kept),)))
    line = texts(message).split("\n")[1]
    assert "last audit *11.5%* likely fake (5.2%–22.1% allowing for the model's error)" in line


@pytest.mark.parametrize(
    "reply",
    [
        audit(),
        audit(top_reasons=tuple(ReasonCount(f"c{i}", "x" * 300, i) for i in range(20))),
        AuditNeedsConfirmation("jane_lifts", 5_000, 50.0, 2.5),
        WatchlistView(
            SCOPE,
            tuple(
                WatchEntry(str(i), f"acct_{i}", "N" * 50, 12_345, Tier.MICRO, None, audit().summary)
                for i in range(900)
            ),
        ),
        WatchChange(added=("a",), already=("b",), not_found=("c",), cost=Cost(1, 0, 2, 0.02)),
        WatchChange(removed=("a",), not_found=("z",)),
        WatchlistView(SCOPE, ()),
        WatchlistView(
            SCOPE,
            tuple(
                WatchEntry(str(i), f"acct_{i}", "N" * 50, 12_345, Tier.MICRO) for i in range(900)
            ),
        ),
        DigestSubscriptionsView(
            SCOPE,
            (DigestSubscription(1, SCOPE, "fitness", 0, time(9, 0), "Europe/Berlin"),),
            "Subscribed.",
        ),
        DigestSubscriptionsView(SCOPE, ()),
        HelpView("watchlist"),
    ],
)
def test_every_reply_renders_within_limits(reply: object) -> None:
    check_limits(render(reply))


def test_a_huge_watchlist_says_how_many_more() -> None:
    entries = tuple(WatchEntry(str(i), f"acct_{i}", "N" * 50, 1, None) for i in range(2_000))
    (message,) = render(WatchlistView(SCOPE, entries))
    assert "more." in str(message.blocks[-2])


def test_unknown_reply_types_are_refused() -> None:
    with pytest.raises(TypeError):
        render(object())


# --- evidence, lookalikes and the split cost -----------------------------------------

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
SPLIT_COST_TEXT = (
    "X cost: 9 requests · 100 posts $0.50 · 38 users $0.38 · 200 timeline posts $1.00 · "
    "counts $0.005 = *$1.89*"
)


def evidence_candidate(
    i: int, *, verified: bool = True, small: bool = False, long: bool = False
) -> Candidate:
    user = XUser(f"{2000 + i}", f"runner_{i:02d}", f"Runner {i}", 24_000 + i, 300, 900)
    reasons = (
        Reason(ReasonKind.STRENGTH, "engagement 2.1% over 20 posts (micro norm 1.0%)"),
        Reason(ReasonKind.STRENGTH, "18 of 20 latest posts on running"),
        Reason(ReasonKind.STRENGTH, f"3 niche accounts mention @{user.username}"),
        *(Reason(ReasonKind.STRENGTH, "long " * 200) for _ in range(6 if long else 0)),
    )
    post = Post(
        f"{180000 + i}",
        user.id,
        "Long run <!here> & hill repeats today, 18 km at easy pace " + ("x" * 400 if long else ""),
        likes=120,
        reposts=4,
        replies=9,
    )
    return Candidate(
        user=user,
        tier=Tier.MICRO,
        engagement_rate=0.021,
        relevance=0.9,
        suspicion=0.05,
        score=78.4 - i / 10,
        reasons=reasons,
        sampled_posts=20 if verified else 2,
        niche_posts=5 if verified else 2,
        verified_on=20 if verified else 0,
        verified_on_niche=18 if verified else 0,
        mentioned_by=3,
        small_sample=small,
        sample_posts=(post,),
    )


def lookalike(n: int, **overrides: object) -> SearchResult:
    values: dict[str, object] = {
        "niche": "running, marathon, trail",
        "query": "(running OR marathon OR trail) lang:en -is:retweet -is:reply",
        "source": "x-api",
        "results": tuple(evidence_candidate(i) for i in range(n)),
        "cost": SPLIT_COST,
        "left_out": (LeftOut(7, "relevance below 0.35"),),
        "niche_size": 10_382,
        "seed": SEED,
        "seed_terms": ("running", "marathon", "trail"),
        "budget_left_usd": 20.0,
        **overrides,
    }
    return SearchResult(**values)  # type: ignore[arg-type]


def first_section(message: SlackMessage) -> str:
    return str(next(b for b in message.blocks if b["type"] == "section")["text"]["text"])


def test_a_candidate_shows_its_score_evidence_and_a_sample_post() -> None:
    (message,) = render_search(lookalike(1))
    text = first_section(message)
    lines = text.split("\n")
    assert lines[0] == "*1. <https://x.com/runner_00|@runner_00>* · Runner 0 · *78/100*"
    assert "engagement 2.1% over 20 posts (micro norm 1.0%)" in text
    assert "18 of 20 latest posts on running" in text
    assert "3 niche accounts mention @runner_00" in text
    assert ":ballot_box_with_check: Verified on its 20 latest posts · 5 niche posts in search" in (
        lines
    )
    assert lines[-1] == (
        "<https://x.com/i/status/180000|Sample post>: "
        "“Long run &lt;!here&gt; &amp; hill repeats today, 18 km at easy pace”"
    )
    assert "small sample" not in text


def test_an_unverified_small_sample_says_so() -> None:
    result = lookalike(0, results=(evidence_candidate(0, verified=False, small=True),))
    text = first_section(render_search(result)[0])
    assert text.split("\n")[0].endswith("*78/100* · _small sample_")
    assert ":grey_question: Not verified on its timeline (judged on 2 search posts)" in text
    assert "Verified on its" not in text


def test_a_lookalike_has_its_header_seed_terms_size_left_out_and_split_cost() -> None:
    (message,) = render_search(lookalike(2))
    assert message.blocks[0] == header("Accounts like @nadia_runs · 2 found")
    every = texts(message)
    assert "Learned from <https://x.com/nadia_runs|@nadia_runs>: running, marathon, trail" in every
    assert ":bar_chart: ~10,400 posts on running, marathon, trail this week" in every
    assert "7 accounts left out: relevance below 0.35" in every
    assert SPLIT_COST_TEXT + " · monthly budget left $20.00" in every
    assert message.text == "2 accounts like @nadia_runs: @runner_00, @runner_01"


def test_a_niche_search_keeps_its_header_and_shows_what_it_knows() -> None:
    result = lookalike(1, seed=None, seed_terms=(), niche="running", niche_size=None)
    (message,) = render_search(result)
    assert message.blocks[0] == header("Influencers for “running” · 1 found")
    every = texts(message)
    assert "Learned from" not in every
    assert "this week" not in every  # the size was not counted
    assert "7 accounts left out" in every


@pytest.mark.parametrize(
    ("left_out", "line"),
    [
        ((LeftOut(1, "relevance below 0.35"),), "1 account left out: relevance below 0.35"),
        (
            (LeftOut(3, "relevance below 0.35"), LeftOut(2, "protected <!channel>")),
            "3 accounts left out: relevance below 0.35 · 2 accounts left out: "
            "protected &lt;!channel&gt;",
        ),
    ],
)
def test_the_left_out_line_counts_and_escapes(left_out: tuple[LeftOut, ...], line: str) -> None:
    (message,) = render_search(lookalike(1, left_out=left_out))
    assert line in texts(message)


@pytest.mark.parametrize(
    ("cost", "shown"),
    [
        (SPLIT_COST, SPLIT_COST_TEXT),
        (Cost(3, 300, 120, 2.7), "X cost: 3 requests · 300 posts · 120 users = *$2.70*"),
        (Cost(), "X cost: 0 requests = *$0.00*"),
        (
            Cost(1, 0, 1, 0.01, usd_users=0.01),
            "X cost: 1 request · 1 user $0.01 = *$0.01*",
        ),
        (
            Cost(2, 0, 0, 0.01, count_requests=2, usd_counts=0.01),
            "X cost: 2 requests · 2 counts $0.01 = *$0.01*",
        ),
    ],
)
def test_the_cost_is_split_by_what_was_paid_for(cost: Cost, shown: str) -> None:
    assert search_cost_text(cost) == shown


def test_sample_and_cached_costs_say_so() -> None:
    text = search_cost_text(SPLIT_COST, sample=True, from_cache=True)
    assert text.startswith("What this would cost on X: 9 requests · 100 posts $0.50")
    assert text.endswith("= *$1.89* (served from today's cache)")


def test_an_empty_lookalike_says_what_to_try() -> None:
    (message,) = render_search(lookalike(0, left_out=()))
    text = first_section(message)
    assert "Nobody in range posted like @nadia_runs in the last 7 days" in text
    assert "`tier:any`" in text
    assert "`/find-influencers &lt;niche&gt; like:@nadia_runs`" in text
    assert "<niche>" not in str(message.blocks)
    assert message.text == "0 accounts like @nadia_runs"


@pytest.mark.parametrize("long", [False, True])
def test_fifty_evidence_rich_candidates_fit_and_keep_their_links(long: bool) -> None:
    result = lookalike(0, results=tuple(evidence_candidate(i, long=long) for i in range(50)))
    messages = render_search(result, share=SearchRequest("", like="nadia_runs", limit=50))
    check_limits(messages)
    blocks = [b for m in messages for b in m.blocks]
    candidates = [b for b in blocks if b["type"] == "section" and "accessory" in b]
    assert len(candidates) == 50
    for i, block in enumerate(candidates):
        text = block["text"]["text"]
        assert f"|@runner_{i:02d}>*" in text
        assert "/100*" in text
        assert f"<https://x.com/i/status/{180000 + i}|Sample post>" in text  # never cut
        assert "Verified on its 20 latest posts" in text
    assert sum("Accounts like @nadia_runs" in str(m.blocks[0]) for m in messages) == 1
    assert SPLIT_COST_TEXT in texts(messages[-1])
    assert "7 accounts left out" in texts(messages[-1])


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest("", like="nadia_runs"),
        SearchRequest("trail running", tier=None, like="Nadia_Runs", limit=3),
    ],
)
def test_a_lookalike_share_button_runs_the_same_lookalike(request_: SearchRequest) -> None:
    value = search_command_text(request_)
    assert f"like:@{request_.like}" in value
    assert parse_command("find-influencers", value) == FindInfluencers(request_)


def test_the_progress_message_of_a_lookalike_names_the_seed() -> None:
    assert render_progress("", like="nadia_runs").text.startswith(
        "Looking on X for accounts like @nadia_runs…"
    )
    assert render_progress("fitness").text.startswith("Searching X for “fitness”…")


def test_help_names_the_budget_meter_xs_spending_cap_and_lookalikes() -> None:
    (message,) = render_help(HelpView())
    text = texts(message)
    assert "*What it costs*" in text
    assert "`X_MONTHLY_BUDGET_USD` in a calendar month" in text
    assert "answers 402, and the search stops at once" in text
    assert "`/find-influencers like:@jane_lifts`" in text
    assert "like:@handle finds accounts like that one" in text
    check_limits([message])
