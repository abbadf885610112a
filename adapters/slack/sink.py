"""`SlackSink`: the scheduler's way to post digests and alerts to Slack channels.

Implements `core.ports.MessageSink` for platform "slack": renders the notice as Block
Kit and sends it with `chat.postMessage` (`adapters.slack.post`) using the bot token of
the notice's workspace (one token, or the OAuth installation store's for that team).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import delivery_error
from adapters.slack.post import post_message
from adapters.slack.render import render
from core.errors import ChannelGone
from core.models import Notice, Scope

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


class SlackSink:
    """Posts notices to `scope.channel` in `scope.workspace`."""

    def __init__(self, client: AsyncWebClient, tokens: TokenSource) -> None:
        self._client = client
        self._tokens = tokens

    @property
    def platform(self) -> str:
        return "slack"

    async def deliver(self, scope: Scope, notice: Notice) -> None:
        if scope.platform != "slack":
            raise ValueError(f"SlackSink cannot deliver to {scope.platform}")
        token = await self._tokens(scope.workspace)
        for message in render(notice):
            try:
                await post_message(self._client, scope.channel, message, token=token)
            except SlackApiError as err:
                failure = delivery_error(err)
                log.warning("could not post to %s/%s: %s", scope.workspace, scope.channel, failure)
                raise failure from None
