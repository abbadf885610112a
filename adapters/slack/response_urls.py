"""Answers posted to `response_url`s over one shared HTTP session.

Bolt's `respond` opens a new aiohttp session, and so a new TCP (and TLS) connection, for
every post; under load that was ~7 % of the bot's loop (bench/RESULTS.md, Slack).
`ResponseUrls.bind` gives a `respond` that posts the same message through one session
whose keep-alive connections every answer reuses. Close it with `aclose()` on shutdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

# What slack_sdk's webhook client allows a post (s), as Bolt's `respond` does.
TIMEOUT_SECONDS = 30.0


class ResponseUrls:
    """One aiohttp session (opened on first use) for every post to a `response_url`."""

    def __init__(self, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self.sessions_opened = 0

    def session(self) -> aiohttp.ClientSession:
        """The shared session (a new one if none is open: a post after `aclose` still
        goes out)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout), trust_env=False
            )
            self.sessions_opened += 1
        return self._session

    def bind(self, respond: AsyncRespond) -> AsyncRespond:
        """`respond` (Bolt's, for one request) posting through the shared session."""
        if isinstance(respond, SharedRespond):
            return respond
        return SharedRespond(self, respond)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class SharedRespond(AsyncRespond):
    """Bolt's `respond` for one `response_url`, sending through `ResponseUrls`' session."""

    def __init__(self, urls: ResponseUrls, respond: AsyncRespond) -> None:
        super().__init__(response_url=respond.response_url, proxy=respond.proxy, ssl=respond.ssl)
        self._urls = urls

    # The same arguments as Bolt's `AsyncRespond.__call__`, which this overrides.
    async def __call__(  # noqa: PLR0913, PLR0917
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        client = AsyncWebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            session=self._urls.session(),
        )
        return await client.send_dict(message)
