"""One account in full: `/profile @handle` (issue 12).

The account comes from storage when it was seen in the last day, else from one X user
lookup; its latest post date from a short timeline read (five posts, shared with the
search's timeline cache). Tier, growth, last audit and contact hints are read from what
is stored: nothing else is paid for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.contacts import contact_hints
from core.costs import CostMeter
from core.errors import UnknownHandle
from core.growth import growth
from core.models import Cost, ProfileView, Scope, TimelinePage, XUser
from core.ports import (
    AccountStore,
    AuditHistory,
    Clock,
    SearchCache,
    WorkspaceSettingsStore,
    XSource,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries, tier_for

# How fresh a stored account must be to be shown without asking X again.
FRESH_FOR = timedelta(days=1)
# The fewest posts X's timeline endpoint returns: enough to date the latest one.
LATEST_POSTS = 5
# The growth figures look back 90 days at most.
HISTORY = timedelta(days=104)  # the 90-day change needs a snapshot from before 90 days


class Profiles:
    """Look an account up and gather its tier, growth, last audit and contact hints."""

    def __init__(
        self,
        x: XSource,
        accounts: AccountStore,
        meter: CostMeter,
        clock: Clock,
        *,
        cache: SearchCache | None = None,
        audits: AuditHistory | None = None,
        bounds: TierBoundaries = DEFAULT_TIERS,
        workspace_settings: WorkspaceSettingsStore | None = None,
    ) -> None:
        self._x = x
        self._accounts = accounts
        self._meter = meter
        self._clock = clock
        self._cache = cache
        self._audits = audits
        self._bounds = bounds
        self._workspace_settings = workspace_settings

    async def profile(self, handle: str, scope: Scope) -> ProfileView:
        """The account behind `handle`; `UnknownHandle` when X has none."""
        handle = handle.strip().lstrip("@")
        now = self._clock.now()
        user, cost, from_cache = await self._user(handle, now)
        latest, timeline_cost = await self._latest_post(user, now)
        history = await self._accounts.follower_history([user.id], since=now - HISTORY)
        points = history.get(user.id, [])
        audit = None
        if self._audits is not None:
            found = (await self._audits.last_audits([user.id])).get(user.id)
            audit = found.summary if found is not None else None
        return ProfileView(
            user=user,
            tier=tier_for(user.followers, await self._bounds_for(scope)),
            contacts=contact_hints(user),
            cost=cost + timeline_cost,
            growth=growth(points, now) if points else None,
            last_audit=audit,
            latest_post_at=latest,
            # Served without asking X at all (the account and its timeline were stored).
            from_cache=from_cache and not timeline_cost.requests,
        )

    async def _user(self, handle: str, now: datetime) -> tuple[XUser, Cost, bool]:
        """(account, lookup cost, whether it came from storage)."""
        known = (await self._accounts.users_by_username([handle])).get(handle.lower())
        if known is not None:
            fresh = await self._accounts.users_by_ids([known.id], seen_since=now - FRESH_FOR)
            if known.id in fresh:
                return fresh[known.id], Cost(), True
        await self._meter.ensure_affordable(0, 1)
        page = await self._x.users_by_usernames([handle])
        cost = await self._meter.charge(requests=1, user_ids=[u.id for u in page.users])
        user = next((u for u in page.users if u.username.lower() == handle.lower()), None)
        if user is None:
            raise UnknownHandle([handle])
        await self._accounts.save_users([user], now)  # a follower snapshot for its growth
        return user, cost, False

    async def _latest_post(self, user: XUser, now: datetime) -> tuple[datetime | None, Cost]:
        """When the account last posted (its five latest posts), and what reading cost.

        Skipped (None, free) for an account with no posts or a protected one, and when
        the budget cannot pay for it: the rest of the profile is still worth showing.
        """
        if user.post_count == 0 or user.protected:
            return None, Cost()
        # The key search verification uses: a timeline read today is not paid twice.
        key = f"timeline|{self._x.name}|{user.id}|{LATEST_POSTS}"
        page = None
        if self._cache is not None:
            page = await self._cache.get_cached(key, now.date(), kind=TimelinePage)
        cost = Cost()
        if page is None:
            if not await self._meter.affordable(LATEST_POSTS, 0):
                return None, Cost()
            page = await self._x.user_timeline(user.id, max_results=LATEST_POSTS)
            cost = await self._meter.charge(
                requests=1, timeline_post_ids=[p.id for p in page.posts]
            )
            if self._cache is not None:
                await self._cache.put_cached(key, now.date(), value=page)
        latest = max((p.created_at for p in page.posts if p.created_at), default=None)
        return latest, cost

    async def _bounds_for(self, scope: Scope) -> TierBoundaries:
        """The workspace's own tier boundaries when it set some, else the deployment's."""
        if self._workspace_settings is None:
            return self._bounds
        own = await self._workspace_settings.workspace_settings(scope.platform, scope.workspace)
        return own.bounds if own is not None and own.bounds is not None else self._bounds
