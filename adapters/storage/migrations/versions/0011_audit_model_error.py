"""Audits keep the share of fakes allowing for the classifier's error, and the rates used.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audits") as batch:
        batch.add_column(sa.Column("share_low", sa.Float(), nullable=True))
        batch.add_column(sa.Column("share_high", sa.Float(), nullable=True))
        batch.add_column(sa.Column("error_rates", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audits") as batch:
        batch.drop_column("error_rates")
        batch.drop_column("share_high")
        batch.drop_column("share_low")
