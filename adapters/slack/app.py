"""The Slack front end: a slack-bolt `AsyncApp` that is a thin shell over the `Scout`.

Handlers parse what the user typed with the core's one command table, `ack()` at
once (Slack allows 3 s), and do the work in a background task that answers through
`response_url`. Every command and button is scoped to the workspace and channel it
came from, so one workspace can never see or change another's watchlists.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import SecretStr
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.admins import admin_caller, caller_of, needs_admin
from adapters.slack.errors import friendly_error, slack_error_code
from adapters.slack.files import (
    NOT_THERE,
    initial_comment,
    not_there_message,
    shared_message,
    upload_answer,
)
from adapters.slack.home_publisher import HomeViewers, SlackHome
from adapters.slack.post import post_message
from adapters.slack.render import (
    AUDIT_ACTION,
    SHARE_ACTION,
    TRACK_ACTION,
    SlackMessage,
    render,
    render_audit_progress,
    render_error,
    render_progress,
)
from adapters.slack.response_urls import ResponseUrls
from adapters.slack.sink import installation_tokens, single_token
from core.commands import (
    COMMANDS,
    FIND,
    WATCHLIST,
    AuditCommand,
    Command,
    DigestAction,
    DigestCommand,
    FindInfluencers,
    SettingsAction,
    SettingsCommand,
    WatchAction,
    WatchlistCommand,
    build_audit,
    build_watchlist,
    is_slow,
    parse_command,
)
from core.errors import BadInput
from core.home import Home
from core.models import Caller, FileAnswer, Scope
from core.ports import Clock
from core.scout import Scout
from core.tasks import TaskTracker

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",  # CSV exports and growth charts
    "users:read",  # is the sender a workspace admin (`/influencer-settings`)
    "usergroups:read",  # user groups that tier alerts mention
    # Recent history, read only before a retry after a crash: is the message there already?
    "channels:history",
    "groups:history",
)
# Wanted but not required: without them a message retried after a crash may go out twice.
OPTIONAL_SCOPES = ("channels:history", "groups:history")
BOT_EVENTS = ("app_home_opened",)
# Registered from the core's one command table, like every other adapter.
SLASH_COMMANDS = tuple(f"/{spec.name}" for spec in COMMANDS)
WATCHLIST_NAME = WATCHLIST.name
NOT_INSTALLED = (
    "The influencer scout is not installed in this workspace (or its access was revoked). "
    "Ask a workspace admin to install it again."
)
# A search that answers within this many seconds needs no "Searching…" message.
PROGRESS_AFTER_SECONDS = 1.0


class SlackSettings(Protocol):
    """The settings the Slack app reads (`bot.settings.Settings` has them all)."""

    @property
    def slack_bot_token(self) -> SecretStr | None: ...

    @property
    def slack_signing_secret(self) -> SecretStr | None: ...

    @property
    def slack_client_id(self) -> str | None: ...

    @property
    def slack_client_secret(self) -> SecretStr | None: ...

    @property
    def slack_api_base_url(self) -> str: ...


def secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def uses_oauth(settings: SlackSettings) -> bool:
    """Client id and secret set: many workspaces install the app through OAuth."""
    return bool(settings.slack_client_id and secret(settings.slack_client_secret))


def api_base_url(settings: SlackSettings) -> str:
    base = settings.slack_api_base_url or DEFAULT_API_BASE_URL
    return base if base.endswith("/") else base + "/"


def authorization_url(base_url: str) -> str:
    """Slack's install page on the same host as the Web API (slack.com, slack-gov.com)."""
    root = re.sub(r"api/?$", "", base_url)
    return root.rstrip("/") + "/oauth/v2/authorize"


class BackgroundWork(TaskTracker):
    """Work that runs after Slack got its ack; kept so shutdown and tests can wait for it."""

    def __init__(self) -> None:
        super().__init__(log, failure="slack background task %s failed")


# --- what Slack sends -----------------------------------------------------------------

