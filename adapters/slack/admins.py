"""Who sent a Slack request (`core.models.Caller`), and whether they administer the workspace.

Only commands that change workspace settings ask Slack (`users.info`); a failed
lookup counts as "not an admin", and the reason is kept for the refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import slack_error_code
from core.commands import Command, SettingsAction, SettingsCommand
from core.models import Caller

log = logging.getLogger(__name__)

ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


def needs_admin(command: Command) -> bool:
    """Whether the command changes workspace settings (so who sent it matters)."""
    return isinstance(command, SettingsCommand) and command.action in (
        SettingsAction.SET,
        SettingsAction.RESET,
    )


def caller_of(body: Mapping[str, Any]) -> Caller:
    """The sender of a slash command (`user_id`, `user_name`) or an action (`user`)."""
    user = body.get("user")
    if isinstance(user, Mapping):
        user_id = str(user.get("id") or "")
        name = str(user.get("username") or user.get("name") or "")
    else:
        user_id = str(body.get("user_id") or "")
        name = str(body.get("user_name") or "")
    return Caller(user_id=user_id, name=name)


async def admin_caller(client: AsyncWebClient, caller: Caller) -> tuple[Caller, str]:
    """The caller with `is_admin` from `users.info`; and why not, when the lookup failed."""
    if not caller.user_id:
        return caller, "Slack did not say who sent the command."
    try:
        response = await client.users_info(user=caller.user_id)
    except SlackApiError as err:
        code = slack_error_code(err) or "error"
        log.warning("users.info failed for an admin check: %s", code)
        return caller, f"Slack would not say whether you are a workspace admin ({code})."
    user = response.get("user")
    if not isinstance(user, Mapping):
        return caller, "Slack would not say whether you are a workspace admin."
    is_admin = any(bool(user.get(flag)) for flag in ADMIN_FLAGS)
    name = str(user.get("real_name") or user.get("name") or caller.name)
    return Caller(caller.user_id, name, is_admin), ""
