"""Every table of the bot's schema, in one `metadata`, shared by SQLite and PostgreSQL.

The schema itself is created by the Alembic migrations in `migrations/versions/`;
these classes describe it for queries (and for `alembic revision --autogenerate`). Each
class is named `<what>Row`, so none shadows a core model of the same name. Unique keys
carry the exactly-once guarantees of scheduled work: a digest period (`digest_runs`
primary key), an account announced to a channel (`digest_sent`), an outbox message
(`outbox.dedupe_key`) and a periodic job's run (`job_claims`).
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
    Table,
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

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002  TypeDecorator signature
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


class AccountRow(Base):
    """The latest known profile of an X account."""

    __tablename__ = "accounts"
    # The watchlist refresh reads tracked accounts least recently seen first, a page at
    # a time from where the last page ended (migration 0010).
    __table_args__ = (Index("ix_accounts_last_seen_user", "last_seen_at", "user_id"),)

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


class FollowerSnapshotRow(Base):
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


class DiscoveryRow(Base):
    """An account found in a niche: digests announce each one only once."""

    __tablename__ = "discoveries"

    niche_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_found_at: Mapped[datetime]
    last_found_at: Mapped[datetime]
    times_found: Mapped[int] = mapped_column(Integer, default=1)


class WatchlistRow(Base):
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


class SearchCacheRow(Base):
    """A JSON answer reused for the rest of its UTC day (X charges once per day)."""

    __tablename__ = "search_cache"

    cache_key: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class XUsageRow(Base):
    """X API usage and cost per UTC day: the monthly budget sums these."""

    __tablename__ = "x_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    posts_read: Mapped[int] = mapped_column(BigInteger, default=0)
    users_read: Mapped[int] = mapped_column(BigInteger, default=0)
    usd: Mapped[float] = mapped_column(Float, default=0.0)


class XReadRow(Base):
    """A post or user already charged on a UTC day, so re-reading it is free."""

    __tablename__ = "x_reads"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)


# -- scheduled work (migration 0002) --------------------------------------------


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
    """The last confirmed tier of a tracked account in one tiering (compare-and-set on
    `version`): "" for the deployment's boundaries, else a workspace's key."""

    __tablename__ = "tier_states"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tiering: Mapped[str] = mapped_column(
        String(200), primary_key=True, default="", server_default=""
    )
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
    # Once taken over from an expired lease the message may have gone out: it stays so
    # (through retries) until delivered, and every try looks before it posts.
    reclaimed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
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


# -- follower audits (migration 0003) ------------------------------------------


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
    # The share of fakes allowing for the classifier's error, and the error rates used:
    # [people flagged low, high, fakes caught low, high]. NULL on audits from before.
    share_low: Mapped[float | None] = mapped_column(Float)
    share_high: Mapped[float | None] = mapped_column(Float)
    error_rates: Mapped[list[float] | None] = mapped_column(JSON)


# -- the Discord front end (migration 0004; older deployments made them themselves) --

# Discord autocomplete shows choices of at most 100 characters.
NICHE_MAX_LENGTH = 100


class DiscordCommandSyncRow(Base):
    """The hash of the slash-command set last synced to Discord, per application and target."""

    __tablename__ = "discord_command_syncs"

    application_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # "global", or "guild:<id>" for a development guild
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]


class DiscordGuildNicheRow(Base):
    """A niche searched in a Discord guild: its autocomplete suggestions."""

    __tablename__ = "discord_guild_niches"

    guild_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # lower-cased, so "Fitness" and "fitness" are one suggestion
    niche_key: Mapped[str] = mapped_column(String(NICHE_MAX_LENGTH), primary_key=True)
    niche: Mapped[str] = mapped_column(String(NICHE_MAX_LENGTH))
    uses: Mapped[int] = mapped_column(Integer, default=1)
    last_used_at: Mapped[datetime]


# -- alert mentions per channel (migration 0007) --

# Slack `<!subteam^S0123ABCD|@marketing-team>` and Discord `<@&123…>` both fit.
MENTION_MAX_LENGTH = 255


class ChannelNotifyRow(Base):
    """Who a channel's tier alerts mention (`/watchlist notify`), as the platform wrote it."""

    __tablename__ = "channel_notify"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(128), primary_key=True)
    mention: Mapped[str] = mapped_column(String(MENTION_MAX_LENGTH))
    updated_at: Mapped[datetime]


# -- the Slack App Home (migration 0008) --


class SlackHomeViewerRow(Base):
    """A Slack user who opened the app's Home tab: republished when the workspace changes."""

    __tablename__ = "slack_home_viewers"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_opened_at: Mapped[datetime] = mapped_column(index=True)


# -- settings per workspace (migration 0005) --


class WorkspaceSettingsRow(Base):
    """A workspace's own settings (`/influencer-settings`); NULL: the deployment's."""

    __tablename__ = "workspace_settings"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    # The five lower bounds, nano first
    tiers: Mapped[list[int] | None] = mapped_column(JSON)
    margin: Mapped[float | None] = mapped_column(Float)
    # {"engagement": ..., "relevance": ..., "authenticity": ..., "suspicion_penalty": ...}
    weights: Mapped[dict[str, float] | None] = mapped_column(JSON)
    min_relevance: Mapped[float | None] = mapped_column(Float)
    budget_usd: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(255))


class WorkspaceSettingsLogRow(Base):
    """One change of a workspace's settings, with who made it."""

    __tablename__ = "workspace_settings_log"
    __table_args__ = (Index("ix_workspace_settings_log_scope", "platform", "workspace", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    by_user_id: Mapped[str] = mapped_column(String(64))
    by_name: Mapped[str] = mapped_column(String(255))
    change: Mapped[str] = mapped_column(Text)


class WorkspaceUsageRow(Base):
    """X spend of one workspace (`slack:T123`) on a UTC day: its budget share's meter."""

    __tablename__ = "workspace_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(192), primary_key=True)
    usd: Mapped[float] = mapped_column(Float, default=0.0)


metadata = Base.metadata


def table(row: type[Base]) -> Table:
    """The Core `Table` behind a row class: the stores write Core SQL on these."""
    return row.__table__  # type: ignore[return-value]
