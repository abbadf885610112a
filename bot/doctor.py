"""`influencer-bot doctor`: check each configured piece and say what is fine and what to fix.

Every check talks to the real thing through the configured base URLs (the database,
X's usage endpoint, Slack's `auth.test`, Discord's `/users/@me`), concurrently and each
within a within, and answers in findings of one line each. No finding ever holds a
secret: details are scrubbed of every configured token before they leave this module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from adapters.storage.urls import is_sqlite_memory, redact, to_async_url
from bot.settings import Settings

log = logging.getLogger(__name__)

OK, FIX, UNSET = "ok", "FIX", "--"
STATUS = {OK: "ok", FIX: "fix", UNSET: "not configured"}

# Every flag the bot needs none of: it asks only for the non-privileged Guilds intent.
DISCORD_PRIVILEGED_INTENTS = {
    1 << 12: "Presence",
    1 << 13: "Presence (limited)",
    1 << 14: "Server Members",
    1 << 15: "Server Members (limited)",
    1 << 18: "Message Content",
    1 << 19: "Message Content (limited)",
}
# README's invite link: View Channels + Send Messages + Embed Links.
DISCORD_INVITE = (
    "https://discord.com/oauth2/authorize?client_id={id}"
    "&scope=bot+applications.commands&permissions=19456"
)
RUN_MIGRATIONS = (
    "migrations apply when the bot starts: run `influencer-bot run` "
    "(or any command, e.g. `influencer-bot alerts`)"
)


@dataclass(frozen=True)
class Finding:
    """One line of the report: a mark (ok, FIX, --), what was checked, and what was found."""

    mark: str
    name: str
    detail: str
    # A setting that cannot work as typed (exit 2, as for bad settings everywhere).
    bad_setting: bool = False

    @property
    def line(self) -> str:
        return f"{self.mark:<3}  {self.name}: {self.detail}"

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "status": STATUS[self.mark], "detail": self.detail}


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when every configured piece is fine, 2 for a bad setting, 1 for anything else."""
    found = list(findings)
    if any(f.bad_setting for f in found):
        return 2
    return 1 if any(f.mark == FIX for f in found) else 0


async def diagnose(settings: Settings, *, within: float = 5.0) -> list[Finding]:
    """Run every check at once, each within `within` seconds; findings in a fixed order."""
    checks: list[Callable[[Settings, float], Awaitable[list[Finding]]]] = [
        check_database,
        check_x,
        check_slack,
        check_discord,
    ]
    results = await asyncio.gather(*(check(settings, within) for check in checks))
    secrets = _secrets(settings)
    return [_scrub(f, secrets) for found in results for f in found]


async def _guarded(
    name: str, where: str, within: float, work: Awaitable[list[Finding]]
) -> list[Finding]:
    """`work`'s findings, or one FIX line when it hangs or fails unexpectedly."""
    try:
        async with asyncio.timeout(within):
            return await work
    except TimeoutError:
        return [Finding(FIX, name, f"no answer from {where} within {within:g} s")]
    except (aiohttp.ClientError, OSError) as err:
        return [Finding(FIX, name, f"cannot reach {where}: {_reason(err)}")]
    except Exception as err:  # one broken check must not hide what the others found
        log.debug("doctor: the %s check failed", name, exc_info=True)
        return [Finding(FIX, name, f"check failed ({type(err).__name__}): {_reason(err)}")]


