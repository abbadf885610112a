"""Core error types. Adapters map them to friendly messages in one place each."""

from __future__ import annotations

from datetime import datetime


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


class BudgetExhausted(ScoutError):
    """The monthly X budget cannot pay for even one more request."""


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
