"""`post_message`: the one place a rendered message goes out through `chat.postMessage`.

The "Post to channel" button and the scheduler's `SlackSink` both post this way, so a
shared search and a digest look the same in a channel (links and media not unfurled).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SlackMessage


async def post_message(
    client: AsyncWebClient,
    channel: str,
    message: SlackMessage,
    *,
    token: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Post `message` to `channel`; `token` overrides the client's (a workspace's bot token),
    `metadata` is Slack message metadata (`event_type`, `event_payload`).

    Raises `slack_sdk.errors.SlackApiError` when Slack refuses it.
    """
    # slack_sdk drops None arguments, so no `token` sends exactly what omitting it would.
    await client.chat_postMessage(
        token=token,
        metadata=dict(metadata) if metadata is not None else None,
        channel=channel,
        text=message.text,
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
