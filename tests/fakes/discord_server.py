"""A local fake Discord: REST (`/api/v10`) and the gateway websocket, on one aiohttp server.

The real discord.py client connects to it. It speaks enough of the wire protocol for the
bot: login (`/users/@me`, `/oauth2/applications/@me`), the application
(`/applications/@me`, as `influencer-bot doctor` reads it), `/gateway/bot`, command sync,
interaction callbacks, webhook follow-ups and message edits, channel messages, and on the
websocket HELLO, IDENTIFY, heartbeats, READY, then INTERACTION_CREATE events the test
sends. Message payloads are checked against Discord's limits (400 50035 otherwise), and
a test can queue failures such as a 429 with `retry_after`.

Messages with files arrive as Discord takes them (and discord.py sends `discord.File`):
multipart/form-data with a `payload_json` part and `files[n]` parts that the payload's
`attachments` list refers to by id. Each message keeps its attachments (filename,
content type as Discord infers it from the name, bytes) and answers them as Discord's
attachment objects, served at their `url`; a file above `attachment_limit` gets 413
40005. A message records its `allowed_mentions`, and `pinged_*` says whom Discord
would notify.

Channel messages honour `nonce` with `enforce_nonce` as Discord documents it: when the
same author created a message with the same nonce within `nonce_window` seconds (Discord
says "the past few minutes"), that message is answered and no new one is created;
without `enforce_nonce` the nonce is only echoed back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import re
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
FAKE_BOT_TOKEN = "fake-bot-token"
HEARTBEAT_INTERVAL_MS = 41_250
EPHEMERAL = 1 << 6
GUILDS_INTENT = 1 << 0

# Interaction callback types
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT = 8


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float  # time.monotonic()
    status: int = 0


@dataclass
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class FakeAttachment:
    """A file on a message, as Discord stores it."""

    id: str
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Upload:
    """One `files[n]` part of a multipart request."""

    index: int
    filename: str
    data: bytes


@dataclass
class FakeMessage:
    id: str
    channel_id: str
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    interaction_id: str | None = None
    loading: bool = False  # a deferred "is thinking…" response
    edits: int = 0
    author_id: str = ""
    webhook_id: str | None = None
    attachments: list[FakeAttachment] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    nonce: str | None = None

    def update(self, body: dict[str, Any]) -> None:
        if "content" in body:
            self.content = body["content"] or ""
        if "embeds" in body:
            self.embeds = body["embeds"] or []
        if "components" in body:
            self.components = body["components"] or []
        if body.get("flags") is not None:
            self.flags |= int(body["flags"]) & EPHEMERAL
        if "allowed_mentions" in body:
            self.allowed_mentions = body["allowed_mentions"]

    def attachment(self, filename: str) -> FakeAttachment:
        return next(a for a in self.attachments if a.filename == filename)

    def _allowed(self, kind: str) -> tuple[bool, set[str]]:
        """(every mention of `kind` parsed, the ids listed) under Discord's rules."""
        allowed = self.allowed_mentions
        if allowed is None:  # no allowed_mentions: Discord parses everything
            return True, set()
        return kind in (allowed.get("parse") or []), {str(i) for i in allowed.get(kind) or []}

    @property
    def pinged_roles(self) -> set[str]:
        """The roles Discord would notify for this message's content."""
        parse_all, listed = self._allowed("roles")
        named = set(re.findall(r"<@&(\d+)>", self.content))
        return named if parse_all else named & listed

    @property
    def pinged_users(self) -> set[str]:
        parse_all, listed = self._allowed("users")
        named = set(re.findall(r"<@!?(\d+)>", self.content))
        return named if parse_all else named & listed

    @property
    def pings_everyone(self) -> bool:
        parse_all, _ = self._allowed("everyone")
        return parse_all and bool(re.search(r"@(everyone|here)", self.content))

    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", [])]

    def fields(self) -> list[dict[str, Any]]:
        return [f for e in self.embeds for f in e.get("fields", [])]


