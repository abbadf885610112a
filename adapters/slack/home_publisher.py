"""`SlackHome`: publishes a workspace's App Home tab, and republishes it when data changes.

`app_home_opened` publishes the tab for that user at once and records the visit.
`refresh(team_id)` (after a watchlist, digest or settings change, or an alert
delivered to the workspace) republishes the tabs of its recent viewers in the
background, at most once every few seconds per team: changes in between coalesce.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import slack_error_code
from adapters.slack.home import home_view
from adapters.slack.sink import TokenSource
from core.home import Home
from core.ports import Clock
from core.tasks import TaskTracker

log = logging.getLogger(__name__)

PLATFORM = "slack"
# A change republishes the tabs of users who opened theirs this recently, at most this many.
RECENT_VIEWERS = timedelta(days=30)
MAX_REPUBLISH = 50
REFRESH_EVERY_SECONDS = 5.0


class HomeViewers(Protocol):
    """Who opened the Home tab, per team (`adapters.storage.home_viewers` implements it)."""

    async def record_viewer(self, team_id: str, user_id: str, *, at: datetime) -> None: ...

    async def recent_viewers(self, team_id: str, *, since: datetime, limit: int) -> list[str]:
        """Most recent first."""
        ...


class SlackHome:
    """The Home tab of each workspace: rendered from `core.home.Home`, sent by `views.publish`."""

    def __init__(
        self,
        home: Home,
        viewers: HomeViewers,
        clock: Clock,
        *,
        client: AsyncWebClient,
        tokens: TokenSource,
        work: TaskTracker,
        every: float = REFRESH_EVERY_SECONDS,
    ) -> None:
        self._home = home
        self._viewers = viewers
        self._clock = clock
        self._client = client
        self._tokens = tokens
        self._work = work
        self.every = every
        self._pending: set[str] = set()
        self._last: dict[str, float] = {}

    async def opened(self, team_id: str, user_id: str, client: AsyncWebClient) -> None:
        """`app_home_opened`: record the visit and publish with the request's own client."""
        await self._viewers.record_viewer(team_id, user_id, at=self._clock.now())
        await self.publish(team_id, [user_id], client=client)

    async def publish(
        self,
        team_id: str,
        user_ids: list[str],
        *,
        client: AsyncWebClient | None = None,
    ) -> int:
        """Publish the team's tab to each user; returns how many Slack accepted."""
        if not user_ids:
            return 0
        view = home_view(await self._home.view(PLATFORM, team_id))
        token = None if client is not None else await self._tokens(team_id)
        sender = client or self._client
        published = 0
        for user_id in user_ids:
            try:
                await sender.views_publish(user_id=user_id, view=view, token=token)
                published += 1
            except SlackApiError as err:
                # A user who left, or a revoked install: skip them, keep the others.
                log.warning(
                    "views.publish to %s/%s failed: %s", team_id, user_id, slack_error_code(err)
                )
        return published

    def refresh(self, team_id: str) -> None:
        """The team's data changed: republish its viewers' tabs soon (coalesced)."""
        if team_id in self._pending:
            return
        self._pending.add(team_id)
        self._work.spawn(self._refresh_later(team_id), f"slack home {team_id}")

    async def _refresh_later(self, team_id: str) -> None:
        try:
            wait = self._last.get(team_id, float("-inf")) + self.every - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        finally:
            # From here a new change schedules another pass (it may miss this one's read).
            self._pending.discard(team_id)
        self._last[team_id] = time.monotonic()
        since = self._clock.now() - RECENT_VIEWERS
        users = await self._viewers.recent_viewers(team_id, since=since, limit=MAX_REPUBLISH)
        await self.publish(team_id, users)
