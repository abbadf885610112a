"""SQL implementation of `core.ports.AuditStore` (and so `AuditHistory`): follower audits.

A result is keyed by (account, requested sample, UTC day, source); saving the same key
again replaces it in one `INSERT ... ON CONFLICT DO UPDATE`, so two instances auditing
the same account at once leave one row, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from adapters.storage.codecs import decode_reason_counts, encode_reason_counts
from adapters.storage.sql import SqlRepository, chunks, dialect_insert
from adapters.storage.tables import AuditRow, table
from core.models import AuditResult, Cost

_audits = table(AuditRow)
_KEY = ("user_id", "requested_sample", "day", "source")


def _row(result: AuditResult) -> dict[str, Any]:
    return {
        "user_id": result.user_id,
        "username": result.handle,
        "name": result.name,
        "followers": result.followers,
        "requested_sample": result.requested_sample,
        "day": result.observed_at.date(),
        "source": result.source,
        "observed_at": result.observed_at,
        "sample_size": result.sample_size,
        "fake_count": result.fake_count,
        "fake_share": result.fake_share,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "mean_probability": result.mean_probability,
        "threshold": result.threshold,
        "top_reasons": encode_reason_counts(result.top_reasons),
        "requests": result.cost.requests,
        "posts_read": result.cost.posts_read,
        "users_read": result.cost.users_read,
        "usd": result.cost.usd,
        "pages_read": result.pages_read,
        "partial": result.partial,
        "share_low": result.share_low,
        "share_high": result.share_high,
        "error_rates": None
        if result.people_flagged is None or result.fakes_caught is None
        else [*result.people_flagged, *result.fakes_caught],
    }


def _result(row: Row[Any]) -> AuditResult:
    rates = row.error_rates if row.error_rates and len(row.error_rates) == 4 else None
    return AuditResult(
        user_id=row.user_id,
        handle=row.username,
        name=row.name,
        followers=row.followers,
        requested_sample=row.requested_sample,
        sample_size=row.sample_size,
        fake_count=row.fake_count,
        fake_share=row.fake_share,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        mean_probability=row.mean_probability,
        top_reasons=decode_reason_counts(row.top_reasons),
        cost=Cost(row.requests, row.posts_read, row.users_read, row.usd),
        source=row.source,
        observed_at=row.observed_at,
        partial=row.partial,
        pages_read=row.pages_read,
        threshold=row.threshold,
        share_low=row.share_low,
        share_high=row.share_high,
        people_flagged=None if rates is None else (rates[0], rates[1]),
        fakes_caught=None if rates is None else (rates[2], rates[3]),
    )


class SqlAuditStore(SqlRepository):
    """The `audits` table."""

    async def cached_audit(
        self, user_id: str, sample: int, *, day: date, source: str
    ) -> AuditResult | None:
        """Today's complete audit of `user_id` for this requested sample and source."""
        stmt = select(_audits).where(
            _audits.c.user_id == user_id,
            _audits.c.requested_sample == sample,
            _audits.c.day == day,
            _audits.c.source == source,
            _audits.c.partial.is_(None),
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return _result(row) if row is not None else None

    async def save_audit(self, result: AuditResult) -> None:
        """Insert the result, or replace the one stored under the same key that day."""
        values = _row(result)
        stmt = dialect_insert(self._dialect, _audits).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={name: stmt.excluded[name] for name in values if name not in _KEY},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)

    async def last_audits(self, user_ids: Sequence[str]) -> dict[str, AuditResult]:
        """The most recent audit of each account that has one (complete or partial)."""
        wanted = sorted(set(user_ids))
        latest: dict[str, AuditResult] = {}
        async with self._db.engine.connect() as conn:
            for chunk in chunks(wanted):
                stmt = (
                    select(_audits)
                    .where(_audits.c.user_id.in_(chunk))
                    .order_by(_audits.c.observed_at, _audits.c.id)
                )
                for row in await conn.execute(stmt):
                    latest[row.user_id] = _result(row)  # ordered: the last one wins
        return latest
