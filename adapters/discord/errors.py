"""The one place where failures become words for a Discord user.

Same words as Slack for the core's errors (what went wrong, what to do; never a stack
trace, a token or X's raw error body); Discord's own errors (a stale command, a bad
option value) are added here. Unexpected failures are logged for the operator instead.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from core.errors import (
    BadInput,
    BudgetExhausted,
    ScoutError,
    XApiError,
    XAuthError,
    XBadQuery,
    XRateLimited,
    XUnavailable,
)

log = logging.getLogger(__name__)

WARNING = "⚠️ "


def friendly_error(err: BaseException) -> str:
    """What to tell the user about `err`, in their words (at most 2,000 characters)."""
    if isinstance(err, app_commands.CommandInvokeError):
        err = err.original
    return (WARNING + _words(err))[:2000]


def _words(err: BaseException) -> str:
    match err:
        case XRateLimited(reset_at=reset_at):
            # Discord shows <t:…:R> as "in 4 minutes", in the reader's own time zone.
            when = f" X allows more requests <t:{int(reset_at.timestamp())}:R>." if reset_at else ""
            log.warning("X rate limit reached: %s", err)
            return f"X's rate limit is reached for now.{when} Please try again then."
        case BudgetExhausted():
            return str(err)
        case BadInput():  # includes unknown handles and hostile niches
            return str(err)
        case XAuthError():
            log.error("X refused the bot's credentials: %s", err)
            return (
                "X refused the bot's credentials. Ask whoever runs the bot to check "
                "its X bearer token."
            )
        case XBadQuery():
            log.warning("X rejected a query: %s", err)
            return "X could not run a search for that niche. Try other words."
        case XUnavailable():
            log.warning("X unavailable: %s", err)
            return "X is not answering right now. Please try again in a few minutes."
        case XApiError():
            log.warning("X error: %s", err)
            return "X answered with an error. Please try again later."
        case ScoutError():
            return str(err)
        case app_commands.TransformerError():
            return f"'{err.value}' is not a valid value there. Check the option and try again."
        case app_commands.NoPrivateMessage():
            return "This command works in a server channel, not in direct messages."
        case app_commands.CommandSignatureMismatch() | app_commands.CommandNotFound():
            return (
                "This command changed since Discord last loaded it. "
                "Wait a minute (or restart your Discord app) and try again."
            )
        case app_commands.CheckFailure():
            return "You are not allowed to use this command here."
        case discord.Forbidden():
            log.warning("Discord refused a request: %s %s", err.status, err.text)
            return (
                "I can't post in this channel. Ask an admin to let me view the channel, "
                "send messages and embed links here."
            )
        case discord.HTTPException():
            log.warning("Discord refused a request: %s %s", err.status, err.text)
            return "Discord did not accept the reply. Please try again in a moment."
    log.error("command failed", exc_info=err)
    return "Something went wrong on our side; the details are in the bot's log."
