"""The one place where failures become words for Slack users, or delivery errors.

Users see what went wrong and what to do about it; never a stack trace, a token or
X's raw error body. Unexpected failures are logged (with their traceback) for the
operator instead.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from core.errors import (
    ChannelGone,
    DeliveryError,
    DeliveryRejected,
    DeliveryRetryLater,
    ScoutError,
    user_message,
)

log = logging.getLogger(__name__)

# chat.postMessage errors that mean "this channel will not take messages from us again".
GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
        "not_authed",
        "team_not_found",
        "team_access_not_granted",
    }
)


def slack_error_code(err: SlackApiError) -> str:
    """Slack's error code (`channel_not_found`), or the HTTP status when there is none."""
    response = err.response
    data = response.data if response is not None else None
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(response, "status_code", None)
    return f"http_{status}" if status else "unknown_error"


def friendly_error(err: BaseException) -> str:
    """What to tell the user about `err`, in their words."""
    match err:
        case ScoutError():
            return user_message(err)
        case SlackApiError():
            code = slack_error_code(err)
            log.warning("Slack refused a call: %s", code)
            if code in ("not_in_channel", "channel_not_found"):
                return "I can't post in this channel. Invite me first: `/invite @Influencer Scout`."
            return f"Slack did not accept the message ({code})."
    log.error("command failed", exc_info=err)
    return "Something went wrong on our side; the details are in the bot's log."


def delivery_error(err: SlackApiError) -> DeliveryError:
    """A failed `chat.postMessage` as the core's delivery error, for the scheduler."""
    code = slack_error_code(err)
    response = err.response
    status = getattr(response, "status_code", None)
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        return DeliveryRetryLater(
            "Slack rate limit reached", retry_after=_retry_after(headers.get("Retry-After"))
        )
    if code in GONE_ERRORS:
        return ChannelGone(f"Slack says {code}")
    if isinstance(status, int) and status >= 500:
        return DeliveryRetryLater(f"Slack answered {status}", retry_after=5.0)
    if code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
        return DeliveryRetryLater(f"Slack says {code}", retry_after=5.0)
    return DeliveryRejected(f"Slack says {code}")


def _retry_after(value: object) -> float:
    if isinstance(value, list):  # slack_sdk keeps each header as a list of values
        value = value[0] if value else None
    try:
        return max(0.0, float(str(value)))
    except ValueError:
        return 1.0