def _reason(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _secrets(settings: Settings) -> list[str]:
    values = [
        s.get_secret_value()
        for s in (
            settings.x_bearer_token,
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            settings.slack_client_secret,
            settings.discord_bot_token,
        )
        if s is not None
    ]
    try:
        password = make_url(settings.database_url.strip()).password
    except (ArgumentError, ValueError):
        password = None
    if password:
        values.append(str(password))
    # Longest first, so a secret containing another is scrubbed whole.
    return sorted((v for v in values if len(v) >= 4), key=len, reverse=True)


def _scrub(finding: Finding, secrets: list[str]) -> Finding:
    detail = finding.detail
    for value in secrets:
        detail = detail.replace(value, "***")
    return replace(finding, detail=detail)


def _secret(value: Any) -> str:
    return str(value.get_secret_value()) if value is not None else ""


# --- the database -------------------------------------------------------------------


async def check_database(settings: Settings, within: float) -> list[Finding]:
    """Reachable, and at the latest Alembic revision; says where the data lives."""
    url = settings.database_url
    try:
        if is_sqlite_memory(url):
            return [Finding(UNSET, "Database", "SQLite in memory: nothing is kept between runs")]
        where, missing = _where(url)
        if missing:
            return [
                Finding(
                    UNSET,
                    "Database",
                    f"none yet at {where}: the bot creates it and applies migrations "
                    "when it first starts",
                )
            ]
        async_url = to_async_url(url)
    except ValueError as err:
        return [Finding(FIX, "Database", f"{err} (setting DATABASE_URL)", bad_setting=True)]
    return await _guarded("Database", where, within, _migration_state(async_url, where, within))


def _where(url: str) -> tuple[str, bool]:
    """The database as shown to the user (password hidden, SQLite's absolute path), and
    whether it is a SQLite file that does not exist yet."""
    shown = redact(url)
    parsed = make_url(url.strip())
    database = parsed.database or ""
    plain_file = not database.startswith("file:") and parsed.query.get("uri") != "true"
    if not parsed.drivername.startswith("sqlite") or not plain_file:
        return shown, False
    path = Path(database).expanduser()
    if not path.parent.exists():
        # to_async_url would create the folder: doctor only looks.
        return f"{shown} ({path.absolute()})", True
    to_async_url(url)  # a URL SQLite cannot use raises here, with the words to fix it
    return f"{shown} ({path.resolve()})", not path.exists()


async def _migration_state(async_url: str, where: str, within: float) -> list[Finding]:
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from adapters.storage.migrate import alembic_config

    options: dict[str, Any] = {}
    if async_url.startswith("postgresql"):
        # The driver's own limit too, so no half-open connection lingers after the timeout.
        options["connect_args"] = {"connect_timeout": max(1, round(within))}
    engine = create_async_engine(async_url, poolclass=NullPool, **options)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current_heads)
    except (DBAPIError, SQLAlchemyError) as err:
        hint = "" if async_url.startswith("sqlite") else " (is the server running and reachable?)"
        return [Finding(FIX, "Database", f"cannot open {where}: {_reason(err)}{hint}")]
    finally:
        await engine.dispose()
    script = ScriptDirectory.from_config(alembic_config())
    known = [r.revision for r in script.walk_revisions()]  # newest first
    latest = ", ".join(script.get_heads())
    if not current:
        return [
            Finding(
                FIX, "Database", f"{where} has no tables yet (latest is {latest}): {RUN_MIGRATIONS}"
            )
        ]
    at = ", ".join(current)
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        return [
            Finding(
                FIX,
                "Database",
                f"{where} is at revision {at}, which this influencer-bot does not know "
                f"(its latest is {latest}): a newer version migrated it; upgrade influencer-bot",
            )
        ]
    pending = min(known.index(rev) for rev in current)
    if pending:
        plural = "s" if pending > 1 else ""
        return [
            Finding(
                FIX,
                "Database",
                f"{where} is at revision {at}, latest is {latest} ({pending} migration{plural} "
                f"to apply): {RUN_MIGRATIONS}",
            )
        ]
    return [Finding(OK, "Database", f"{where}, migrated to {at} (the latest)")]


