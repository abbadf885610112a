"""ORM table for follower audits (created by migration 0003).

One row per (account, requested sample, UTC day, source): a repeat of the same audit
that day is read from here instead of from X, and the latest row per account is what a
watchlist shows as "last audit".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adapters.storage.tables import Base, BigId


class AuditRow(Base):
    """A follower audit's figures, reasons and cost."""

    __tablename__ = "audits"
    __table_args__ = (
        UniqueConstraint("user_id", "requested_sample", "day", "source", name="uq_audits_key"),
        Index("ix_audits_user_observed", "user_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    followers: Mapped[int] = mapped_column(BigInteger)
    requested_sample: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime]
    sample_size: Mapped[int] = mapped_column(Integer)
    fake_count: Mapped[int] = mapped_column(Integer)
    fake_share: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float] = mapped_column(Float)
    ci_high: Mapped[float] = mapped_column(Float)
    mean_probability: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    # [{"code": ..., "text": ..., "count": ...}, ...], most frequent first
    top_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    requests: Mapped[int] = mapped_column(Integer)
    posts_read: Mapped[int] = mapped_column(Integer)
    users_read: Mapped[int] = mapped_column(Integer)
    usd: Mapped[float] = mapped_column(Float)
    pages_read: Mapped[int] = mapped_column(Integer)
    # Why fewer followers than asked were read; such a result is never served as a repeat.
    partial: Mapped[str | None] = mapped_column(Text)
