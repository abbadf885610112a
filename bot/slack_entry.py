"""Starts the Slack front end from settings: Socket Mode or HTTP mode, OAuth if configured."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import (
    BackgroundWork,
    api_base_url,
    build_slack_app,
    build_slack_home,
    secret,
    uses_oauth,
)
from adapters.slack.home_publisher import SlackHome
from adapters.slack.oauth import sql_stores
from adapters.slack.response_urls import ResponseUrls
from adapters.slack.server import serve_http, socket_mode
from adapters.slack.sink import DeliveredHook, SlackSink, installation_tokens, single_token
from adapters.storage.database import Database
from adapters.storage.home_viewers import SqlHomeViewers
from bot.collector import settle_after_start_up
from bot.settings import Settings
from bot.wiring import Services
from core.errors import ScoutError
from core.home import Home

log = logging.getLogger(__name__)

# Listen on every interface: Slack (or the load balancer) reaches HTTP mode from outside.
HTTP_HOST = "0.0.0.0"  # noqa: S104
# On shutdown, answers already being worked on get this long to reach Slack.
DRAIN_SECONDS = 10.0


async def run_slack(svc: Services, *, started: asyncio.Event | None = None) -> None:
    """Run the Slack app until cancelled.

    `SLACK_APP_TOKEN` set: Socket Mode (no public URL). Otherwise HTTP mode on `PORT`,
    events at `/slack/events`. With `SLACK_CLIENT_ID`/`SLACK_CLIENT_SECRET` the app
    serves `/slack/install` for many workspaces, installations kept in the database.
    """
    s = svc.settings
    app_token = secret(s.slack_app_token)
    if not app_token and not secret(s.slack_signing_secret):
        raise ScoutError(
            "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)."
        )
    installation_store = state_store = None
    if uses_oauth(s):
        assert s.slack_client_id is not None
        installation_store, state_store = await sql_stores(svc.database.engine, s.slack_client_id)
    work = BackgroundWork()
    # One HTTP session for every answer posted to a response_url, closed on the way out.
    responses = ResponseUrls()
    try:
        home = slack_home(svc, work, installation_store=installation_store)
        # Alerts and digests delivered to Slack refresh the Home tab of that team.
        sink = await build_slack_sink(s, svc.database, on_delivered=home.refresh)
        if sink is not None:
            svc.sinks["slack"] = sink
        app = build_slack_app(
            svc.scout,
            s,
            installation_store=installation_store,
            state_store=state_store,
            work=work,
            socket_mode=bool(app_token),
            home=home,
            responses=responses,
        )
    except ValueError as err:
        raise ScoutError(str(err)) from None
    settle_after_start_up()  # no collector pauses of 150-250 ms (and acks) under load
    try:
        if app_token:
            async with socket_mode(app, app_token):
                if installation_store is not None:
                    # The install pages still need HTTP; events come over the socket.
                    async with serve_http(app, HTTP_HOST, s.port, events=False):
                        await _forever(started)
                else:
                    await _forever(started)
        else:
            async with serve_http(app, HTTP_HOST, s.port):
                await _forever(started)
    finally:
        await work.drain(grace=DRAIN_SECONDS)
        await responses.aclose()


def build_home(svc: Services) -> Home:
    """The App Home use case over the bot's stores (read only, never X)."""
    store = svc.scheduled.store if svc.scheduled is not None else None
    return Home(
        svc.storage,
        svc.meter,
        svc.clock,
        source=svc.x.name,
        digests=store,
        outbox=store,
        settings=svc.storage,  # each workspace's tier boundaries and budget share
        bounds=svc.settings.tier_boundaries,
    )


def slack_home(
    svc: Services,
    work: BackgroundWork,
    *,
    installation_store: AsyncInstallationStore | None = None,
    every: float | None = None,
) -> SlackHome:
    """The Home tab publisher. `refresh(team_id)` is the hook for changes made elsewhere
    (an alert delivered to the workspace)."""
    return build_slack_home(
        build_home(svc),
        SqlHomeViewers(svc.database),
        svc.clock,
        svc.settings,
        work=work,
        installation_store=installation_store,
        every=every,
    )


async def _forever(started: asyncio.Event | None) -> None:
    if started is not None:
        started.set()
    await asyncio.Event().wait()


async def build_slack_sink(
    settings: Settings, database: Database, *, on_delivered: DeliveredHook | None = None
) -> SlackSink | None:
    """The scheduler's Slack sink, or None when Slack is not configured.

    `on_delivered` is told the team after each post (the running app's Home tab).
    """
    client = AsyncWebClient(base_url=api_base_url(settings))
    if uses_oauth(settings):
        assert settings.slack_client_id is not None
        installations, _ = await sql_stores(database.engine, settings.slack_client_id)
        return SlackSink(client, installation_tokens(installations), on_delivered=on_delivered)
    token = secret(settings.slack_bot_token)
    if token:
        return SlackSink(client, single_token(token), on_delivered=on_delivered)
    return None