def _current_heads(connection: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    return tuple(MigrationContext.configure(connection).get_current_heads())


# --- X ------------------------------------------------------------------------------


async def check_x(settings: Settings, within: float) -> list[Finding]:
    """The bearer token, with one request X bills nothing for.

    `GET /2/usage/tweets` returns the project's usage and no posts or users, and X's
    pay-per-use reads are billed per post or user returned: it costs nothing. (A user
    lookup would cost a user read, a counts request $0.005.) It takes the app-only bearer
    token the bot uses, so a 401 there means the bot's searches would fail too.
    """
    token = _secret(settings.x_bearer_token)
    if settings.x_source == "sample":
        detail = "X_SOURCE=sample: using the bundled sample (X_BEARER_TOKEN is not used)"
        return [Finding(UNSET, "X", detail)]
    if not token:
        if settings.x_source == "x-api":
            return [Finding(FIX, "X", "X_SOURCE is x-api but X_BEARER_TOKEN is not set")]
        return [
            Finding(UNSET, "X", "not configured — using the bundled sample (set X_BEARER_TOKEN)")
        ]
    base = settings.x_api_base_url.rstrip("/")
    return await _guarded("X", base, within, _x_usage(base, token))


async def _x_usage(base: str, token: str) -> list[Finding]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base}/2/usage/tweets", headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        body = await _json(resp)
        limits = _rate_limits(resp.headers)
        status = resp.status
    if status == 200:
        return [Finding(OK, "X", f"token valid; {limits}{_usage(body)}")]
    if status == 401:
        return [
            Finding(
                FIX,
                "X",
                "X rejected the token (401 Unauthorized): set X_BEARER_TOKEN to the app's "
                "Bearer Token (developer portal, your app, Keys and tokens)",
            )
        ]
    if status == 429:
        return [Finding(OK, "X", f"token valid, but the usage endpoint is rate limited: {limits}")]
    words = _x_words(body)
    if status == 402:
        return [
            Finding(
                FIX,
                "X",
                "token valid, but X refuses reads (402): no credits left or the spending cap "
                "is reached; top up in the developer console",
            )
        ]
    if status == 404:
        return [Finding(FIX, "X", f"{base} has no X API v2 (404): check X_API_BASE_URL")]
    return [Finding(FIX, "X", f"X answered {status}{': ' + words if words else ''}")]


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return {}
    return body if isinstance(body, dict) else {}


def _rate_limits(headers: Mapping[str, str]) -> str:
    """`x-rate-limit-limit/remaining/reset` in words."""
    from adapters.x.parse import parse_rate_limit

    limit = parse_rate_limit(headers)
    if limit is None:
        return "no rate-limit headers in the answer"
    minutes = max(0, round((limit.reset_at - datetime.now(UTC)).total_seconds() / 60))
    return (
        f"rate limit {limit.remaining} of {limit.limit} requests left, "
        f"resets in {minutes} min ({limit.reset_at:%H:%M} UTC)"
    )


def _usage(body: Mapping[str, Any]) -> str:
    data = body.get("data")
    if not isinstance(data, Mapping):
        return ""
    try:
        used, cap = int(data["project_usage"]), int(data["project_cap"])
    except (KeyError, TypeError, ValueError):
        return ""
    return f"; {used:,} of {cap:,} posts read this billing month"


def _x_words(body: Mapping[str, Any]) -> str:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        return str(errors[0].get("message") or errors[0].get("detail") or "")
    return str(body.get("detail") or body.get("title") or "")


# --- Slack --------------------------------------------------------------------------


