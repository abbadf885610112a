"""`influencer-bot settings show|set|reset`: one workspace's settings, from the command line.

The command line is the deployment's own admin (no `Caller`), so it may set and reset
any workspace's settings: `--workspace slack:T123` names it (default: the console's).
Each change is logged as made by the deployment admin.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

from adapters.console.render import render
from bot.cli.flags import CONSOLE_PLATFORM, CONSOLE_WORKSPACE, command_of
from bot.cli.output import EXIT_OK, out, out_json
from bot.wiring import Services
from core.errors import BadInput
from core.models import Scope
from core.settings_wording import SETTING_NAMES, format_value, setting_value
from core.workspace_config import SettingsView

PLATFORMS = ("console", "slack", "discord")
DEFAULT_WORKSPACE = f"{CONSOLE_PLATFORM}:{CONSOLE_WORKSPACE}"


def workspace_scope(text: str) -> Scope:
    """`slack:T123` as the workspace's scope (its channel does not matter to settings)."""
    platform, sep, workspace = text.strip().partition(":")
    platform = platform.lower()
    if not sep or platform not in PLATFORMS or not workspace.strip():
        raise BadInput(
            f"--workspace looks like PLATFORM:ID ({', '.join(PLATFORMS)}), e.g. slack:T0123 "
            f"or discord:112233445566; not {text.strip()[:40]!r}."
        )
    return Scope(platform, workspace.strip(), "")


def _json_value(value: object) -> Any:
    """A setting's value as JSON: numbers stay numbers, tiers and weights objects."""
    if value is None or isinstance(value, int | float):
        return value
    return {f.name: getattr(value, f.name) for f in fields(value)}  # type: ignore[arg-type]


def settings_json(view: SettingsView) -> dict[str, Any]:
    """The `--json` shape (keys are a contract: add, never rename)."""
    return {
        "platform": view.scope.platform,
        "workspace": view.scope.workspace,
        "settings": {
            name: {
                "value": _json_value(setting_value(view.effective, name)),
                "text": format_value(name, setting_value(view.effective, name)),
                "own": setting_value(view.settings, name) is not None,
            }
            for name in SETTING_NAMES
        },
        "changed": list(view.changed),
        "message": view.message,
        "history": [
            {
                "at": c.at.isoformat(),
                "by_user_id": c.by_user_id,
                "by_name": c.by_name,
                "change": c.change,
            }
            for c in view.history
        ],
        "ceiling_usd": view.ceiling_usd,
        "spent_usd": view.spent_usd,
        "source": view.source,
    }


async def cmd_settings(svc: Services, args: argparse.Namespace) -> int:
    scope = workspace_scope(args.place)
    reply = await svc.scout.handle(command_of(args), scope)  # no caller: the admin
    if not isinstance(reply, SettingsView):  # pragma: no cover - the table builds settings
        raise TypeError(type(reply).__name__)
    if args.json:
        out_json(settings_json(reply))
    else:
        out(render(reply))
    return EXIT_OK
