"""The Scout: one entry point that every adapter calls with a parsed command.

Adapters parse (`core.commands.parse_command`), call `Scout.handle`, and render the
reply type they get back; they hold no logic of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.audit import Audits
from core.commands import (
    AuditCommand,
    Command,
    DigestAction,
    DigestCommand,
    FindInfluencers,
    HelpCommand,
    ProfileCommand,
    SettingsCommand,
    WatchAction,
    WatchlistCommand,
    command_spec,
)
from core.costs import CostMeter, spending_for
from core.discovery import Discovery
from core.errors import ScoutError
from core.exports import Exports
from core.models import (
    AuditNeedsConfirmation,
    AuditResult,
    Caller,
    Digest,
    DigestSubscriptionsView,
    FileAnswer,
    HelpView,
    NotifyChange,
    ProfileView,
    Scope,
    SearchRequest,
    SearchResult,
    WatchChange,
    WatchlistView,
)
from core.ports import DigestUseCases
from core.profiles import Profiles
from core.unit_of_work import held_writes
from core.watchlist import Watchlists
from core.workspace_config import SettingsView, WorkspaceConfig
from core.workspace_settings import WorkspaceSettings

Reply = (
    SearchResult
    | WatchChange
    | WatchlistView
    | DigestSubscriptionsView
    | Digest
    | HelpView
    | AuditResult
    | AuditNeedsConfirmation
    | FileAnswer
    | ProfileView
    | NotifyChange
    | SettingsView
)


@dataclass
class Scout:
    """Holds the use cases; `handle` dispatches a parsed command to one of them."""

    discovery: Discovery
    watchlists: Watchlists
    meter: CostMeter
    digests: DigestUseCases | None = None
    audit: Audits | None = None
    exports: Exports | None = None
    profiles: Profiles | None = None
    workspaces: WorkspaceConfig | None = None

    @property
    def source(self) -> str:
        """`"x-api"` or `"sample"`."""
        return self.discovery.source_name

    async def find(self, request: SearchRequest) -> SearchResult:
        return await self.discovery.search(request)

    async def handle(self, command: Command, scope: Scope, caller: Caller | None = None) -> Reply:
        """The reply to `command`, with the X source that answered it on every reply type.

        `caller` is who sent it (None: the deployment's own console or command line).
        """
        # The workspace's overrides, read once per command: they say whose X spend this
        # is (its budget share, if it has one) and how its searches rank.
        own = await self.workspaces.own(scope) if self.workspaces else None
        spender = None
        if self.workspaces is not None and own is not None:
            spender = self.workspaces.spender_of(scope, own)
        # What the command caches goes out in one transaction when it ends (X is not
        # read twice within it: its own reads see what it holds).
        async with held_writes():
            with spending_for(spender):
                reply = await self._dispatch(command, scope, caller, own)
        # Use cases that never touch X (watchlists, subscriptions, help) leave `source`
        # empty; the answer still comes from this bot, so it says which data it runs on.
        if not reply.source:
            reply = replace(reply, source=self.source)
        return reply

    async def _search(self, request: SearchRequest, own: WorkspaceSettings | None) -> SearchResult:
        """A search ranked by the asking workspace's own settings (`own`), if it has any."""
        tuning = None
        if self.workspaces is not None and own is not None:
            tuning = self.workspaces.tuning_of(own)
        return await self.discovery.search(request, tuning=tuning)

    def _exports(self) -> Exports:
        if self.exports is None:
            raise ScoutError("Exports and charts are not enabled on this bot.")
        return self.exports

    async def _dispatch(
        self,
        command: Command,
        scope: Scope,
        caller: Caller | None,
        own: WorkspaceSettings | None,
    ) -> Reply:
        match command:
            case FindInfluencers(request=request, export="csv"):
                exports = self._exports()  # refused before X is read
                found = await self._search(request, own)
                # Nobody found: the usual answer, whose hint names the cause, not an
                # empty file.
                return await exports.search_csv(found) if found.results else found
            case FindInfluencers(request=request):
                return await self._search(request, own)
            case WatchlistCommand(action=WatchAction.EXPORT):
                return await self._exports().watchlist_csv(scope)
            case WatchlistCommand(action=WatchAction.CHART, handles=handles, days=days):
                return await self._exports().chart(scope, handles[0], days)
            case WatchlistCommand(action=WatchAction.NOTIFY, mention=mention):
                return await self.watchlists.notify(scope, mention)
            case WatchlistCommand(action=WatchAction.ADD, handles=handles):
                return await self.watchlists.add(scope, handles)
            case WatchlistCommand(action=WatchAction.REMOVE, handles=handles):
                return await self.watchlists.remove(scope, handles)
            case WatchlistCommand():
                return await self.watchlists.view(scope)
            case DigestCommand():
                return await self._digest(command, scope)
            case AuditCommand(handle=handle, sample=sample, confirmed=confirmed):
                if self.audit is None:
                    raise ScoutError("Follower audits are not enabled on this bot.")
                return await self.audit.audit(handle, sample, confirmed=confirmed)
            case ProfileCommand(handle=handle):
                if self.profiles is None:
                    raise ScoutError("Profiles are not enabled on this bot.")
                return await self.profiles.profile(handle, scope)
            case SettingsCommand():
                if self.workspaces is None:
                    raise ScoutError("Workspace settings are not enabled on this bot.")
                return await self.workspaces.handle(command, scope, caller, own=own)
            case HelpCommand(topic=topic):
                if topic:
                    command_spec(topic)  # unknown topic -> BadInput
                return HelpView(topic)
        raise AssertionError(command)  # pragma: no cover - Command is a closed union

    async def _digest(self, command: DigestCommand, scope: Scope) -> Reply:
        if self.digests is None:
            raise ScoutError("Weekly digests are not enabled on this bot.")
        match command.action:
            case DigestAction.SUBSCRIBE:
                return await self.digests.subscribe(
                    scope, command.niche, command.weekday, command.at, command.tz
                )
            case DigestAction.UNSUBSCRIBE:
                return await self.digests.unsubscribe(scope, command.niche)
            case DigestAction.PREVIEW:
                return await self.digests.preview(scope, command.niche)
            case DigestAction.LIST:
                return await self.digests.subscriptions(scope)
        raise AssertionError(command.action)  # pragma: no cover
