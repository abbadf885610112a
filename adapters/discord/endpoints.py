"""Where the discord.py client sends REST calls and opens its gateway websocket.

discord.py keeps both as *class* attributes (`discord.http.Route.BASE`, used by every
REST and interaction-webhook call, and `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`);
no client or HTTP session has its own copy. So they are process-wide: one Discord
deployment per process, set once from settings before the client logs in. Tests and
rate-limit proxies point them elsewhere; `current_endpoints` lets tests restore them.
"""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


def current_endpoints() -> tuple[str, str]:
    """The REST base and the gateway URL the client would use now."""
    return Route.BASE, str(DiscordWebSocket.DEFAULT_GATEWAY)


def use_api_base(url: str) -> None:
    """Send every REST call (and interaction webhook call) to `url`, e.g. `.../api/v10`."""
    Route.BASE = url.rstrip("/")


def use_gateway(url: str) -> None:
    """Open the gateway websocket at `url` (`wss://…` or `ws://…`), for every shard."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def use_endpoints(api_base: str, gateway: str | None = None) -> None:
    """Point REST at `api_base` and, when given, the gateway at `gateway`."""
    use_api_base(api_base)
    if gateway:
        use_gateway(gateway)
