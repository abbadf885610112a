"""The bundled sample's storage: stored follower history, completed with the sample's own.

X keeps no follower history: the bot builds it from its own refreshes, one snapshot a
day. On the sample a new user would see "not enough history yet" everywhere, so here
the history before the first stored snapshot comes from the sample (every answer on the
sample says it is sample data). Live X never uses this class.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.storage.database import Database
from adapters.storage.store import SqlStorage
from adapters.x.sample import SampleXSource
from core.models import FollowerPoint


class SampleHistoryStorage(SqlStorage):
    """`SqlStorage` whose follower history reaches back with the sample's made-up one."""

    def __init__(self, database: Database, sample: SampleXSource) -> None:
        super().__init__(database)
        self._sample = sample

    async def follower_history(
        self, user_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, list[FollowerPoint]]:
        stored = await super().follower_history(user_ids, since=since)
        made_up = await self._sample.follower_history(list(stored))
        merged: dict[str, list[FollowerPoint]] = {}
        for uid, points in stored.items():
            first = points[0].at if points else None
            # The sample's points before the first real one; never after it, so a
            # refresh's snapshots always win.
            earlier = [
                p
                for p in made_up.get(uid, [])
                if (first is None or p.at < first) and (since is None or p.at >= since)
            ]
            merged[uid] = [*earlier, *points]
        return merged
