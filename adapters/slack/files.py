"""Files to take away (a CSV export, a PNG chart) shared in the channel a command came from.

`files_upload_v2` is slack_sdk's three-step upload: `files.getUploadURLExternal`, the
bytes to the URL it hands out, then `files.completeUploadExternal`, which shares the
file in the channel with the plain text beside it as its first comment.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SAMPLE_NOTE, SlackMessage, cost_text, escape, section
from core.models import FileAnswer, on_sample
from core.wording import plural

# Slack errors that mean "the bot cannot post there", which the user can fix.
NOT_THERE = ("not_in_channel", "channel_not_found", "is_archived")


def initial_comment(answer: FileAnswer) -> str:
    """The text shared with the file: the sample note, the answer's text, its cost."""
    parts = [SAMPLE_NOTE] if on_sample(answer) else []
    if answer.text:
        parts.append(escape(answer.text))
    if answer.cost.requests:
        parts.append(cost_text(answer.cost, sample=on_sample(answer)))
    return "\n".join(parts)


async def upload_answer(
    client: AsyncWebClient, channel: str, answer: FileAnswer, *, initial_comment: str
) -> None:
    """Share `answer`'s file in `channel` (raises `SlackApiError` as slack_sdk does)."""
    await client.files_upload_v2(
        channel=channel,
        filename=answer.filename,
        content=answer.data,
        title=answer.title or answer.filename,
        initial_comment=initial_comment,
    )


def shared_message(answer: FileAnswer) -> SlackMessage:
    """The private confirmation on `response_url` once the file is in the channel."""
    what = f"*{escape(answer.filename)}*"
    if answer.rows:
        what += f" ({plural(answer.rows, 'row')})"
    text = f":page_facing_up: Shared {what} in this conversation."
    blocks = [section(text)]
    fallback = f"Shared {answer.filename} in this conversation."
    return SlackMessage.of(fallback, blocks)


def not_there_message(answer: FileAnswer) -> SlackMessage:
    """Why the file could not be shared, and how to fix it (nothing is lost: run it again)."""
    text = (
        f"I could not share {answer.filename} here: the app is not a member of this "
        "conversation. Invite it with `/invite @Influencer Scout` (or add it from the "
        "channel's Integrations tab), or run the command in a direct message with the app."
    )
    return SlackMessage.of(text, [section(f":warning: {text}")])
