"""Follower audits: one row per account, requested sample, UTC day and source.

Revision ID: 0003
Revises: 0002
Create Date: 2026-05-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_ID = sa.String(64)
_AT = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.Column("requested_sample", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("observed_at", _AT, nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("fake_count", sa.Integer(), nullable=False),
        sa.Column("fake_share", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=False),
        sa.Column("ci_high", sa.Float(), nullable=False),
        sa.Column("mean_probability", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("top_reasons", sa.JSON(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("posts_read", sa.Integer(), nullable=False),
        sa.Column("users_read", sa.Integer(), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.Column("pages_read", sa.Integer(), nullable=False),
        sa.Column("partial", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audits"),
        sa.UniqueConstraint("user_id", "requested_sample", "day", "source", name="uq_audits_key"),
    )
    op.create_index("ix_audits_user_observed", "audits", ["user_id", "observed_at"])


def downgrade() -> None:
    op.drop_index("ix_audits_user_observed", table_name="audits")
    op.drop_table("audits")
