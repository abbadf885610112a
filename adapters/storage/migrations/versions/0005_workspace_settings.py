"""Settings per workspace: the overrides, the log of changes, and spend per workspace.

`workspace_settings` holds what a workspace changed (NULL: the deployment's value),
`workspace_settings_log` who changed what and when, `workspace_usage` each
workspace's X spend per UTC day (its monthly budget share is checked against it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_AT = sa.DateTime(timezone=True)
_PLATFORM = sa.String(32)
_WORKSPACE = sa.String(128)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        sa.Column("platform", _PLATFORM, nullable=False),
        sa.Column("workspace", _WORKSPACE, nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=True),
        sa.Column("margin", sa.Float(), nullable=True),
        sa.Column("weights", sa.JSON(), nullable=True),
        sa.Column("min_relevance", sa.Float(), nullable=True),
        sa.Column("budget_usd", sa.Float(), nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", name="pk_workspace_settings"),
    )
    op.create_table(
        "workspace_settings_log",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("platform", _PLATFORM, nullable=False),
        sa.Column("workspace", _WORKSPACE, nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("by_user_id", sa.String(64), nullable=False),
        sa.Column("by_name", sa.String(255), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_settings_log"),
    )
    op.create_index(
        "ix_workspace_settings_log_scope",
        "workspace_settings_log",
        ["platform", "workspace", "at"],
    )
    op.create_table(
        "workspace_usage",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workspace", sa.String(192), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", "workspace", name="pk_workspace_usage"),
    )


def downgrade() -> None:
    op.drop_table("workspace_usage")
    op.drop_index("ix_workspace_settings_log_scope", table_name="workspace_settings_log")
    op.drop_table("workspace_settings_log")
    op.drop_table("workspace_settings")
