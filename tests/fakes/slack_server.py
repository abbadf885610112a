"""A real local HTTP server speaking the Slack Web API, plus what else Slack provides.

One aiohttp server on 127.0.0.1 answers:

- the Web API methods the bot calls (`auth.test`, `chat.postMessage`,
  `chat.postEphemeral`, `files.getUploadURLExternal`, `files.completeUploadExternal`,
  `views.publish`, `users.info`, `conversations.history`, `apps.connections.open`,
  `oauth.v2.access`) under `/api/`, recording every call with the token it carried;
- each channel's messages (`channel_messages`): posts with their `metadata`, and file
  shares with their comment, newest first in `conversations.history` (`oldest`, `limit`,
  `cursor`, metadata only with `include_all_metadata`), which needs `channels:history`
  (`groups:history` for a private `G...` channel) among the team's scopes
  (`set_scopes`), else `missing_scope`, and the bot in the channel, else `not_in_channel`;
- the upload URLs `files.getUploadURLExternal` hands out (`/upload/<file id>`), keeping
  the bytes (`uploaded`) and, once completed, the file (`files`);
- `response_url`s (`/hooks/<id>`), recording what the bot answered (5 uses each,
  like Slack);
- a Socket Mode websocket (`/socket`), which tests drive with `socket_send`.

    async with FakeSlack() as slack:
        slack.add_team("T1", "xoxb-t1")
        slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=7)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

RESPONSE_URL_USES = 5
# What a workspace grants a bot token unless a test says otherwise (the manifest's scopes).
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",
    "users:read",
    "usergroups:read",
    "channels:history",
    "groups:history",
)
# `conversations.history` answers at most this many messages a call (Slack: 999).
MAX_HISTORY_LIMIT = 999
# Slack's limit on the blocks of a view (a Home tab, a modal).
MAX_VIEW_BLOCKS = 100


@dataclass(frozen=True)
class ApiCall:
    """One Web API call: the method, the token it carried and its arguments."""

    method: str
    token: str | None
    args: dict[str, Any]


@dataclass
class _Fault:
    method: str
    error: str
    status: int
    retry_after: float | None
    times: int


@dataclass(frozen=True)
class SharedFile:
    """A completed upload: what was shared where, and the bytes Slack received."""

    id: str
    filename: str
    title: str
    data: bytes
    channel: str | None
    initial_comment: str | None
    thread_ts: str | None
    team_id: str


@dataclass
class User:
    """A workspace member as `users.info` returns them."""

    id: str
    name: str = "ann"
    real_name: str = "Ann Example"
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False


@dataclass
class Team:
    team_id: str
    bot_token: str
    name: str = "Test Team"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    # Sent back in the `x-oauth-scopes` header of every call the token makes, as Slack does.
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    users: dict[str, User] = field(default_factory=dict)
    # Channels the bot is a member of; None: every channel (uploads never fail).
    bot_channels: set[str] | None = None


@dataclass
class FakeSlack:
    """The fake Slack. Tokens must be registered (`add_team`) or calls fail `invalid_auth`."""

    app_token: str = "xapp-1-A1-test"
    client_id: str = "1111.2222"
    client_secret: str = "client-secret-for-tests"
    calls: list[ApiCall] = field(default_factory=list)
    hooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # `time.perf_counter()` of each post to a hook, for latency measurements.
    hook_times: dict[str, list[float]] = field(default_factory=dict)
    # Every post to a hook (refused ones too), in order: (hook id, the client's address);
    # posts from one address came over one kept-alive connection.
    hook_peers: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    socket_received: list[dict[str, Any]] = field(default_factory=list)
    # Bytes posted to each upload URL, by file id; completed files by id.
    uploaded: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, SharedFile] = field(default_factory=dict)
    # Every view published, per (team, user), oldest first.
    views: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # What each channel shows, per (team, channel), oldest first, as Slack's message objects.
    channel_messages: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # Slack caps `limit` for apps outside the Marketplace (15 since 2025); None: no cap.
    history_limit_cap: int | None = None

    def __post_init__(self) -> None:
        self.teams: dict[str, Team] = {}
        self._installs: dict[str, Team] = {}
        self._faults: list[_Fault] = []
        self._hook_ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        # Upload URLs handed out and not yet used: file id -> (team, filename, length).
        self._pending_uploads: dict[str, tuple[str, str, int]] = {}
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self._port = 0
        # Answers held back, by method: [seconds, calls left] (`hold_next`).
        self._holds: dict[str, list[float]] = {}
        self._released = asyncio.Event()

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info and other reads
        app.router.add_post("/hooks/{hook}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/oauth/v2/authorize", self._authorize_page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._released.set()  # held answers go out now: nothing waits for them
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/"

    @property
    def api_url(self) -> str:
        """What `SLACK_API_BASE_URL` should be."""
        return self.base_url + "api/"

    # --- test controls ----------------------------------------------------------------

    def add_team(
        self,
        team_id: str,
        bot_token: str,
        name: str = "Test Team",
        *,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
    ) -> Team:
        team = Team(
            team_id,
            bot_token,
            name,
            bot_user_id=f"UBOT{team_id}",
            bot_id=f"B{team_id}",
            scopes=scopes,
        )
        self.teams[bot_token] = team
        return team

    def set_scopes(self, bot_token: str, scopes: tuple[str, ...]) -> None:
        """What the workspace of `bot_token` granted (reported in `x-oauth-scopes`)."""
        self.teams[bot_token].scopes = scopes

    def messages_in(self, team_id: str, channel: str) -> list[dict[str, Any]]:
        """The messages a channel shows, oldest first (posts and file shares)."""
        return self.channel_messages.get((team_id, channel), [])

    def add_user(
        self,
        bot_token: str,
        user_id: str,
        *,
        name: str = "ann",
        real_name: str = "Ann Example",
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
    ) -> User:
        """A member of the workspace of `bot_token`, as `users.info` describes them."""
        user = User(user_id, name, real_name, is_admin, is_owner, is_primary_owner)
        self.teams[bot_token].users[user_id] = user
        return user

    def published(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """The views published to a user's Home tab, oldest first."""
        return self.views.get((team_id, user_id), [])

    async def wait_for_views(
        self, team_id: str, user_id: str, count: int = 1, within: float = 5.0
    ) -> list[dict[str, Any]]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.published(team_id, user_id)) >= count)
        return self.published(team_id, user_id)

    async def wait_for_files(self, count: int = 1, within: float = 5.0) -> list[SharedFile]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.files) >= count)
        return list(self.files.values())

    def add_install(self, code: str, team_id: str, bot_token: str) -> None:
        """`oauth.v2.access` with `code` installs the app in `team_id` with `bot_token`."""
        self._installs[code] = Team(team_id, bot_token, f"Team {team_id}")

    def fail_next(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._faults.append(_Fault(method, error, status, retry_after, times))

    def hold_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the answer to the next `times` calls of `method` for `seconds`: the call
        takes effect (a post shows in the channel) before its caller hears so."""
        self._holds[method] = [seconds, times]

    async def _hold(self, method: str) -> None:
        hold = self._holds.get(method)
        if hold is None or hold[1] <= 0:
            return
        hold[1] -= 1
        try:
            async with asyncio.timeout(hold[0]):
                await self._released.wait()
        except TimeoutError:
            pass

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def response_url(self) -> str:
        """A fresh `response_url` that records what is posted to it."""
        hook = f"h{next(self._hook_ids)}"
        self.hooks[hook] = []
        self.hook_times[hook] = []
        return f"{self.base_url}hooks/{hook}"

    def posted_to(self, response_url: str) -> list[dict[str, Any]]:
        return self.hooks[response_url.rsplit("/", 1)[-1]]

    def posted_at(self, response_url: str) -> list[float]:
        """`time.perf_counter()` when each post to `response_url` arrived."""
        return self.hook_times[response_url.rsplit("/", 1)[-1]]

    async def wait_for_posts(
        self, response_url: str, count: int = 1, within: float = 5.0
    ) -> list[dict[str, Any]]:
        """What was posted to `response_url`, once at least `count` posts arrived."""
        hook = response_url.rsplit("/", 1)[-1]
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.hooks[hook]) >= count)
        return self.hooks[hook]

    async def wait_for_calls(
        self, method: str, count: int = 1, within: float = 5.0
    ) -> list[ApiCall]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)

    async def wait_for_socket(self, within: float = 5.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: bool(self._sockets))

    async def socket_send(self, envelope: Mapping[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        await self._sockets[-1].send_str(json.dumps(envelope))

    async def wait_for_socket_message(
        self, envelope_id: str, within: float = 5.0
    ) -> dict[str, Any]:
        """The app's acknowledgement of `envelope_id`."""

        def found() -> dict[str, Any] | None:
            for message in self.socket_received:
                if message.get("envelope_id") == envelope_id:
                    return message
            return None

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        message = found()
        assert message is not None
        return message

    # --- plumbing ---------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        elif request.can_read_body:
            args.update({k: str(v) for k, v in (await request.post()).items()})
        return args

    @staticmethod
    def _token(request: web.Request, args: Mapping[str, Any]) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        token = args.get("token")
        return str(token) if token else None

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = self._token(request, args)
        self.calls.append(ApiCall(method, token, args))
        await self._notify()
        fault = self._take_fault(method)
        if fault is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(int(fault.retry_after))
            return web.json_response(
                {"ok": False, "error": fault.error}, status=fault.status, headers=headers
            )
        if method == "oauth.v2.access":
            return self._oauth_access(request, args)
        if method == "apps.connections.open":
            if token != self.app_token:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response(
                {"ok": True, "url": f"ws://127.0.0.1:{self._port}/socket?ticket=t"}
            )
        team = self.teams.get(token or "")
        if team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        response = await self._team_api(method, team, args)
        await self._hold(method)
        response.headers["x-oauth-scopes"] = ",".join(team.scopes)
        return response

    async def _team_api(self, method: str, team: Team, args: Mapping[str, Any]) -> web.Response:
        """The methods a workspace's bot token calls."""
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": f"https://{team.team_id.lower()}.slack.com/",
                    "team": team.name,
                    "user": "influencer-scout",
                    "team_id": team.team_id,
                    "user_id": team.bot_user_id,
                    "bot_id": team.bot_id,
                    "is_enterprise_install": False,
                }
            )
        if method in ("chat.postMessage", "chat.postEphemeral"):
            if not args.get("channel"):
                return web.json_response({"ok": False, "error": "channel_not_found"})
            blocks = args.get("blocks")
            if isinstance(blocks, list) and len(blocks) > 50:
                return web.json_response({"ok": False, "error": "invalid_blocks"})
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            if method == "chat.postMessage":
                metadata = args.get("metadata")
                if isinstance(metadata, str):  # a form post carries it as JSON text
                    try:
                        metadata = json.loads(metadata)
                    except ValueError:
                        return web.json_response({"ok": False, "error": "invalid_metadata_format"})
                self._keep_message(
                    team,
                    str(args["channel"]),
                    ts,
                    text=str(args.get("text") or ""),
                    blocks=blocks if isinstance(blocks, list) else None,
                    metadata=metadata if isinstance(metadata, dict) else None,
                )
                await self._notify()
            return web.json_response({"ok": True, "channel": args["channel"], "ts": ts})
        if method == "conversations.history":
            return self._history(team, args)
        if method == "files.getUploadURLExternal":
            return self._get_upload_url(team, args)
        if method == "files.completeUploadExternal":
            return await self._complete_upload(team, args)
        if method == "views.publish":
            return await self._views_publish(team, args)
        if method == "users.info":
            return self._users_info(team, args)
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    def _get_upload_url(self, team: Team, args: Mapping[str, Any]) -> web.Response:
        filename = str(args.get("filename") or "")
        try:
            length = int(args.get("length", ""))
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        if not filename or length <= 0:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        file_id = f"F{next(self._file_ids):06d}"
        self._pending_uploads[file_id] = (team.team_id, filename, length)
        return web.json_response(
            {"ok": True, "upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id}
        )

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: the raw bytes (or one multipart `file` part), length checked."""
        file_id = request.match_info["file_id"]
        pending = self._pending_uploads.get(file_id)
        if pending is None or file_id in self.uploaded:
            return web.Response(status=404, text="not found")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = form.get("file") or form.get("filename")
            data = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            data = await request.read()
        if len(data) != pending[2]:
            return web.Response(status=400, text="length mismatch")
        self.uploaded[file_id] = data
        await self._notify()
        return web.Response(text=f"OK - {len(data)}")

    async def _complete_upload(self, team: Team, args: Mapping[str, Any]) -> web.Response:
        try:
            listed = json.loads(str(args.get("files", "")))
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        if not isinstance(listed, list) or not listed:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        channel = args.get("channel_id") or None
        if (
            channel is not None
            and team.bot_channels is not None
            and channel not in team.bot_channels
        ):
            return web.json_response({"ok": False, "error": "not_in_channel"})
        answered = []
        for item in listed:
            file_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            pending = self._pending_uploads.get(file_id)
            if pending is None or pending[0] != team.team_id or file_id not in self.uploaded:
                return web.json_response({"ok": False, "error": "file_not_found"})
            filename = pending[1]
            title = str(item.get("title") or filename)
            del self._pending_uploads[file_id]
            self.files[file_id] = SharedFile(
                file_id,
                filename,
                title,
                self.uploaded[file_id],
                str(channel) if channel else None,
                str(args["initial_comment"]) if args.get("initial_comment") else None,
                str(args["thread_ts"]) if args.get("thread_ts") else None,
                team.team_id,
            )
            if channel is not None:  # a shared file shows as a message with its comment
                self._keep_message(
                    team,
                    str(channel),
                    f"{int(time.time())}.{next(self._ts):06d}",
                    text=str(args.get("initial_comment") or ""),
                    files=[{"id": file_id, "name": filename, "title": title}],
                )
            answered.append(
                {
                    "id": file_id,
                    "name": filename,
                    "title": title,
                    "size": len(self.uploaded[file_id]),
                    "permalink": f"https://{team.team_id.lower()}.slack.com/files/"
                    f"{team.bot_user_id}/{file_id}/{filename}",
                }
            )
        await self._notify()
        return web.json_response({"ok": True, "files": answered})

    def _keep_message(
        self,
        team: Team,
        channel: str,
        ts: str,
        *,
        text: str,
        blocks: list[Any] | None = None,
        metadata: dict[str, Any] | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> None:
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": team.bot_user_id,
            "bot_id": team.bot_id,
            "text": text,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if metadata is not None:
            message["metadata"] = metadata
        if files is not None:
            message["files"] = files
        self.channel_messages.setdefault((team.team_id, channel), []).append(message)

    def _history(self, team: Team, args: Mapping[str, Any]) -> web.Response:
        channel = str(args.get("channel") or "")
        if not channel:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        needed = "groups:history" if channel.startswith("G") else "channels:history"
        if needed not in team.scopes:
            return web.json_response(
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": needed,
                    "provided": ",".join(team.scopes),
                }
            )
        if team.bot_channels is not None and channel not in team.bot_channels:
            return web.json_response({"ok": False, "error": "not_in_channel"})
        try:
            oldest = float(args.get("oldest") or 0)
            limit = int(args.get("limit") or 100)
            start = int(args.get("cursor") or 0)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        limit = max(1, min(limit, MAX_HISTORY_LIMIT, self.history_limit_cap or limit))
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = [
            m for m in reversed(self.messages_in(team.team_id, channel)) if float(m["ts"]) > oldest
        ]
        page = newest_first[start : start + limit]
        if not with_metadata:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return web.json_response(
            {
                "ok": True,
                "messages": page,
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        )

    async def _views_publish(self, team: Team, args: Mapping[str, Any]) -> web.Response:
        user_id = str(args.get("user_id") or "")
        view = args.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                view = None
        if not user_id:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        if not isinstance(view, dict) or view.get("type") != "home":
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        blocks = view.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
            return web.json_response({"ok": False, "error": "invalid_blocks"})
        self.views.setdefault((team.team_id, user_id), []).append(view)
        await self._notify()
        view_id = f"V{team.team_id}{user_id}"
        return web.json_response(
            {"ok": True, "view": {"id": view_id, "team_id": team.team_id, **view}}
        )

    def _users_info(self, team: Team, args: Mapping[str, Any]) -> web.Response:
        user = team.users.get(str(args.get("user") or ""))
        if user is None:
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response(
            {
                "ok": True,
                "user": {
                    "id": user.id,
                    "team_id": team.team_id,
                    "name": user.name,
                    "real_name": user.real_name,
                    "is_admin": user.is_admin,
                    "is_owner": user.is_owner,
                    "is_primary_owner": user.is_primary_owner,
                    "is_bot": False,
                    "profile": {"real_name": user.real_name, "display_name": user.name},
                },
            }
        )

    def _oauth_access(self, request: web.Request, args: Mapping[str, Any]) -> web.Response:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        install = self._installs.pop(str(args.get("code")), None)
        if install is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        team = self.add_team(install.team_id, install.bot_token, install.name)
        return web.json_response(
            {
                "ok": True,
                "app_id": "A1",
                "authed_user": {"id": "UINSTALLER"},
                "scope": ",".join(DEFAULT_SCOPES),
                "token_type": "bot",
                "access_token": team.bot_token,
                "bot_user_id": team.bot_user_id,
                "team": {"id": team.team_id, "name": team.name},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        )

    async def _hook(self, request: web.Request) -> web.Response:
        hook = request.match_info["hook"]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.hook_peers.append((hook, tuple(peer) if peer else ()))
        if hook not in self.hooks:
            return web.Response(status=404, text="no_service")
        if len(self.hooks[hook]) >= RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        self.hooks[hook].append(await request.json())
        self.hook_times[hook].append(time.perf_counter())
        await self._notify()
        return web.Response(text="ok")

    async def _authorize_page(self, request: web.Request) -> web.Response:
        return web.Response(text=f"Slack would ask to install {request.query.get('client_id')}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        )
        await self._notify()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.socket_received.append(json.loads(message.data))
                    await self._notify()
        finally:
            self._sockets.remove(ws)
        return ws


# --- what Slack sends to the bot ----------------------------------------------------------


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
    }


def slash_command_payload(
    command: str,
    text: str,
    *,
    team: str,
    channel: str,
    user: str = "U1",
    response_url: str,
) -> dict[str, str]:
    """The form fields of a slash command, as Slack posts them."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": "ann",
        "command": command if command.startswith("/") else f"/{command}",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.abc",
    }


