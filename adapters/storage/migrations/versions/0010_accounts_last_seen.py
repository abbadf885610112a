"""Accounts by (last_seen_at, user_id): the refresh pages through tracked accounts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_accounts_last_seen_user", "accounts", ["last_seen_at", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_accounts_last_seen_user", table_name="accounts")