async def check_slack(settings: Settings, within: float) -> list[Finding]:
    """The bot token (`auth.test`, its scopes), how commands arrive, and OAuth."""
    from adapters.slack.app import api_base_url, uses_oauth

    bot, app = _secret(settings.slack_bot_token), _secret(settings.slack_app_token)
    if not (bot or app or settings.slack_client_id):
        return [Finding(UNSET, "Slack", "not configured (set SLACK_BOT_TOKEN; README: Slack)")]
    base = api_base_url(settings)
    work: list[Awaitable[list[Finding]]] = []
    if uses_oauth(settings):
        work.append(_done(_oauth(settings)))
    elif settings.slack_client_id:
        fix = "SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET: set both for OAuth, or neither"
        work.append(_done([Finding(FIX, "Slack OAuth", fix)]))
    if bot:
        work.append(_guarded("Slack", base, within, _slack_bot(base, bot, within)))
    elif not uses_oauth(settings):
        fix = "SLACK_BOT_TOKEN is not set (Install App, Bot User OAuth Token, xoxb-...)"
        work.append(_done([Finding(FIX, "Slack", fix)]))
    if app:
        work.append(_guarded("Slack Socket Mode", base, within, _slack_app(base, app, within)))
    else:
        work.append(_done(_http_mode(settings)))
    return [f for found in await asyncio.gather(*work) for f in found]


async def _done(findings: list[Finding]) -> list[Finding]:
    return findings


def _oauth(settings: Settings) -> list[Finding]:
    detail = (
        f"OAuth mode (many workspaces), client id {settings.slack_client_id}: each workspace's "
        "token is kept in the database when it installs at /slack/install"
    )
    found = [Finding(OK, "Slack OAuth", detail)]
    if not _secret(settings.slack_signing_secret):
        fix = "OAuth needs SLACK_SIGNING_SECRET too (Basic Information, App Credentials)"
        found.append(Finding(FIX, "Slack OAuth", fix))
    return found


def _http_mode(settings: Settings) -> list[Finding]:
    if _secret(settings.slack_signing_secret):
        detail = (
            f"HTTP mode: SLACK_SIGNING_SECRET is set; Slack must reach "
            f"https://YOUR-HOST/slack/events (the bot listens on PORT {settings.port})"
        )
        return [Finding(OK, "Slack HTTP mode", detail)]
    fix = (
        "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set: "
        "the bot cannot receive commands"
    )
    return [Finding(FIX, "Slack commands", fix)]


def _slack_client(base: str, token: str, within: float) -> Any:
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(token=token, base_url=base, timeout=max(1, round(within)))


def _slack_error(err: Exception) -> str:
    response = getattr(err, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or type(err).__name__)


async def _slack_bot(base: str, token: str, within: float) -> list[Finding]:
    from slack_sdk.errors import SlackApiError

    from adapters.slack.app import BOT_SCOPES, OPTIONAL_SCOPES

    if token.startswith(("xoxp-", "xapp-")):
        kind = "a user token" if token.startswith("xoxp-") else "an app-level token"
        fix = f"SLACK_BOT_TOKEN is {kind}: use the Bot User OAuth Token (xoxb-...)"
        return [Finding(FIX, "Slack", fix)]
    try:
        answer = await _slack_client(base, token, within).auth_test()
    except SlackApiError as err:
        code = _slack_error(err)
        fix = f"Slack rejected SLACK_BOT_TOKEN ({code})"
        if code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
            fix += ": copy the Bot User OAuth Token again (Install App, xoxb-...)"
        return [Finding(FIX, "Slack", fix)]
    who = (
        f"team {answer.get('team')!r} ({answer.get('team_id')}), "
        f"bot user @{answer.get('user')} ({answer.get('user_id')})"
    )
    raw = _header(answer.headers, "x-oauth-scopes")
    if raw is None:
        return [Finding(OK, "Slack", f"token valid: {who}; Slack did not report its scopes")]
    granted = {s.strip() for s in raw.split(",") if s.strip()}
    missing = [s for s in BOT_SCOPES if s not in granted and s not in OPTIONAL_SCOPES]
    optional = [s for s in OPTIONAL_SCOPES if s not in granted]
    if missing:
        fix = (
            f"token valid ({who}) but lacks the scope{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}: add under OAuth & Permissions, Bot Token Scopes (or paste "
            "adapters/slack/manifest.yml), then reinstall the app"
        )
        return [Finding(FIX, "Slack", fix)]
    if optional:
        note = (
            f"token valid: {who}; without {', '.join(optional)} a message retried after a "
            "crash may be posted twice (add the scopes and reinstall to rule that out)"
        )
        return [Finding(OK, "Slack", note)]
    return [Finding(OK, "Slack", f"token valid: {who}; scopes {', '.join(BOT_SCOPES)}")]


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return None


