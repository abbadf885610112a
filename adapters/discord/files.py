"""Files on Discord messages: a `FileAnswer` (a CSV export, a growth chart) as a
`discord.File`, within the size Discord accepts on one message.

Discord caps the attachments of one message (8-25 MB, by the guild's boost level and
the app; every interaction says its own `attachment_size_limit`). A file above it is
refused before anything is sent, in words the user can act on.
"""

from __future__ import annotations

import io

import discord

from core.errors import ScoutError
from core.models import FileAnswer

# What every Discord message may carry (without boosts): the fallback when an
# interaction does not say its own limit.
DEFAULT_ATTACHMENT_LIMIT = 8 * 1024 * 1024


class FileTooLarge(ScoutError):
    """A file bigger than Discord takes on one message."""


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_size(answer: FileAnswer, limit: int = DEFAULT_ATTACHMENT_LIMIT) -> None:
    """Raise `FileTooLarge` (a friendly one-liner) when `answer` cannot go on a message."""
    if len(answer.data) > limit:
        raise FileTooLarge(
            f"{answer.filename} is {megabytes(len(answer.data))}, more than the "
            f"{megabytes(limit)} Discord takes on one message. Ask for fewer results "
            "(limit:) or use the command line: influencer-bot find … --csv."
        )


def discord_file(answer: FileAnswer) -> discord.File:
    """A fresh `discord.File` (discord.py consumes it on send; a retry needs a new one)."""
    return discord.File(io.BytesIO(answer.data), filename=answer.filename)


def interaction_limit(interaction: discord.Interaction[discord.Client]) -> int:
    """The attachment size this interaction's channel takes, from Discord itself."""
    limit = getattr(interaction, "filesize_limit", None)
    return limit if isinstance(limit, int) and limit > 0 else DEFAULT_ATTACHMENT_LIMIT
