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
    ScoutError,
    user_message,
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
        case ScoutError():
            # Discord shows <t:…:R> as "in 4 minutes", in the reader's own time zone.
            return user_message(err, lambda moment: f"<t:{int(moment.timestamp())}:R>")
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
