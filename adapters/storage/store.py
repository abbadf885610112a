"""The two composite stores the bot wires: `core.ports.Storage` and `core.ports.ScheduleStore`.

Each port's SQL lives in the module named for it (`cache`, `usage`, `accounts`, ...), as
one class over the shared `SqlRepository` base. The composites here are those classes
combined by inheritance, not by delegation: the ports are disjoint sets of methods and
every part keeps only the `Database`, so combining them adds no code that could drift
from the parts (a delegating wrapper would repeat every signature). A use case that
needs one port can still be handed just that part.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import delete

from adapters.storage.accounts import SqlAccountStore
from adapters.storage.cache import SqlSearchCache
from adapters.storage.digests import SqlDigestStore
from adapters.storage.job_claims import SqlJobClaims
from adapters.storage.notify import SqlNotifyStore
from adapters.storage.outbox import SqlOutboxStore
from adapters.storage.tables import SearchCacheRow, XReadRow, table
from adapters.storage.tier_states import SqlTierStateStore
from adapters.storage.usage import SqlUsageLedger
from adapters.storage.watchlists import SqlWatchlistStore
from adapters.storage.workspace_settings import SqlWorkspaceSettingsStore

logger = logging.getLogger(__name__)

_cache = table(SearchCacheRow)
_reads = table(XReadRow)


class SqlStorage(
    SqlSearchCache,
    SqlUsageLedger,
    SqlAccountStore,
    SqlWatchlistStore,
    SqlNotifyStore,
    SqlWorkspaceSettingsStore,
):
    """SearchCache, UsageLedger, AccountStore, WatchlistStore, NotifyStore and
    WorkspaceSettingsStore (with spend per workspace) over one `Database`."""

    async def prune(self, before: date) -> int:
        """Delete cache entries and charged-read markers of days before `before`.

        Both are only useful within their UTC day; a daily job keeps the tables small.
        """
        async with self._db.engine.begin() as conn:
            cache = await conn.execute(delete(_cache).where(_cache.c.day < before))
            reads = await conn.execute(delete(_reads).where(_reads.c.day < before))
        removed = (cache.rowcount or 0) + (reads.rowcount or 0)
        logger.info("Pruned %d cache/read rows older than %s", removed, before)
        return removed


class SqlScheduleStore(SqlTierStateStore, SqlJobClaims, SqlDigestStore, SqlOutboxStore):
    """Tier states, job claims, digests and the outbox over one `Database`."""


if TYPE_CHECKING:
    from adapters.storage.audits import SqlAuditStore
    from core.ports import AuditStore, ScheduleStore, Storage

    def _implements_ports(
        storage: SqlStorage, schedule: SqlScheduleStore, audits: SqlAuditStore
    ) -> tuple[Storage, ScheduleStore, AuditStore]:
        """Lets mypy prove the SQL stores satisfy the ports they are wired as."""
        return storage, schedule, audits
