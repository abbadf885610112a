"""Who each channel's tier alerts mention (`/watchlist notify`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_notify",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("mention", sa.String(255), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", "channel", name="pk_channel_notify"),
    )


def downgrade() -> None:
    op.drop_table("channel_notify")
