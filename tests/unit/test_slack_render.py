"""Block Kit rendering: Slack's limits hold for any result, and X text stays inert."""

from __future__ import annotations

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
    paginate,
    render,
    render_digest,
    render_help,
    render_search,
    search_command_text,
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
    assert "tier:nano" in str(message.blocks)
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
            for n in range(0, 120):
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
    assert "Cost: 2 requests, 0 posts read, 201 users read, ≈ $2.01" in text
    assert "monthly budget left $40.00" in text
    assert "Sample data" not in text
    assert "Partial" not in text
    assert "today's audit" not in text
    assert message.text.startswith("Follower audit of @jane_lifts: 11.5% likely fake")
    assert "$2.01" in message.text
    assert "<!channel>" not in str(message.blocks)


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
