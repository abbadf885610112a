"""Who opened the Slack App Home tab, so a workspace's change republishes their tabs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_home_viewers",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("last_opened_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_slack_home_viewers"),
    )
    op.create_index(
        "ix_slack_home_viewers_last_opened_at", "slack_home_viewers", ["last_opened_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_slack_home_viewers_last_opened_at", table_name="slack_home_viewers")
    op.drop_table("slack_home_viewers")
