"""ORM tables shared by SQLite and PostgreSQL.

The schema itself is created by the Alembic migrations in `migrations/versions/`;
these classes describe it for queries (and for `alembic revision --autogenerate`).
Later features add their own tables here and in a new migration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Predictable constraint names, so later migrations can alter them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACCOUNT_ACTIVE = "active"
ACCOUNT_MISSING = "missing"

# SQLite only turns INTEGER PRIMARY KEY into an auto-incrementing rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC, returned as aware UTC on both backends.

    SQLite keeps no offset and hands back naive values; PostgreSQL answers in the
    session's time zone. Naive input is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite would store the offset-less text anyway; be explicit that it is UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Account(Base):
    """The latest known profile of an X account."""

    __tablename__ = "accounts"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    username_lower: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(255), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime | None]
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    default_avatar: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_image_url: Mapped[str] = mapped_column(Text, default="")
    followers: Mapped[int] = mapped_column(BigInteger, default=0)
    following: Mapped[int] = mapped_column(BigInteger, default=0)
    post_count: Mapped[int] = mapped_column(BigInteger, default=0)
    listed_count: Mapped[int] = mapped_column(BigInteger, default=0)
    like_count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # 'missing' once X reports the account gone (suspended, deleted, renamed away).
    status: Mapped[str] = mapped_column(
        String(16), default=ACCOUNT_ACTIVE, server_default=text("'active'")
    )


class FollowerSnapshot(Base):
    """Follower counts of an account at one moment: the history behind tier alerts."""

    __tablename__ = "follower_snapshots"
    __table_args__ = (Index("ix_follower_snapshots_user_observed", "user_id", "observed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.user_id", ondelete="CASCADE")
    )
    observed_at: Mapped[datetime]
    followers: Mapped[int] = mapped_column(BigInteger)
    following: Mapped[int] = mapped_column(BigInteger)
    post_count: Mapped[int] = mapped_column(BigInteger)


class Discovery(Base):
    """An account found in a niche: digests announce each one only once."""

    __tablename__ = "discoveries"

    niche_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_found_at: Mapped[datetime]
    last_found_at: Mapped[datetime]
    times_found: Mapped[int] = mapped_column(Integer, default=1)


class WatchlistEntry(Base):
    """An account tracked on one channel of one workspace/guild of one platform."""

    __tablename__ = "watchlist"
    __table_args__ = (
        UniqueConstraint(
            "platform", "workspace", "channel", "user_id", name="uq_watchlist_scope_user"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    # The handle when added; the accounts table has the current one.
    username: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]


class SearchCacheEntry(Base):
    """A JSON answer reused for the rest of its UTC day (X charges once per day)."""

    __tablename__ = "search_cache"

    cache_key: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class XUsage(Base):
    """X API usage and cost per UTC day: the monthly budget sums these."""

    __tablename__ = "x_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    posts_read: Mapped[int] = mapped_column(BigInteger, default=0)
    users_read: Mapped[int] = mapped_column(BigInteger, default=0)
    usd: Mapped[float] = mapped_column(Float, default=0.0)


class XRead(Base):
    """A post or user already charged on a UTC day, so re-reading it is free."""

    __tablename__ = "x_reads"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
