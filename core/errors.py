"""Core error types. Adapters map them to friendly messages in one place each."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

log = logging.getLogger(__name__)


class ScoutError(Exception):
    """Base of every error a user may see. `str(err)` is safe to show."""


class BadInput(ScoutError):
    """The user typed something we cannot use (bad niche, option, handle)."""


class UnknownHandle(BadInput):
    """One or more handles do not exist on X (or in the sample)."""

    def __init__(self, handles: list[str] | tuple[str, ...]) -> None:
        self.handles = tuple(handles)
        shown = ", ".join(f"@{h}" for h in self.handles)
        super().__init__(f"No X account found for {shown}.")


class XApiError(ScoutError):
    """X answered with an error we could not work around."""


class XAuthError(XApiError):
    """401/403: the bearer token is wrong, revoked, or lacks access to the endpoint."""


class XRateLimited(XApiError):
    """429: the endpoint's rate limit is spent until `reset_at`."""

    def __init__(self, message: str, reset_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class XUnavailable(XApiError):
    """5xx or network failure that survived our retries."""


class XBadQuery(XApiError):
    """400 on a search query: X rejected the query we built."""


class XOperatorRejected(XBadQuery):
    """400 naming a search operator this app may not use (e.g. `min_likes`)."""

    def __init__(self, message: str, operator: str) -> None:
        super().__init__(message)
        self.operator = operator


class XPaymentRequired(XApiError):
    """402: the X app's credits are used up or its spending cap is reached. Never retried."""


class BudgetExhausted(ScoutError):
    """The monthly X budget cannot pay for even one more request."""


class NotAllowed(ScoutError):
    """The caller may not do this here (e.g. change settings without being an admin)."""


class DeliveryError(ScoutError):
    """A chat platform did not accept a message."""


class DeliveryRetryLater(DeliveryError):
    """Rate limited or temporarily failing: try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelGone(DeliveryError):
    """The bot was removed from the channel (or it no longer exists): pause, don't retry."""


class DeliveryRejected(DeliveryError):
    """The platform refused the message for good (bad payload, no permission)."""


def _after_utc(moment: datetime) -> str:
    return f"after {moment:%H:%M} UTC"


def user_message(err: ScoutError, when: Callable[[datetime], str] = _after_utc) -> str:
    """The words every front end shows for a core error: what went wrong, what to do.

    Never X's raw error body or anything secret; the details go to the log. `when`
    renders a time in the platform's way (Discord has relative timestamps).
    """
    match err:
        case XRateLimited(reset_at=reset_at):
            log.warning("X rate limit reached: %s", err)
            later = f" X allows more requests {when(reset_at)}." if reset_at else ""
            return f"X's rate limit is reached for now.{later} Please try again then."
        case XAuthError():
            log.error("X refused the bot's credentials: %s", err)
            return (
                "X refused the bot's credentials. Ask whoever runs the bot to check "
                "its X bearer token."
            )
        case XBadQuery():
            log.warning("X rejected a query: %s", err)
            return "X could not run a search for that niche. Try other words."
        case XPaymentRequired():
            log.error("X refused to bill the app any further (402): %s", err)
            return (
                "X says this app's credits are used up or its spending cap is reached (402). "
                "Nothing more was read; add credits or raise the cap in the X developer console."
            )
        case XUnavailable():
            log.warning("X unavailable: %s", err)
            return "X is not answering right now. Please try again in a few minutes."
        case XApiError():
            log.warning("X error: %s", err)
            return "X answered with an error. Please try again later."
    # BadInput (unknown handles, hostile niches), BudgetExhausted and the rest are
    # written for users already.
    return str(err)