async def _slack_app(base: str, token: str, within: float) -> list[Finding]:
    from slack_sdk.errors import SlackApiError

    if not token.startswith("xapp-"):
        fix = (
            "SLACK_APP_TOKEN is not an app-level token (xapp-...): "
            "Basic Information, App-Level Tokens"
        )
        return [Finding(FIX, "Slack Socket Mode", fix)]
    try:
        # Only asks for a socket URL (which expires unused); no connection is opened.
        await _slack_client(base, token, within).apps_connections_open(app_token=token)
    except SlackApiError as err:
        fix = (
            f"Slack rejected SLACK_APP_TOKEN ({_slack_error(err)}): generate one under Basic "
            "Information, App-Level Tokens, with the scope connections:write"
        )
        return [Finding(FIX, "Slack Socket Mode", fix)]
    return [Finding(OK, "Slack Socket Mode", "SLACK_APP_TOKEN accepted (apps.connections.open)")]


# --- Discord ------------------------------------------------------------------------


async def check_discord(settings: Settings, within: float) -> list[Finding]:
    """The bot token (`GET /users/@me`) and the application (`GET /applications/@me`)."""
    token = _secret(settings.discord_bot_token)
    if not token:
        return [
            Finding(UNSET, "Discord", "not configured (set DISCORD_BOT_TOKEN; README: Discord)")
        ]
    base = settings.discord_api_base_url.rstrip("/")
    return await _guarded("Discord", base, within, _discord(base, token))


async def _discord(base: str, token: str) -> list[Finding]:
    headers = {"Authorization": f"Bot {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        user_status, user = await _get(session, f"{base}/users/@me")
        if user_status == 401:
            fix = (
                "Discord rejected DISCORD_BOT_TOKEN (401): Bot, Reset Token in the developer "
                "portal, and put the new token in .env"
            )
            return [Finding(FIX, "Discord", fix)]
        if user_status != 200:
            return [Finding(FIX, "Discord", f"GET /users/@me answered {user_status}")]
        app_status, application = await _get(session, f"{base}/applications/@me")
    bot = f"bot @{user.get('username')}"
    if app_status != 200:
        return [
            Finding(
                OK, "Discord", f"token valid: {bot}; GET /applications/@me answered {app_status}"
            )
        ]
    return _discord_application(bot, application)


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.get(url) as resp:
        return resp.status, await _json(resp)


def _discord_application(bot: str, application: Mapping[str, Any]) -> list[Finding]:
    app_id = application.get("id")
    flags = int(application.get("flags") or 0)
    intents = [name for bit, name in DISCORD_PRIVILEGED_INTENTS.items() if flags & bit]
    parts = [
        f"token valid: {bot}, application {app_id}",
        "public bot" if application.get("bot_public") else "private bot (only you can add it)",
        f"privileged intents on: {', '.join(intents)} (not needed)"
        if intents
        else "no privileged intents (none needed)",
    ]
    servers = application.get("approximate_guild_count")
    if isinstance(servers, int):
        parts.append(f"in {servers} server{'' if servers == 1 else 's'}")
    found = [Finding(OK, "Discord", "; ".join(parts))]
    if application.get("bot_require_code_grant"):
        fix = (
            "Requires OAuth2 Code Grant is on: the README's invite link will not work; turn it "
            "off under Bot"
        )
        found.append(Finding(FIX, "Discord invite", fix))
    elif servers == 0:
        invite = f"in no server yet; a server admin adds it with {DISCORD_INVITE.format(id=app_id)}"
        found.append(Finding(UNSET, "Discord invite", invite))
    return found
