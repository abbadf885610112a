"""The words users see for core errors, shared by every front end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import (
    BadInput,
    BudgetExhausted,
    ScoutError,
    UnknownHandle,
    XApiError,
    XAuthError,
    XBadQuery,
    XOperatorRejected,
    XPaymentRequired,
    XRateLimited,
    XUnavailable,
    user_message,
)

RESET = datetime(2026, 11, 16, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (XRateLimited("429 body with secret", RESET), "X allows more requests after 14:05 UTC"),
        (XRateLimited("429", None), "rate limit is reached for now. Please try again"),
        (XAuthError("401: Bearer abc"), "check its X bearer token"),
        (XBadQuery("400: raw X body"), "Try other words"),
        (XUnavailable("503 raw"), "not answering right now"),
        (XApiError("402 raw X body"), "answered with an error"),
        (
            XPaymentRequired("402 Payment Required: raw X body"),
            "credits are used up or its spending cap is reached (402)",
        ),
        (XOperatorRejected("400 min_likes raw", "min_likes"), "Try other words"),
        (BudgetExhausted("The monthly X budget is spent"), "monthly X budget is spent"),
        (UnknownHandle(["ghost"]), "No X account found for @ghost"),
        (BadInput("Unknown tier 'huge'."), "Unknown tier"),
        (ScoutError("Weekly digests are not enabled on this bot."), "not enabled"),
    ],
)
def test_each_error_has_its_words(err: ScoutError, words: str) -> None:
    message = user_message(err)
    assert words in message
    if isinstance(err, XApiError):
        # X's raw answer (which may quote what we sent) never reaches the user.
        assert str(err) not in message


def test_platforms_render_the_reset_time_their_way() -> None:
    message = user_message(XRateLimited("429", RESET), lambda t: f"<t:{int(t.timestamp())}:R>")
    assert f"<t:{int(RESET.timestamp())}:R>" in message


def test_a_402_says_what_to_do_and_that_nothing_more_was_read() -> None:
    message = user_message(XPaymentRequired("402 {'title': 'CreditsDepleted'} Bearer abc"))
    assert message == (
        "X says this app's credits are used up or its spending cap is reached (402). "
        "Nothing more was read; add credits or raise the cap in the X developer console."
    )
