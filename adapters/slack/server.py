"""How Slack reaches the app: an aiohttp endpoint (HTTP mode) or a websocket (Socket Mode).

Both only translate between the wire and `AsyncApp.async_dispatch`; all behaviour
lives in `adapters.slack.app`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from adapters.slack.app import EVENTS_PATH

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


def web_app(app: AsyncApp, *, events: bool = True) -> web.Application:
    """Routes: `POST /slack/events` (signed requests), the OAuth install pages when
    OAuth is configured, and `GET /healthz` for load balancers."""

    async def on_event(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def on_health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    routes = [web.get(HEALTH_PATH, on_health)]
    if events:
        routes.append(web.post(EVENTS_PATH, on_event))
    flow = app.oauth_flow
    if flow is not None:

        async def on_install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def on_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        routes.append(web.get(flow.install_path, on_install))
        routes.append(web.get(flow.redirect_uri_path, on_redirect))
    application = web.Application(client_max_size=1024**2)
    application.add_routes(routes)
    return application


@asynccontextmanager
async def serve_http(
    app: AsyncApp, host: str, port: int, *, events: bool = True
) -> AsyncIterator[str]:
    """Serve `web_app(app)` on host:port (0 picks a free port); yields the base URL."""
    runner = web.AppRunner(web_app(app, events=events), access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        url = f"http://{bound[0]}:{bound[1]}"
        log.info("Slack HTTP endpoint listening on port %s", bound[1])
        yield url
    finally:
        await runner.cleanup()


@asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect to Slack over Socket Mode (`apps.connections.open` on the app's API host)."""
    handler = AsyncSocketModeHandler(app, app_token, web_client=app.client)
    await handler.connect_async()
    log.info("Slack Socket Mode connected")
    try:
        yield handler
    finally:
        await handler.close_async()
