"""Block Kit rendering: Slack's limits hold for any result, and X text stays inert."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from adapters.slack.render import (
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_SECTION_CHARS,
    SHARE_ACTION,
    TRACK_ACTION,
    SlackMessage,
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
    Candidate,
    Cost,
    Digest,
    DigestSubscription,
    DigestSubscriptionsView,
    HelpView,
    Reason,
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


@pytest.mark.parametrize(
    "reply",
    [
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
