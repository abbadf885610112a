"""ORM tables for scheduled work: digest subscriptions and runs, tier states, the outbox.

Created by migration 0002. Unique keys carry the exactly-once guarantees: a digest
period (`digest_runs` primary key), an account announced to a channel (`digest_sent`),
an outbox message (`outbox.dedupe_key`) and a periodic job's run (`job_claims`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from adapters.storage.tables import Base, BigId


class DigestSubscriptionRow(Base):
    """A channel's weekly digest of a niche, at a local weekday and time in a time zone."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "platform", "workspace", "channel", "niche_key", name="uq_digest_subscriptions_scope"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    niche: Mapped[str] = mapped_column(String(128))
    niche_key: Mapped[str] = mapped_column(String(512))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM"
    tz: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class DigestRunRow(Base):
    """One period of a subscription: claimed while building, done once enqueued."""

    __tablename__ = "digest_runs"

    subscription_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # the occurrence's local date
    scheduled_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # building | done
    owner: Mapped[str] = mapped_column(String(128))
    lease_until: Mapped[datetime]
    since: Mapped[datetime | None]
    until: Mapped[datetime | None]
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class DigestSentRow(Base):
    """An account a digest announced in a channel: never announced there again."""

    __tablename__ = "digest_sent"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    niche_key: Mapped[str] = mapped_column(String(512))
    subscription_id: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime]


class TierStateRow(Base):
    """The last confirmed tier of a tracked account (compare-and-set on `version`)."""

    __tablename__ = "tier_states"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(16))
    followers: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime]


class OutboxRow(Base):
    """A decided message waiting for (or done with) delivery."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_scope", "platform", "workspace", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    summary: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class ChannelPauseRow(Base):
    """A channel the bot was removed from: nothing is sent there until it is resumed."""

    __tablename__ = "channel_pauses"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    paused_at: Mapped[datetime]


class JobClaimRow(Base):
    """Who runs one period of a periodic job (e.g. the 12:00 UTC refresh), until when."""

    __tablename__ = "job_claims"

    job_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    lease_until: Mapped[datetime]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