@dataclass
class FakeInteraction:
    """One interaction sent through the gateway, and everything the bot did about it."""

    id: str
    token: str
    payload: dict[str, Any]
    channel_id: str
    sent_at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    callback_at: float | None = None
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    followup_at: list[float] = field(default_factory=list)
    original_edits: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None  # autocomplete answer

    @property
    def callback_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def messages(self) -> list[FakeMessage]:
        """What the channel shows for this interaction: the response, then follow-ups."""
        shown = [self.original] if self.original is not None else []
        return shown + [m for m in self.followups if m is not self.original]


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    compress: str | None
    encoding: str
    identify: dict[str, Any] | None = None
    heartbeats: int = 0
    seq: int = 0
    session_id: str = field(default_factory=lambda: secrets.token_hex(16))
    _zlib: Any = None

    @property
    def shard(self) -> tuple[int, int]:
        if self.identify and self.identify.get("shard"):
            shard_id, count = self.identify["shard"]
            return int(shard_id), int(count)
        return 0, 1

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        if self.compress == "zlib-stream":
            # One zlib stream per connection; each message ends with a sync flush.
            if self._zlib is None:
                self._zlib = zlib.compressobj()
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(text)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.send({"op": 0, "t": event, "s": self.seq, "d": data})


class LimitError(ValueError):
    """A message payload Discord would refuse with 50035 Invalid Form Body."""


def check_message_limits(body: dict[str, Any]) -> None:
    """Discord's message limits, as its API enforces them."""
    content = body.get("content") or ""
    if len(content) > 2000:
        raise LimitError("content: must be 2000 or fewer in length")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise LimitError("embeds: must be 10 or fewer in length")
    total = 0
    for embed in embeds:
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        fields = embed.get("fields") or []
        if len(title) > 256 or len(description) > 4096 or len(footer) > 2048:
            raise LimitError("embed title/description/footer too long")
        if len(fields) > 25:
            raise LimitError("embed fields: must be 25 or fewer in length")
        for f in fields:
            if not f.get("name") or not f.get("value"):
                raise LimitError("embed field name and value are required")
            if len(f["name"]) > 256 or len(f["value"]) > 1024:
                raise LimitError("embed field too long")
            total += len(f["name"]) + len(f["value"])
        total += len(title) + len(description) + len(footer) + len(author)
    if total > 6000:
        raise LimitError(f"embeds: total size {total} exceeds 6000")
    rows = body.get("components") or []
    if len(rows) > 5:
        raise LimitError("components: must be 5 or fewer in length")
    for row in rows:
        buttons = row.get("components") or []
        if row.get("type") != 1 or len(buttons) > 5:
            raise LimitError("action row: at most 5 components")
        for b in buttons:
            if len(b.get("custom_id") or "") > 100 or len(b.get("label") or "") > 80:
                raise LimitError("button custom_id/label too long")