def slash_command_body(*args: Any, **kwargs: Any) -> str:
    return urlencode(slash_command_payload(*args, **kwargs))


def block_action_payload(
    action_id: str,
    value: str,
    *,
    team: str,
    channel: str,
    user: str = "U1",
    response_url: str,
    ephemeral: bool = True,
) -> dict[str, Any]:
    """A button click (`block_actions`), as Slack sends it."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "ann", "team_id": team},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": ephemeral},
        "trigger_id": "1.2.def",
        "team": {"id": team, "domain": team.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def block_action_body(*args: Any, **kwargs: Any) -> str:
    return urlencode({"payload": json.dumps(block_action_payload(*args, **kwargs))})


def app_home_opened_body(*, team: str, user: str = "U1", tab: str = "home") -> str:
    """An `app_home_opened` event as the Events API posts it (JSON)."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "A1",
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": f"D{user}",
                "tab": tab,
                "event_ts": f"{time.time():.6f}",
            },
            "type": "event_callback",
            "event_id": f"Ev{team}{user}{time.time_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": f"UBOT{team}", "is_bot": True}],
        }
    )


def signed_json_headers(secret: str, body: str) -> dict[str, str]:
    """`signed_headers` for a JSON body (events), as Slack sends them."""
    return {**signed_headers(secret, body), "Content-Type": "application/json"}
