"""Tier states per workspace: `tier_states` gains `tiering`, part of its primary key.

"" is the deployment's boundaries (every existing row), a workspace key
(`slack:T123`) a workspace with its own (issue 12). SQLite cannot change a primary
key in place, so batch mode copies the table; PostgreSQL drops and re-adds it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type: a migration must not follow later model edits.
_TIERING = sa.String(200)


def upgrade() -> None:
    with op.batch_alter_table("tier_states") as batch:
        batch.add_column(
            sa.Column("tiering", _TIERING, server_default="", nullable=False),
        )
        batch.drop_constraint("pk_tier_states", type_="primary")
        batch.create_primary_key("pk_tier_states", ["user_id", "tiering"])


def downgrade() -> None:
    # The older code keeps one state per account: the deployment's.
    op.execute(sa.text("DELETE FROM tier_states WHERE tiering <> ''"))
    with op.batch_alter_table("tier_states") as batch:
        batch.drop_constraint("pk_tier_states", type_="primary")
        batch.drop_column("tiering")
        batch.create_primary_key("pk_tier_states", ["user_id"])