_ANGLE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def from_slack(text: str) -> str:
    """Slash-command text as the user typed it: Slack escapes `&<>` and wraps links.

    `<https://x.com/jane>` -> `https://x.com/jane`, `<@U1|jane>` -> `@jane`,
    `<#C1|general>` -> `#general`; `<!here>` and the like are dropped.
    """

    def plain(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith(("@", "#")):
            return target[0] + (label or target[1:])
        if target.startswith("!"):
            return ""
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return target

    text = _ANGLE.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _id(body: Mapping[str, Any], flat: str, nested: str) -> str:
    value = body.get(flat)
    if not value:
        inner = body.get(nested)
        value = inner.get("id") if isinstance(inner, Mapping) else None
    return str(value) if value else ""


def command_text(command: str, text: str) -> str:
    """What the user typed; `/watchlist notify` keeps Slack's mention token to resolve it."""
    words = text.split(maxsplit=1)
    if command == f"/{WATCHLIST_NAME}" and words and words[0].lower() == "notify":
        return text.strip()
    return from_slack(text)


def scope_of(body: Mapping[str, Any]) -> Scope:
    """The workspace and channel of a signed request: the key to every watchlist."""
    workspace = _id(body, "team_id", "team") or _id(body, "enterprise_id", "enterprise")
    channel = _id(body, "channel_id", "channel")
    if not workspace or not channel:
        raise BadInput("This only works in a channel or direct message of a Slack workspace.")
    return Scope("slack", workspace, channel)


# --- answering ------------------------------------------------------------------------


async def send(respond: AsyncRespond, messages: list[SlackMessage], *, replace: bool) -> None:
    """Private answer through `response_url` (valid 30 min, 5 uses)."""
    for i, message in enumerate(messages):
        response = await respond(
            text=message.text,
            blocks=message.blocks,
            response_type="ephemeral",
            replace_original=replace and i == 0,
        )
        if response.status_code != 200:
            log.warning("response_url refused the answer: HTTP %s", response.status_code)
            return


def _progress(command: Command) -> SlackMessage | None:
    """What to show while a slow command (the table says: it reads X) runs, else None."""
    if not is_slow(command):
        return None
    if isinstance(command, FindInfluencers):
        return render_progress(command.request.niche, like=command.request.like)
    if isinstance(command, DigestCommand):
        return render_progress(command.niche)
    if isinstance(command, AuditCommand):
        return render_audit_progress(command.handle)
    return None


def changes_home(command: Command) -> bool:
    """Whether the command changes what the workspace's Home tab shows."""
    match command:
        case WatchlistCommand(action=WatchAction.ADD | WatchAction.REMOVE):
            return True
        case DigestCommand(action=DigestAction.SUBSCRIBE | DigestAction.UNSUBSCRIBE):
            return True
        case SettingsCommand(action=SettingsAction.SET | SettingsAction.RESET):
            return True
    return False


def audit_from_button(value: str) -> AuditCommand:
    """The confirmed audit an "Audit anyway" button stands for (`handle:sample`).

    The value comes back from Slack, so the core's grammar checks it like typed text.
    """
    handle, _, sample = value.partition(":")
    return build_audit(handle, sample=sample or None, confirmed=True)


class SlackHandlers:
    """The listeners, as closures Bolt can inspect (it injects arguments by name)."""

    def __init__(
        self,
        scout: Scout,
        work: BackgroundWork,
        progress_after: float,
        home: SlackHome | None = None,
        responses: ResponseUrls | None = None,
    ) -> None:
        self.scout = scout
        self.work = work
        self.progress_after = progress_after
        self.home = home
        self.responses = responses

    def _respond(self, respond: AsyncRespond) -> AsyncRespond:
        """Bolt's `respond`, posting through the shared session when there is one."""
        return respond if self.responses is None else self.responses.bind(respond)

    def register(self, app: AsyncApp) -> None:
        for name in SLASH_COMMANDS:
            app.command(name)(self._command_listener())
        app.action(re.compile(rf"^{TRACK_ACTION}(:.*)?$"))(self._track_listener())
        app.action(SHARE_ACTION)(self._share_listener())
        app.action(AUDIT_ACTION)(self._audit_listener())
        app.event("app_home_opened")(self._home_listener())

    def _command_listener(self) -> Any:
        async def on_command(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            name = str(body.get("command", ""))
            try:
                scope = scope_of(body)
                command = parse_command(name, command_text(name, body.get("text") or ""))
            except BadInput as err:  # bad typing is answered in the ack itself
                error = render_error(friendly_error(err))
                await ack(text=error.text, blocks=error.blocks, response_type="ephemeral")
                return
            await ack()
            self.work.spawn(
                self.answer(
                    command, scope, self._respond(respond), client=client, caller=caller_of(body)
                ),
                f"slack {name}",
            )

        return on_command

    def _track_listener(self) -> Any:
        async def on_track(
            ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
        ) -> None:
            await ack()
            self.work.spawn(
                self.track(body, str(action.get("value", "")), self._respond(respond)),
                "slack track",
            )

        return on_track

    def _share_listener(self) -> Any:
        async def on_share(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            respond: AsyncRespond,
        ) -> None:
            await ack()
            self.work.spawn(
                self.share(body, str(action.get("value", "")), client, self._respond(respond)),
                "slack share",
            )

        return on_share

    def _audit_listener(self) -> Any:
        async def on_audit_anyway(
            ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
        ) -> None:
            await ack()
            self.work.spawn(
                self.audit_anyway(body, str(action.get("value", "")), self._respond(respond)),
                "slack audit",
            )

        return on_audit_anyway

    def _home_listener(self) -> Any:
        async def on_home_opened(
            body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
        ) -> None:
            # Events need no ack; Bolt answers 200 once the listener returns.
            if event.get("tab", "home") != "home" or self.home is None:
                return
            team = str(body.get("team_id") or "")
            user = str(event.get("user") or "")
            if team and user:
                self.work.spawn(self.home.opened(team, user, client), "slack home opened")

        return on_home_opened

    async def answer(
        self,
        command: Command,
        scope: Scope,
        respond: AsyncRespond,
        *,
        replace: bool = False,
        client: AsyncWebClient | None = None,
        caller: Caller | None = None,
    ) -> None:
        """Run a command; say "Searching…" if it takes more than a moment; reply privately.

        `replace`: the answer takes the place of the message the request came from (a
        question whose button was pressed); an error is added below it instead, so the
        button stays to try again (unless a progress message already took its place).
        A file (CSV, chart) is shared in the conversation with `client`; the reply on
        `response_url` confirms it.
        """
        caller = caller or Caller()
        why_not_admin = ""
        if needs_admin(command) and client is not None:
            caller, why_not_admin = await admin_caller(client, caller)
        job = asyncio.ensure_future(self.scout.handle(command, scope, caller))
        progressed = False
        progress = _progress(command)
        if progress is not None:
            done, _ = await asyncio.wait({job}, timeout=self.progress_after)
            if not done:
                await send(respond, [progress], replace=replace)
                progressed = True
        try:
            reply = await job
            if isinstance(reply, FileAnswer):
                messages = [await self.share_file(reply, scope, client)]
            else:
                share = command.request if isinstance(command, FindInfluencers) else None
                messages = render(reply, share=share)
                if why_not_admin:
                    messages.append(render_error(why_not_admin))
            if changes_home(command) and self.home is not None:
                self.home.refresh(scope.workspace)
        except Exception as err:  # every failure becomes words for the user
            messages = [render_error(friendly_error(err))]
            replace = False
        await send(respond, messages, replace=replace or progressed)

    async def share_file(
        self, answer: FileAnswer, scope: Scope, client: AsyncWebClient | None
    ) -> SlackMessage:
        """Upload the file into the conversation; the confirmation (or how to fix it)."""
        if client is None:  # pragma: no cover - every listener that can reach here has one
            return render_error("This answer is a file, which cannot be shared from here.")
        try:
            await upload_answer(
                client, scope.channel, answer, initial_comment=initial_comment(answer)
            )
        except SlackApiError as err:
            if slack_error_code(err) in NOT_THERE:
                return not_there_message(answer)
            raise
        return shared_message(answer)

    async def audit_anyway(self, body: dict[str, Any], value: str, respond: AsyncRespond) -> None:
        """The "Audit anyway" button: run the costly audit, confirmed, for the clicking channel."""
        try:
            scope = scope_of(body)
            command = audit_from_button(value)
        except Exception as err:
            await send(respond, [render_error(friendly_error(err))], replace=False)
            return
        await self.answer(command, scope, respond, replace=True, caller=caller_of(body))

    async def track(self, body: dict[str, Any], handle: str, respond: AsyncRespond) -> None:
        """The Track button: add the account to the watchlist of the channel it was clicked in."""
        try:
            scope = scope_of(body)
            command = build_watchlist("add", [handle])
            reply = await self.scout.handle(command, scope, caller_of(body))
            messages = render(reply)
            if self.home is not None:
                self.home.refresh(scope.workspace)
        except Exception as err:
            messages = [render_error(friendly_error(err))]
        await send(respond, messages, replace=False)

    async def share(
        self, body: dict[str, Any], text: str, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """The "Post to channel" button: the same search for everyone (free from today's cache)."""
        user = _id(body, "user_id", "user")
        try:
            scope = scope_of(body)
            command = parse_command(FIND.name, text)
            reply = await self.scout.handle(command, scope, caller_of(body))
            messages = render(reply, shared_by=user or None)
        except Exception as err:
            await send(respond, [render_error(friendly_error(err))], replace=False)
            return
        try:
            for message in messages:
                await post_message(client, scope.channel, message)
        except SlackApiError as err:
            if slack_error_code(err) not in ("not_in_channel", "channel_not_found"):
                await send(respond, [render_error(friendly_error(err))], replace=False)
                return
            # A private channel or DM the bot is not in: response_url can still post there.
            for message in messages:
                await respond(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="in_channel",
                    replace_original=False,
                )


def oauth_settings(
    settings: SlackSettings,
    installation_store: AsyncInstallationStore,
    state_store: AsyncOAuthStateStore,
) -> AsyncOAuthSettings:
    """The install flow for many workspaces: `/slack/install`, Slack, `/slack/oauth_redirect`."""
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret(settings.slack_client_secret),
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(api_base_url(settings)),
        installation_store=installation_store,
        installation_store_bot_only=True,
        state_store=state_store,
    )


def build_slack_app(  # noqa: PLR0913  past the settings every option is keyword-only
    scout: Scout,
    settings: SlackSettings,
    *,
    installation_store: AsyncInstallationStore | None = None,
    state_store: AsyncOAuthStateStore | None = None,
    work: BackgroundWork | None = None,
    progress_after: float = PROGRESS_AFTER_SECONDS,
    socket_mode: bool = False,
    home: SlackHome | None = None,
    responses: ResponseUrls | None = None,
) -> AsyncApp:
    """The Bolt app for one Scout.

    Single workspace: `SLACK_BOT_TOKEN`. Many workspaces: `SLACK_CLIENT_ID` and
    `SLACK_CLIENT_SECRET` with an installation store and a state store (see
    `adapters.slack.oauth.sql_stores`). The signing secret is needed for HTTP mode;
    Socket Mode requests arrive over an authenticated websocket instead. `home`
    (`build_slack_home`) serves the App Home tab; without it the tab stays empty.
    `responses` posts every answer to a `response_url` over one shared session (its
    owner closes it); without it each post opens its own, as Bolt's `respond` does.
    """
    signing_secret = secret(settings.slack_signing_secret)
    if not signing_secret and not socket_mode:
        # Without it anyone could forge commands to the public endpoint.
        raise ValueError("Slack HTTP mode needs SLACK_SIGNING_SECRET")
    token = secret(settings.slack_bot_token) or None
    options: dict[str, Any] = {}
    if uses_oauth(settings):
        if installation_store is None or state_store is None:
            raise ValueError("OAuth needs an installation store and a state store")
        options["oauth_settings"] = oauth_settings(settings, installation_store, state_store)
        options["installation_store"] = installation_store
        options["installation_store_bot_only"] = True
    elif not token:
        raise ValueError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    app = AsyncApp(
        name="influencer-scout",
        token=token,
        signing_secret=signing_secret,
        request_verification_enabled=bool(signing_secret),
        # Our listeners only ack and hand the work to `BackgroundWork`, so Bolt can run
        # them inline: with False it runs them as a task and polls for the ack every 10 ms.
        process_before_response=True,
        user_facing_authorize_error_message=NOT_INSTALLED,
        **options,
    )
    # Bolt builds its client from the token; its per-request clients and the OAuth flow
    # take their base URL from this one, so SLACK_API_BASE_URL reaches every call.
    app.client.base_url = api_base_url(settings)
    SlackHandlers(
        scout, work if work is not None else BackgroundWork(), progress_after, home, responses
    ).register(app)
    return app


def build_slack_home(
    home: Home,
    viewers: HomeViewers,
    clock: Clock,
    settings: SlackSettings,
    *,
    work: BackgroundWork,
    installation_store: AsyncInstallationStore | None = None,
    every: float | None = None,
) -> SlackHome:
    """The App Home publisher; its own client reaches every workspace (one token, or
    each installation's) for refreshes that happen outside a request."""
    token = secret(settings.slack_bot_token)
    if installation_store is not None and uses_oauth(settings):
        tokens = installation_tokens(installation_store)
    elif token:
        tokens = single_token(token)
    else:
        raise ValueError("The Slack Home tab needs SLACK_BOT_TOKEN or an installation store")
    client = AsyncWebClient(base_url=api_base_url(settings))
    options = {} if every is None else {"every": every}
    return SlackHome(home, viewers, clock, client=client, tokens=tokens, work=work, **options)
