"""Watchlists: which accounts a channel tracks. Handles are checked against X once.

A listing fills in each account's tier and, when audits are wired in, its latest
stored follower audit (read from storage: listing never reads X).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from core.costs import CostMeter
from core.errors import BadInput, ScoutError, UnknownHandle
from core.models import (
    AuditResult,
    Cost,
    NotifyChange,
    Scope,
    WatchChange,
    WatchEntry,
    WatchlistView,
    XUser,
)
from core.ports import (
    AccountStore,
    AuditHistory,
    Clock,
    NotifyStore,
    WatchlistStore,
    WorkspaceSettingsStore,
    XSource,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_for

LOOKUP_BATCH = 100


# How each chat platform writes a mention (`core.commands.parse_mention` accepts all).
_MENTION_PREFIXES = {"slack": ("<!subteam^", "<@U", "<@W"), "discord": ("<@&", "<@")}


def _speaks(platform: str, mention: str) -> bool:
    prefixes = _MENTION_PREFIXES.get(platform)
    if prefixes is None:  # the console and the command line store what they are given
        return True
    if platform == "discord":
        return mention[2:].lstrip("&").rstrip(">").isdigit()
    return mention.startswith(prefixes)


class Watchlists:
    """The `/watchlist` use cases, scoped to one platform/workspace/channel."""

    def __init__(  # noqa: PLR0913  five ports, then keyword-only options
        self,
        x: XSource,
        accounts: AccountStore,
        store: WatchlistStore,
        meter: CostMeter,
        clock: Clock,
        *,
        bounds: TierBoundaries = DEFAULT_TIERS,
        audits: AuditHistory | None = None,
        notify: NotifyStore | None = None,
        settings: WorkspaceSettingsStore | None = None,
    ) -> None:
        self._x = x
        self._accounts = accounts
        self._store = store
        self._meter = meter
        self._clock = clock
        self._bounds = bounds
        self._audits = audits
        self._notify = notify
        self._settings = settings

    async def resolve(self, handles: Sequence[str]) -> tuple[list[XUser], list[str], Cost]:
        """Accounts for handles: known ones from the database, the rest from X.

        Returns (users, handles X does not know, cost of the lookups).
        """
        known = await self._accounts.users_by_username(handles)
        unknown = [h for h in handles if h.lower() not in known]
        users = [known[h.lower()] for h in handles if h.lower() in known]
        missing: list[str] = []
        cost = Cost()
        for start in range(0, len(unknown), LOOKUP_BATCH):
            batch = unknown[start : start + LOOKUP_BATCH]
            await self._meter.ensure_affordable(0, len(batch))
            page = await self._x.users_by_usernames(batch)
            cost = cost + await self._meter.charge(requests=1, user_ids=[u.id for u in page.users])
            if page.users:
                await self._accounts.save_users(page.users, self._clock.now())
            found = {u.username.lower() for u in page.users}
            users.extend(page.users)
            missing.extend(h for h in batch if h.lower() not in found)
        return users, missing, cost

    async def add(self, scope: Scope, handles: Sequence[str]) -> WatchChange:
        users, missing, cost = await self.resolve(handles)
        if not users:
            raise UnknownHandle(missing)
        added, already = await self._store.watch(scope, users, added_at=self._clock.now())
        return WatchChange(
            added=tuple(added), already=tuple(already), not_found=tuple(missing), cost=cost
        )

    async def remove(self, scope: Scope, handles: Sequence[str]) -> WatchChange:
        removed = await self._store.unwatch(scope, handles)
        gone = {r.lower() for r in removed}
        return WatchChange(
            removed=tuple(removed), not_found=tuple(h for h in handles if h.lower() not in gone)
        )

    async def view(self, scope: Scope) -> WatchlistView:
        entries = await self._store.watchlist(scope)
        audits: Mapping[str, AuditResult] = {}
        if self._audits is not None and entries:
            audits = await self._audits.last_audits([e.user_id for e in entries])
        bounds = await self._bounds_of(scope)
        return WatchlistView(
            scope, tuple(self._filled(e, audits.get(e.user_id), bounds) for e in entries)
        )

    async def _bounds_of(self, scope: Scope) -> TierBoundaries:
        """The workspace's own tier boundaries, if it set them; else the deployment's."""
        own = None
        if self._settings is not None:
            own = await self._settings.workspace_settings(scope.platform, scope.workspace)
        return own.bounds if own is not None and own.bounds is not None else self._bounds

    async def notify(self, scope: Scope, mention: str | None) -> NotifyChange:
        """Set (or clear, with None) who this channel's tier alerts mention."""
        if self._notify is None:
            raise ScoutError("Alert mentions are not enabled on this bot.")
        if mention is not None and not _speaks(scope.platform, mention):
            # A Discord role pasted into Slack (or the other way) would never ping anyone.
            raise BadInput(
                f"That mention is not one {scope.platform.capitalize()} can deliver: pick the "
                "user group or role from this platform's @ menu."
            )
        await self._notify.set_mention(scope, mention, at=self._clock.now())
        return NotifyChange(scope, mention)

    def _filled(
        self, entry: WatchEntry, audit: AuditResult | None, bounds: TierBoundaries
    ) -> WatchEntry:
        tier = entry.tier if entry.followers is None else tier_for(entry.followers, bounds)
        last = entry.last_audit if audit is None else audit.summary
        return replace(entry, tier=tier, last_audit=last)
