"""`SlackSink`: the scheduler's way to post digests and alerts to Slack channels.

Implements `core.ports.MessageSink` for platform "slack": renders the notice as Block
Kit and sends it with `chat.postMessage` (`adapters.slack.post`) using the bot token of
the notice's workspace (one token, or the OAuth installation store's for that team).

A tier alert's extras: the channel's mention (`<!subteam^S123>`, `<@U123>`) opens the
message, and a chart goes up as one file upload (`files_upload_v2`) with the alert as
its initial comment, so the alert and its chart are one post, shared in one call (a
retry never posts the alert twice). When Slack refuses the file (say, the app lacks
`files:write`), the alert is posted without it and the log says why.

Every post carries its outbox key and part as message metadata; a retry skips the parts
this process already posted, and a retry after a crash (`recheck`) also skips those the
channel's recent history shows (`adapters.slack.history`: how, and what happens without
the `channels:history` scope).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import delivery_error
from adapters.slack.history import Posted, RecentHistory, outbox_metadata
from adapters.slack.post import post_message
from adapters.slack.render import SlackMessage, render
from core.errors import ChannelGone, DeliveryRejected
from core.models import Delivery, FileAnswer, Notice, Scope

log = logging.getLogger(__name__)

TokenSource = Callable[[str], Awaitable[str]]
"""Bot token for a workspace (team) id; raises `ChannelGone` if the app is not installed."""


def single_token(token: str) -> TokenSource:
    """Every workspace uses the same bot token (a single-workspace app)."""

    async def lookup(_team_id: str) -> str:
        return token

    return lookup


def installation_tokens(store: AsyncInstallationStore) -> TokenSource:
    """Tokens from the OAuth installation store (many workspaces)."""

    async def lookup(team_id: str) -> str:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:  # an org-wide install is stored under its enterprise id
            bot = await store.async_find_bot(
                enterprise_id=team_id, team_id=None, is_enterprise_install=True
            )
        if bot is None or not bot.bot_token:
            raise ChannelGone(f"the app is not installed in workspace {team_id}")
        return str(bot.bot_token)

    return lookup


DeliveredHook = Callable[[str], None]
"""Told the workspace (team) id after a notice was posted there (the Home tab refreshes)."""

# Parts posted by this process, remembered so a retry of a half-posted message (a rate
# limit on its second part) does not post its first again.
REMEMBERED_PARTS = 10_000


class SlackSink:
    """Posts notices to `scope.channel` in `scope.workspace`."""

    def __init__(
        self,
        client: AsyncWebClient,
        tokens: TokenSource,
        *,
        on_delivered: DeliveredHook | None = None,
        history: RecentHistory | None = None,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._on_delivered = on_delivered
        self._history = history or RecentHistory(client)
        self._posted: OrderedDict[tuple[str, int], None] = OrderedDict()

    @property
    def platform(self) -> str:
        return "slack"

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        if scope.platform != "slack":
            raise ValueError(f"SlackSink cannot deliver to {scope.platform}")
        token = await self._tokens(scope.workspace)
        messages = render(notice)
        mention = slack_mention(extras.mention) if extras is not None and extras.mention else None
        if mention and messages:
            messages[0] = with_mention(messages[0], mention)
        attachment = extras.attachment if extras is not None else None
        shown = await self._history.posted(scope, token) if recheck and key else None
        for index, message in enumerate(messages):
            first = index == 0
            if key is not None and self._already_posted(
                shown, key, index, message, attachment if first else None
            ):
                log.info(
                    "part %d of outbox message %s is in %s/%s already: not posted again",
                    index,
                    key,
                    scope.workspace,
                    scope.channel,
                )
                continue
            try:
                if (
                    first
                    and attachment is not None
                    and await self._upload(scope, message, attachment, token)
                ):
                    self._remember(key, index)
                    continue
                metadata = outbox_metadata(key, index) if key is not None else None
                await post_message(
                    self._client, scope.channel, message, token=token, metadata=metadata
                )
                self._remember(key, index)
            except SlackApiError as err:
                failure = delivery_error(err)
                log.warning("could not post to %s/%s: %s", scope.workspace, scope.channel, failure)
                raise failure from None
        if self._on_delivered is not None:
            try:
                self._on_delivered(scope.workspace)
            except Exception:  # delivered already: a hook must not make it look failed
                log.exception("the delivered hook failed for workspace %s", scope.workspace)

    def _already_posted(
        self,
        shown: Posted | None,
        key: str,
        part: int,
        message: SlackMessage,
        attachment: FileAnswer | None,
    ) -> bool:
        if (key, part) in self._posted:
            return True
        if shown is None:
            return False
        if shown.has_part(key, part):  # posted with its metadata (or the file was refused)
            return True
        # A shared chart carries no metadata: its file name and comment identify it.
        return attachment is not None and shown.has_share(attachment.filename, comment_of(message))

    def _remember(self, key: str | None, part: int) -> None:
        if key is None:
            return
        self._posted[(key, part)] = None
        while len(self._posted) > REMEMBERED_PARTS:
            self._posted.popitem(last=False)

    async def _upload(
        self, scope: Scope, message: SlackMessage, attachment: FileAnswer, token: str
    ) -> bool:
        """Post `message` as the comment of `attachment`; False: Slack refused the file
        (post the message alone). Rate limits and a lost channel raise as usual."""
        try:
            await self._client.files_upload_v2(
                token=token,
                channel=scope.channel,
                file=attachment.data,
                filename=attachment.filename,
                title=attachment.title or attachment.filename,
                initial_comment=comment_of(message),
            )
        except SlackApiError as err:
            failure = delivery_error(err)
            if not isinstance(failure, DeliveryRejected):
                raise
            log.warning(
                "posting to %s/%s without %s: Slack refused the file (%s)",
                scope.workspace,
                scope.channel,
                attachment.filename,
                failure,
            )
            return False
        except SlackRequestError as err:  # the upload URL step failed
            log.warning(
                "posting to %s/%s without %s: the upload failed (%s)",
                scope.workspace,
                scope.channel,
                attachment.filename,
                err,
            )
            return False
        return True


_SLACK_MENTION = re.compile(r"^<(!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def slack_mention(mention: str) -> str | None:
    """`<!subteam^S1|@team>` -> `<!subteam^S1>`, `<@U1|jane>` -> `<@U1>`: what pings in a
    message. None (and a log line) for a mention Slack cannot resolve (a Discord role)."""
    match = _SLACK_MENTION.fullmatch(mention.strip())
    if match is None:
        log.warning("ignoring mention %r: not a Slack user group or user", mention)
        return None
    return f"<{match[1]}>"


def with_mention(message: SlackMessage, mention: str) -> SlackMessage:
    """The message opening with `mention`, in its text and its first section."""
    blocks = [dict(b) for b in message.blocks]
    first = blocks[0] if blocks else None
    if first is not None and first.get("type") == "section" and isinstance(first.get("text"), dict):
        text = dict(first["text"])
        text["text"] = f"{mention} {text.get('text', '')}"
        blocks[0] = {**first, "text": text}
    else:
        blocks.insert(0, {"type": "section", "text": {"type": "mrkdwn", "text": mention}})
    return replace(message, text=f"{mention} {message.text}", blocks=blocks)


def comment_of(message: SlackMessage) -> str:
    """A file upload's comment carries text only: the blocks' mrkdwn, one per line."""
    lines: list[str] = []
    for block in message.blocks:
        lines.extend(_texts(block))
    return "\n".join(lines) or message.text


def _texts(block: dict[str, Any]) -> list[str]:
    text = block.get("text")
    if isinstance(text, dict) and text.get("text"):
        return [str(text["text"])]
    elements = block.get("elements")
    if block.get("type") == "context" and isinstance(elements, list):
        parts = [str(e["text"]) for e in elements if isinstance(e, dict) and e.get("text")]
        return [" ".join(parts)] if parts else []
    return []
