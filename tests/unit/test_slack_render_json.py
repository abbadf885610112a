"""The exact JSON Slack receives for a few replies (pinned before Block Kit went typed).

Blocks are built with `slack_sdk.models.blocks`; these keep a slack_sdk upgrade from
adding, renaming or dropping a key without notice.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.render import render, render_error, render_search
from core.models import (
    AuditNeedsConfirmation,
    Candidate,
    Cost,
    Reason,
    ReasonKind,
    SearchRequest,
    SearchResult,
    Tier,
    XUser,
)


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def button(text: str, action_id: str, value: str, **style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
        **style,
    }


def test_a_shared_search_is_header_candidate_with_track_context_and_post_button() -> None:
    candidate = Candidate(
        user=XUser("1000", "user_00", "Person 0", 12_000, 300, 900),
        tier=Tier.MICRO,
        engagement_rate=0.0321,
        relevance=0.8,
        suspicion=0.1,
        score=70.0,
        reasons=(
            Reason(ReasonKind.SUSPICION, "few posts"),
            Reason(ReasonKind.STRENGTH, "on topic"),
        ),
    )
    result = SearchResult(
        niche="fitness",
        query="fitness lang:en",
        source="x-api",
        results=(candidate,),
        cost=Cost(3, 300, 120, 2.7),
    )
    (message,) = render_search(result, share=SearchRequest("fitness"))
    assert message.payload() == {
        "text": "1 influencers for “fitness”: @user_00",
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": "Influencers for “fitness” · 1 found",
                    "emoji": True,
                },
            },
            {
                "type": "section",
                "text": mrkdwn(
                    "*1. <https://x.com/user_00|@user_00>* · Person 0 · *70/100*\n"
                    "*12K* followers · micro · engagement *3.21%* · relevance *0.80*\n"
                    ":white_check_mark: on topic\n"
                    ":mag: Check: few posts"
                ),
                "accessory": button("Track", "track:user_00", "user_00"),
            },
            {
                "type": "context",
                "elements": [
                    mrkdwn("Query: `fitness lang:en`"),
                    mrkdwn("X cost: 3 requests · 300 posts · 120 users = *$2.70*"),
                ],
            },
            {
                "type": "actions",
                "elements": [
                    button(
                        "Post to channel",
                        "post_to_channel",
                        "fitness tier:micro lang:en limit:10",
                        style="primary",
                    )
                ],
            },
        ],
    }


def test_a_costly_audit_asks_with_a_danger_button() -> None:
    (message,) = render(AuditNeedsConfirmation("jane_lifts", 5_000, 50.0, 2.5))
    assert message.payload() == {
        "text": (
            "Auditing 5,000 followers of @jane_lifts may cost up to $50.00 in X reads "
            "(more than $2.50). Press Audit anyway to go ahead."
        ),
        "blocks": [
            {
                "type": "section",
                "text": mrkdwn(
                    ":warning: Auditing the *5,000* most recent followers of "
                    "<https://x.com/jane_lifts|@jane_lifts> may cost up to *$50.00* in X reads, "
                    "more than the $2.50 that needs no confirmation. Nothing was read yet."
                ),
            },
            {
                "type": "actions",
                "elements": [
                    button(
                        "Audit anyway (up to $50.00)",
                        "audit_anyway",
                        "jane_lifts:5000",
                        style="danger",
                    )
                ],
            },
            {
                "type": "context",
                "elements": [mrkdwn("Or type `/audit @jane_lifts sample:5000 confirm`.")],
            },
        ],
    }


def test_an_error_is_one_escaped_section() -> None:
    assert render_error("Something <!channel> & broke").payload() == {
        "text": "Something <!channel> & broke",
        "blocks": [
            {
                "type": "section",
                "text": mrkdwn(":warning: Something &lt;!channel&gt; &amp; broke"),
            }
        ],
    }
