"""SQL implementation of `core.ports.JobClaims`: run-once claims for periodic jobs.

A claim is an `INSERT ... ON CONFLICT DO NOTHING RETURNING` on the job's key; a claim
whose lease ran out unfinished is taken over by a conditional UPDATE.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from adapters.storage.sql import SqlRepository, dialect_insert
from adapters.storage.tables import JobClaimRow, table

logger = logging.getLogger(__name__)

_claims = table(JobClaimRow)


class SqlJobClaims(SqlRepository):
    """The `job_claims` table."""

    async def claim_job(
        self, key: str, owner: str, *, now: datetime, lease: timedelta
    ) -> bool | None:
        insert = (
            dialect_insert(self._dialect, _claims)
            .values(job_key=key, owner=owner, lease_until=now + lease, created_at=now)
            .on_conflict_do_nothing(index_elements=["job_key"])
            .returning(_claims.c.job_key)
        )
        takeover = (
            update(_claims)
            .where(
                _claims.c.job_key == key,
                _claims.c.finished_at.is_(None),
                _claims.c.lease_until < now,
            )
            .values(owner=owner, lease_until=now + lease)
            .returning(_claims.c.job_key)
        )
        async with self._db.engine.begin() as conn:
            if (await conn.execute(insert)).first() is not None:
                return True
            if (await conn.execute(takeover)).first() is not None:
                logger.warning("took over job %s from an owner whose lease ran out", key)
                return False
        return None

    async def renew_job(self, key: str, owner: str, *, until: datetime) -> bool:
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                update(_claims)
                .where(
                    _claims.c.job_key == key,
                    _claims.c.owner == owner,
                    _claims.c.finished_at.is_(None),
                )
                .values(lease_until=until)
            )
        return bool(result.rowcount)

    async def finish_job(self, key: str, owner: str, *, now: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_claims)
                .where(_claims.c.job_key == key, _claims.c.owner == owner)
                .values(finished_at=now)
            )

    async def last_finished_job(self, prefix: str) -> datetime | None:
        """When the latest finished run of the jobs whose key starts with `prefix` ended."""
        stmt = select(func.max(_claims.c.finished_at)).where(_claims.c.job_key.startswith(prefix))
        async with self._db.engine.connect() as conn:
            ended: datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
        return ended
