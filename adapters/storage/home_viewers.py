"""SQL implementation of `adapters.slack.home_publisher.HomeViewers`: who opened the Home tab.

One row per (team, user), the time of their latest visit: when a workspace's data
changes, the Home tabs of its recent viewers are published again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import SlackHomeViewerRow, table

_viewers = table(SlackHomeViewerRow)


class SqlHomeViewers(SqlRepository):
    """The `slack_home_viewers` table (migration 0008)."""

    async def record_viewer(self, team_id: str, user_id: str, *, at: datetime) -> None:
        stmt = dialect_insert(self._dialect, _viewers).values(
            team_id=team_id, user_id=user_id, last_opened_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "user_id"], set_={"last_opened_at": at}
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def recent_viewers(self, team_id: str, *, since: datetime, limit: int) -> list[str]:
        """Users of `team_id` who opened the tab since `since`, most recent first."""
        stmt = (
            select(_viewers.c.user_id)
            .where(_viewers.c.team_id == team_id, _viewers.c.last_opened_at >= since)
            .order_by(_viewers.c.last_opened_at.desc(), _viewers.c.user_id)
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            return list((await conn.execute(stmt)).scalars().all())

    async def forget_viewers(self, *, before: datetime) -> int:
        """Drop visits older than `before` (they are no longer republished)."""
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(_viewers).where(_viewers.c.last_opened_at < before))
        return result.rowcount or 0
