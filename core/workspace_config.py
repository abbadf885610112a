"""`/influencer-settings`: show and change one workspace's settings (issue 12).

Skeleton by the lead; the settings helper fills in `WorkspaceConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.commands import SettingsCommand
from core.models import Caller, Scope
from core.workspace_settings import SettingsChange, WorkspaceSettings


@dataclass(frozen=True, slots=True)
class SettingsView:
    """A workspace's settings as shown (effective values and which are its own), and
    what a `set`/`reset` changed."""

    scope: Scope
    settings: WorkspaceSettings
    effective: WorkspaceSettings
    changed: tuple[str, ...] = ()
    message: str = ""
    history: tuple[SettingsChange, ...] = ()
    source: str = ""


class WorkspaceConfig:
    """Show and change one workspace's settings (admins only for changes)."""

    async def handle(
        self, command: SettingsCommand, scope: Scope, caller: Caller | None
    ) -> SettingsView:
        raise NotImplementedError