class FakeDiscord:
    """Start with `await fake.start()`; close with `await fake.close()`."""

    def __init__(
        self,
        *,
        token: str = FAKE_BOT_TOKEN,
        application_id: int = 1_100_000_000_000_000_001,
        guilds: dict[int, list[int]] | None = None,
        recommended_shards: int = 1,
    ) -> None:
        self.token = token
        self.application_id = str(application_id)
        self.bot_user_id = self.application_id
        # guild id -> its text channel ids
        self.guilds: dict[int, list[int]] = guilds or {
            1_200_000_000_000_000_001: [1_300_000_000_000_000_001, 1_300_000_000_000_000_002],
            1_200_000_000_000_000_002: [1_300_000_000_000_000_003],
        }
        self.forbidden_channels: dict[int, int] = {}  # channel id -> Discord error code (403)
        # The application as the developer portal set it: `flags` carries the privileged
        # intents (1 << 12 presence, 1 << 14 members, 1 << 18 message content, and their
        # "_LIMITED" twins one bit up); `bot_public` is "Public Bot".
        self.application_flags = 0
        self.bot_public = True
        self.bot_require_code_grant = False
        self.recommended_shards = recommended_shards
        self.requests: list[RecordedRequest] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" / "guild:<id>"
        self.command_puts: list[str] = []
        self.interactions: dict[str, FakeInteraction] = {}
        self.by_token: dict[str, FakeInteraction] = {}
        self.messages: dict[str, FakeMessage] = {}
        self.channel_posts: list[FakeMessage] = []
        # How long a nonce with `enforce_nonce` answers with its message, in seconds.
        self.nonce_window = 300.0
        self._nonces: dict[tuple[str, str], tuple[float, FakeMessage]] = {}
        # Discord's per-message file limit without boosts (interactions say it too).
        self.attachment_limit = 10_485_760
        self.sessions: list[GatewaySession] = []
        self._failures: list[Failure] = []
        self._ids = itertools.count(1_400_000_000_000_000_000)
        # (predicate, future) pairs, checked after every event: no lock, no mass wake-ups.
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future[None]]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Answers held back: (method, path pattern, seconds, requests left) (`hold_next`).
        self._holds: list[tuple[str, re.Pattern[str], float, list[int]]] = []
        self._released = asyncio.Event()

    # Lifecycle and addresses

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{channel}/{id}/{filename}", self._attachment_file)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        self._released.set()  # held answers go out now: nothing waits for them
        for session in self.sessions:
            if not session.ws.closed:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def new_id(self) -> str:
        return str(next(self._ids))

    # Waiting

    def _notify(self) -> None:
        waiting = []
        for predicate, future in self._waiters:
            if future.done():
                continue
            if predicate():
                future.set_result(None)
            else:
                waiting.append((predicate, future))
        self._waiters = waiting

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 5.0) -> None:
        """Wait until `predicate()` is true (it is checked after every request and event)."""
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        try:
            async with asyncio.timeout(seconds):
                await future
        finally:
            future.cancel()

    async def wait_connected(
        self, shards: int = 1, *, after: int = 0, seconds: float = 5.0
    ) -> None:
        """Until `shards` sessions opened after the first `after` ones got READY."""
        await self.wait_for(
            lambda: sum(1 for s in self.sessions[after:] if s.identify and s.seq) >= shards,
            seconds,
        )

    # Failure injection

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: dict[str, Any] | None = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` requests matching answer `status` with `body`."""
        self._failures.append(
            Failure(method, re.compile(path_regex), status, body or {}, headers or {}, times)
        )

    def rate_limit_next(
        self, method: str, path_regex: str, retry_after: float, *, times: int = 1
    ) -> None:
        """A per-route 429 as Discord sends it (`Via` header marks it as not Cloudflare)."""
        self.fail_next(
            method,
            path_regex,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            times=times,
            headers={
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Scope": "user",
            },
        )

    def hold_next(self, method: str, path_regex: str, seconds: float, *, times: int = 1) -> None:
        """Hold the answer to the next `times` matching requests for `seconds`: the
        request takes effect (a message is created) before its caller hears so."""
        self._holds.append((method, re.compile(path_regex), seconds, [times]))

    async def _hold(self, method: str, path: str) -> None:
        for wanted, pattern, seconds, left in self._holds:
            if wanted == method and left[0] > 0 and pattern.fullmatch(path):
                left[0] -= 1
                try:
                    async with asyncio.timeout(seconds):
                        await self._released.wait()
                except TimeoutError:
                    pass
                return

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    # Interactions the tests send

    def _user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }

    def _base_interaction(
        self, kind: int, guild_id: int | None, channel_id: int, user_id: int
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.new_id(),
            "application_id": self.application_id,
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            "version": 1,
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0, "name": "general", "position": 0},
            "locale": "en-US",
            "app_permissions": "2147503104",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id or user_id)},
            "attachment_size_limit": 10_485_760,
            "context": 0 if guild_id else 1,
        }
        if guild_id:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["channel"]["guild_id"] = str(guild_id)
            payload["member"] = {
                "user": self._user(user_id),
                "roles": [],
                "joined_at": _now_iso(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "2147483647",
            }
        else:
            payload["user"] = self._user(user_id)
        return payload

    def slash_payload(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int = 1_500_000_000_000_000_001,
        focused: str | None = None,
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND (or, with `focused`, AUTOCOMPLETE) interaction payload."""
        guild_id, channel_id = self._where(guild_id, channel_id)
        kind = 4 if focused else 2
        payload = self._base_interaction(kind, guild_id, channel_id, user_id)
        opts = []
        for key, value in (options or {}).items():
            typ = 4 if isinstance(value, int) and not isinstance(value, bool) else 3
            opt: dict[str, Any] = {"name": key, "type": typ, "value": value}
            if key == focused:
                opt["focused"] = True
            opts.append(opt)
        if subcommand:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        target = f"guild:{guild_id}" if f"guild:{guild_id}" in self.commands else "global"
        known = {c["name"]: c for c in self.commands.get(target, [])}
        data: dict[str, Any] = {
            "id": known.get(name, {}).get("id", self.new_id()),
            "name": name,
            "type": 1,
            "options": opts,
        }
        if target != "global":
            data["guild_id"] = str(guild_id)
        payload["data"] = data
        return payload

    def button_payload(
        self,
        message: FakeMessage,
        custom_id: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int = 1_500_000_000_000_000_002,
    ) -> dict[str, Any]:
        """A MESSAGE_COMPONENT interaction: a click on a button of `message`."""
        guild_id, channel_id = self._where(guild_id, channel_id or int(message.channel_id))
        payload = self._base_interaction(3, guild_id, channel_id, user_id)
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = self.message_payload(message)
        return payload

    def _where(self, guild_id: int | None, channel_id: int | None) -> tuple[int, int]:
        guild = guild_id or next(iter(self.guilds))
        channel = channel_id or self.guilds[guild][0]
        return guild, channel

    async def interact(self, payload: dict[str, Any]) -> FakeInteraction:
        """Send INTERACTION_CREATE on the shard that owns the guild."""
        interaction = FakeInteraction(
            id=payload["id"],
            token=payload["token"],
            payload=payload,
            channel_id=payload["channel_id"],
            sent_at=time.monotonic(),
        )
        self.interactions[interaction.id] = interaction
        self.by_token[interaction.token] = interaction
        session = self._session_for(int(payload.get("guild_id") or 0))
        interaction.sent_at = time.monotonic()
        await session.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def command(
        self, name: str, options: dict[str, Any] | None = None, **kwargs: Any
    ) -> FakeInteraction:
        return await self.interact(self.slash_payload(name, options, **kwargs))

    async def click(self, message: FakeMessage, custom_id: str, **kwargs: Any) -> FakeInteraction:
        return await self.interact(self.button_payload(message, custom_id, **kwargs))

    def _session_for(self, guild_id: int) -> GatewaySession:
        live = [s for s in self.sessions if s.identify and not s.ws.closed]
        if not live:
            raise RuntimeError("no gateway session is connected")
        count = live[0].shard[1]
        wanted = (guild_id >> 22) % count if guild_id else 0
        for session in live:
            if session.shard[0] == wanted:
                return session
        raise RuntimeError(f"shard {wanted} is not connected")

    async def answered(self, interaction: FakeInteraction, messages: int = 1) -> FakeInteraction:
        """Wait until the interaction was acknowledged and `messages` messages show for it."""

        def done() -> bool:
            if not interaction.callbacks:
                return False
            if interaction.callback_type == AUTOCOMPLETE_RESULT:
                return True
            shown = [m for m in interaction.messages if not m.loading]
            return len(shown) >= messages

        await self.wait_for(done)
        return interaction

    # REST

    def _message(self, channel_id: str, body: dict[str, Any], **extra: Any) -> FakeMessage:
        message = FakeMessage(
            id=self.new_id(), channel_id=channel_id, author_id=self.bot_user_id, **extra
        )
        message.update(body)
        self._attach(message, body)
        self.messages[message.id] = message
        return message

    def _attach(self, message: FakeMessage, body: dict[str, Any]) -> None:
        """Apply the payload's `attachments`: kept ones by id, new ones from `files[n]`."""
        uploads: dict[int, Upload] = {u.index: u for u in body.get("_files", [])}
        if "attachments" not in body:
            if uploads:  # files without an attachments list: all of them, in order
                body = {**body, "attachments": [{"id": i} for i in sorted(uploads)]}
            else:
                return
        kept = {a.id: a for a in message.attachments}
        result: list[FakeAttachment] = []
        for entry in body.get("attachments") or []:
            ref = entry.get("id")
            if isinstance(ref, int) and ref in uploads:
                upload = uploads[ref]
                filename = entry.get("filename") or upload.filename
                result.append(
                    FakeAttachment(self.new_id(), filename, _content_type(filename), upload.data)
                )
            elif str(ref) in kept:
                result.append(kept[str(ref)])
        message.attachments = result

    def attachment_payload(self, message: FakeMessage, a: FakeAttachment) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/attachments/{message.channel_id}/{a.id}/{a.filename}"
        return {
            "id": a.id,
            "filename": a.filename,
            "size": a.size,
            "url": url,
            "proxy_url": url,
            "content_type": a.content_type,
        }

    async def _attachment_file(self, request: web.Request) -> web.Response:
        for message in self.messages.values():
            for a in message.attachments:
                if a.id == request.match_info["id"]:
                    return web.Response(body=a.data, content_type=a.content_type.split(";")[0])
        return web.Response(status=404)

    def message_payload(self, message: FakeMessage) -> dict[str, Any]:
        return {
            "id": message.id,
            "channel_id": message.channel_id,
            "type": 20 if message.interaction_id else 0,
            "content": message.content,
            "embeds": message.embeds,
            "components": message.components,
            "attachments": [self.attachment_payload(message, a) for a in message.attachments],
            "mentions": [],
            "mention_roles": sorted(message.pinged_roles),
            "mention_everyone": message.pings_everyone,
            "pinned": False,
            "tts": False,
            "timestamp": _now_iso(),
            "edited_timestamp": _now_iso() if message.edits else None,
            "flags": message.flags | (1 << 7 if message.loading else 0),
            **({"nonce": message.nonce} if message.nonce is not None else {}),
            "author": {**self._user(int(self.bot_user_id)), "bot": True},
            "application_id": self.application_id,
            **({"webhook_id": message.webhook_id} if message.webhook_id else {}),
        }

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body = _multipart(request.headers["Content-Type"], raw)
        record = RecordedRequest(
            request.method, path, dict(request.query), body, dict(request.headers), arrived
        )
        self.requests.append(record)
        try:
            self._check_files(body)
            response = self._answer(request, path, body, arrived)
        except LimitError as err:
            response = _error(400, 50035, f"Invalid Form Body: {err}")
        except FileTooLarge:
            response = _error(413, 40005, "Request entity too large")
        record.status = response.status
        self._notify()
        await self._hold(request.method, path)
        return response

    def _check_files(self, body: Any) -> None:
        files = body.get("_files", []) if isinstance(body, dict) else []
        if sum(len(f.data) for f in files) > self.attachment_limit:
            raise FileTooLarge

    def _answer(self, request: web.Request, path: str, body: Any, arrived: float) -> web.Response:
        for failure in self._failures:
            matches = failure.method == request.method and failure.pattern.fullmatch(path)
            if failure.times > 0 and matches:
                failure.times -= 1
                return _json(failure.body, status=failure.status, headers=failure.headers)
        method = request.method
        app = self.application_id

        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(m[1], m[2], body or {}, arrived)
        if (m := re.fullmatch(rf"/webhooks/{app}/([^/]+)", path)) and method == "POST":
            return self._followup(m[1], body or {}, arrived)
        if m := re.fullmatch(rf"/webhooks/{app}/([^/]+)/messages/(@original|\d+)", path):
            return self._webhook_message(method, m[1], m[2], body or {})

        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        if path == "/users/@me" and method == "GET":
            return _json({**self._user(int(self.bot_user_id)), "bot": True})
        if path == "/oauth2/applications/@me" and method == "GET":
            return _json(self._application())
        if path == "/applications/@me" and method == "GET":
            bot = {**self._user(int(self.bot_user_id)), "bot": True}
            return _json(
                {**self._application(), "bot": bot, "approximate_guild_count": len(self.guilds)}
            )
        if path == "/gateway/bot" and method == "GET":
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 14_400_000,
                        "max_concurrency": 1,
                    },
                }
            )
        if m := re.fullmatch(rf"/applications/{app}(?:/guilds/(\d+))?/commands", path):
            target = f"guild:{m[1]}" if m[1] else "global"
            if method == "PUT":
                return self._put_commands(target, body or [])
            if method == "GET":
                return _json(self.commands.get(target, []))
        if (m := re.fullmatch(r"/channels/(\d+)/messages", path)) and method == "POST":
            return self._channel_message(m[1], body or {})
        return _error(404, 0, "404: Not Found")

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "Influencer Scout (fake)",
            "icon": None,
            "description": "",
            "bot_public": self.bot_public,
            "bot_require_code_grant": self.bot_require_code_grant,
            "verify_key": "0" * 64,
            "owner": self._user(1_500_000_000_000_000_099),
            "flags": self.application_flags,
            "team": None,
            "summary": "",
        }

    def _put_commands(self, target: str, body: list[dict[str, Any]]) -> web.Response:
        known = {c["name"]: c["id"] for c in self.commands.get(target, [])}
        stored = [
            {
                **cmd,
                "id": known.get(cmd["name"]) or self.new_id(),
                "application_id": self.application_id,
                "version": self.new_id(),
                "default_member_permissions": cmd.get("default_member_permissions"),
                **({"guild_id": target.split(":")[1]} if target != "global" else {}),
            }
            for cmd in body
        ]
        self.commands[target] = stored
        self.command_puts.append(target)
        return _json(stored)

    def _callback(
        self, interaction_id: str, token: str, body: dict[str, Any], arrived: float
    ) -> web.Response:
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction.token != token:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        data = body.get("data") or {}
        interaction.callbacks.append(body)
        interaction.callback_at = arrived
        result: dict[str, Any] = {"interaction": {"id": interaction_id, "type": kind}}
        if kind == AUTOCOMPLETE_RESULT:
            interaction.choices = data.get("choices", [])
        elif kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            check_message_limits(data)
            if body.get("_files"):
                data = {**data, "_files": body["_files"]}
            message = self._message(
                interaction.channel_id,
                data,
                interaction_id=interaction_id,
                loading=kind == DEFERRED_CHANNEL_MESSAGE,
                webhook_id=self.application_id,
            )
            interaction.original = message
            result["interaction"].update(
                response_message_id=message.id,
                response_message_loading=message.loading,
                response_message_ephemeral=bool(message.flags & EPHEMERAL),
            )
            result["resource"] = {"type": kind, "message": self.message_payload(message)}
        return _json(result)

    def _followup(self, token: str, body: dict[str, Any], arrived: float) -> web.Response:
        interaction = self.by_token.get(token)
        if interaction is None or not interaction.callbacks:
            return _error(404, 10015, "Unknown Webhook")
        check_message_limits(body)
        original = interaction.original
        if original is not None and original.loading:
            # Discord: the first follow-up to a deferred response replaces "is thinking…".
            original.loading = False
            original.update(body)
            self._attach(original, body)
            message = original
        else:
            message = self._message(
                interaction.channel_id,
                body,
                interaction_id=interaction.id,
                webhook_id=self.application_id,
            )
        interaction.followups.append(message)
        interaction.followup_at.append(arrived)
        return _json(self.message_payload(message))

    def _webhook_message(
        self, method: str, token: str, message_id: str, body: dict[str, Any]
    ) -> web.Response:
        interaction = self.by_token.get(token)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        if message_id == "@original":
            message = interaction.original
        else:
            message = self.messages.get(message_id)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        if method == "GET":
            return _json(self.message_payload(message))
        if method == "PATCH":
            check_message_limits(body)
            message.update(body)
            self._attach(message, body)
            message.loading = False
            message.edits += 1
            if message is interaction.original:
                interaction.original_edits.append(body)
            return _json(self.message_payload(message))
        return _error(405, 0, "405: Method Not Allowed")

    def _channel_message(self, channel_id: str, body: dict[str, Any]) -> web.Response:
        channel = int(channel_id)
        if channel in self.forbidden_channels:
            code = self.forbidden_channels[channel]
            text = {50001: "Missing Access", 50013: "Missing Permissions"}.get(code, "Forbidden")
            return _error(403, code, text)
        if not any(channel in channels for channels in self.guilds.values()):
            return _error(404, 10003, "Unknown Channel")
        check_message_limits(body)
        nonce = str(body["nonce"]) if body.get("nonce") is not None else None
        if nonce is not None and len(nonce) > 25:
            return _error(400, 50035, "Invalid Form Body: nonce must be 25 characters or fewer")
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((self.bot_user_id, nonce))
            if seen is not None and now - seen[0] <= self.nonce_window:
                return _json(self.message_payload(seen[1]))  # the repeat creates nothing
        message = self._message(channel_id, body)
        message.nonce = nonce
        if nonce is not None:
            self._nonces[(self.bot_user_id, nonce)] = (now, message)
        self.channel_posts.append(message)
        return _json(self.message_payload(message))

    # Gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(
            ws=ws,
            compress=request.query.get("compress"),
            encoding=request.query.get("encoding", "json"),
        )
        self.sessions.append(session)
        await session.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._on_gateway_message(session, json.loads(msg.data))
                self._notify()
        except ConnectionResetError:  # pragma: no cover - client went away mid-frame
            pass
        self._notify()
        return ws

    async def _on_gateway_message(self, session: GatewaySession, msg: dict[str, Any]) -> None:
        op, data = msg.get("op"), msg.get("d")
        if op == 1:  # heartbeat
            session.heartbeats += 1
            await session.send({"op": 11})
        elif op == 2:  # identify
            if not isinstance(data, dict) or data.get("token") != self.token:
                await session.ws.close(code=4004, message=b"Authentication failed.")
                return
            session.identify = data
            await self._ready(session)
        elif op == 6:  # resume
            session.identify = session.identify or {"token": self.token}
            await session.dispatch("RESUMED", {})

    async def _ready(self, session: GatewaySession) -> None:
        shard_id, count = session.shard
        mine = [g for g in self.guilds if (g >> 22) % count == shard_id]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self._user(int(self.bot_user_id)), "bot": True},
            "guilds": [{"id": str(g), "unavailable": True} for g in mine],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
        }
        if session.identify and session.identify.get("shard"):
            ready["shard"] = [shard_id, count]
        await session.dispatch("READY", ready)
        intents = int((session.identify or {}).get("intents", 0))
        if intents & GUILDS_INTENT:
            for guild_id in mine:
                await session.dispatch("GUILD_CREATE", self._guild(guild_id))

    def _guild(self, guild_id: int) -> dict[str, Any]:
        return {
            "id": str(guild_id),
            "name": f"guild {guild_id % 1000}",
            "icon": None,
            "owner_id": "1",
            "unavailable": False,
            "member_count": 2,
            "roles": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "members": [],
            "voice_states": [],
            "presences": [],
            "threads": [],
            "channels": [
                {"id": str(c), "type": 0, "name": f"channel-{c % 1000}", "position": i}
                for i, c in enumerate(self.guilds[guild_id])
            ],
        }


class FileTooLarge(Exception):
    """The files of one request exceed the attachment limit (Discord: 413, 40005)."""


def _content_type(filename: str) -> str:
    """What Discord says a file is, from its name (text gets a charset, as Discord's)."""
    guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body: `payload_json` as the body, `files[n]` under `_files`."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parsed = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    body: dict[str, Any] = {}
    files: list[Upload] = []
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        if name == "payload_json":
            body = json.loads(data)
        elif match := re.fullmatch(r"files\[(\d+)\]", name):
            files.append(Upload(int(match[1]), part.get_filename() or "unknown", data))
    body["_files"] = files
    return body


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", no charset: discord.py compares the header verbatim.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status=status)


@contextlib.asynccontextmanager
async def running_fake_discord(**kwargs: Any) -> Any:
    fake = FakeDiscord(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
