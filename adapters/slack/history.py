"""What a Slack channel already shows of the outbox: the check before a retry after a crash.

Each post carries its outbox key and part index as message metadata
(`outbox_metadata`). When a delivery may have died after Slack accepted it, the sink
reads the channel's recent history (`conversations.history` with
`include_all_metadata`, back `window_seconds`) and skips the parts already there. A file
upload's comment cannot carry metadata, so a shared chart is recognised by its file name
and comment together (a later alert for the same account has other numbers).

Without `channels:history` (`groups:history` in a private channel), or when the bot
reads a channel it is not a member of, there is nothing to look at: the message is sent
anyway (so at most twice) and the log says so once per workspace and reason. Apps
outside the Slack Marketplace may read history only about once a minute, so one
history read per channel is kept for `fresh_seconds` and shared by the channel's
retried messages.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import delivery_error, slack_error_code
from core.errors import DeliveryRetryLater
from core.models import Scope

log = logging.getLogger(__name__)

OUTBOX_EVENT = "influencer_bot_outbox"
# Errors that mean "this app cannot read that channel": post anyway, and say so.
UNREADABLE = frozenset({"missing_scope", "not_in_channel", "channel_not_found", "not_allowed"})
# How far back a retry looks: the 10-minute lease, a restart, and a generous margin.
WINDOW_SECONDS = 3600.0
PAGE_SIZE = 100  # Slack may answer fewer (15 for apps outside the Marketplace)
MAX_PAGES = 5
FRESH_SECONDS = 60.0


def outbox_metadata(key: str, part: int) -> dict[str, Any]:
    """The metadata that marks a post as part `part` of outbox message `key`."""
    return {"event_type": OUTBOX_EVENT, "event_payload": {"key": key, "part": part}}


@dataclass(frozen=True, slots=True)
class Posted:
    """The bot's outbox posts a channel's recent history shows."""

    parts: frozenset[tuple[str, int]] = frozenset()
    shares: frozenset[tuple[str, str]] = frozenset()  # (file name, comment) of shared files

    def has_part(self, key: str, part: int) -> bool:
        return (key, part) in self.parts

    def has_share(self, filename: str, comment: str) -> bool:
        return (filename, comment.strip()) in self.shares


def posted_in(messages: list[Mapping[str, Any]]) -> Posted:
    """What `conversations.history` messages show of the outbox."""
    parts: set[tuple[str, int]] = set()
    shares: set[tuple[str, str]] = set()
    for message in messages:
        metadata = message.get("metadata")
        if isinstance(metadata, Mapping) and metadata.get("event_type") == OUTBOX_EVENT:
            payload = metadata.get("event_payload")
            if isinstance(payload, Mapping) and isinstance(payload.get("key"), str):
                # someone else's payload under our event type is not ours
                with contextlib.suppress(TypeError, ValueError):
                    parts.add((payload["key"], int(payload.get("part", 0))))
        for file in message.get("files") or []:
            if isinstance(file, Mapping) and file.get("name"):
                shares.add((str(file["name"]), str(message.get("text") or "").strip()))
    return Posted(frozenset(parts), frozenset(shares))


@dataclass
class RecentHistory:
    """Reads (and briefly keeps) what a channel shows of the bot's outbox posts."""

    client: AsyncWebClient
    window_seconds: float = WINDOW_SECONDS
    page_size: int = PAGE_SIZE
    max_pages: int = MAX_PAGES
    fresh_seconds: float = FRESH_SECONDS
    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    _kept: dict[Scope, tuple[float, Posted]] = field(default_factory=dict)
    _warned: set[tuple[str, str]] = field(default_factory=set)

    async def posted(self, scope: Scope, token: str) -> Posted | None:
        """What `scope` shows; None when the app cannot read it (logged once).

        Raises `DeliveryRetryLater` when Slack asks to wait (rate limit, outage): the
        message waits too rather than risk a second copy.
        """
        kept = self._kept.get(scope)
        if kept is not None and self.monotonic() - kept[0] < self.fresh_seconds:
            return kept[1]
        try:
            messages = await self._read(scope, token)
        except SlackApiError as err:
            code = slack_error_code(err)
            failure = delivery_error(err)
            if isinstance(failure, DeliveryRetryLater) and code not in UNREADABLE:
                raise failure from None
            self._warn_once(scope, code, err)
            return None
        posted = posted_in(messages)
        self._kept[scope] = (self.monotonic(), posted)
        return posted

    async def _read(self, scope: Scope, token: str) -> list[Mapping[str, Any]]:
        oldest = f"{self.wall() - self.window_seconds:.6f}"
        messages: list[Mapping[str, Any]] = []
        cursor: str | None = None
        for _ in range(self.max_pages):
            answer = await self.client.conversations_history(
                token=token,
                channel=scope.channel,
                oldest=oldest,
                limit=self.page_size,
                include_all_metadata=True,
                cursor=cursor,
            )
            messages.extend(m for m in answer.get("messages") or [] if isinstance(m, Mapping))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not answer.get("has_more") or cursor is None:
                return messages
        log.info(
            "looked at the latest %d messages of %s/%s only: an older copy would not be seen",
            len(messages),
            scope.workspace,
            scope.channel,
        )
        return messages

    def _warn_once(self, scope: Scope, code: str, err: SlackApiError) -> None:
        if (scope.workspace, code) in self._warned:
            return
        self._warned.add((scope.workspace, code))
        data = err.response.data if err.response is not None else None
        needed = data.get("needed") if isinstance(data, dict) else None
        why = f"{code}, needs {needed}" if needed else code
        log.warning(
            "cannot read the history of Slack channels in workspace %s (%s): a message "
            "retried after a crash is posted without looking, so it may show twice. Grant "
            "channels:history and groups:history (adapters/slack/manifest.yml) and invite "
            "the bot to the channel to close that window.",
            scope.workspace,
            why,
        )
