"""Scheduled work: digest subscriptions and runs, tier states, outbox, job claims.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_ID = sa.String(64)
_AT = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _scope() -> list[sa.Column[str]]:
    return [
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        *_scope(),
        sa.Column("niche", sa.String(128), nullable=False),
        sa.Column("niche_key", sa.String(512), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        sa.UniqueConstraint(
            "platform", "workspace", "channel", "niche_key", name="uq_digest_subscriptions_scope"
        ),
    )

    op.create_table(
        "digest_runs",
        sa.Column("subscription_id", _SERIAL, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("scheduled_at", _AT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("lease_until", _AT, nullable=False),
        sa.Column("since", _AT, nullable=True),
        sa.Column("until", _AT, nullable=True),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name="fk_digest_runs_subscription_id_digest_subscriptions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "period", name="pk_digest_runs"),
    )

    op.create_table(
        "digest_sent",
        *_scope(),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("niche_key", sa.String(512), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("sent_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint(
            "platform", "workspace", "channel", "user_id", name="pk_digest_sent"
        ),
    )

    op.create_table(
        "tier_states",
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(16), nullable=True),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_tier_states"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        *_scope(),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=False),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", _AT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("delivered_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_scope", "outbox", ["platform", "workspace", "channel", "status"])

    op.create_table(
        "channel_pauses",
        *_scope(),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paused_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", "channel", name="pk_channel_pauses"),
    )

    op.create_table(
        "job_claims",
        sa.Column("job_key", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("lease_until", _AT, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("job_key", name="pk_job_claims"),
    )


def downgrade() -> None:
    op.drop_table("job_claims")
    op.drop_table("channel_pauses")
    op.drop_index("ix_outbox_scope", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("tier_states")
    op.drop_table("digest_sent")
    op.drop_table("digest_runs")
    op.drop_table("digest_subscriptions")
