"""Initial schema: accounts, follower history, discoveries, watchlists, X cache and usage.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_ID = sa.String(64)
_AT = sa.DateTime(timezone=True)
_COUNT = sa.BigInteger()
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("username_lower", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", _AT, nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("default_avatar", sa.Boolean(), nullable=False),
        sa.Column("profile_image_url", sa.Text(), nullable=False),
        sa.Column("followers", _COUNT, nullable=False),
        sa.Column("following", _COUNT, nullable=False),
        sa.Column("post_count", _COUNT, nullable=False),
        sa.Column("listed_count", _COUNT, nullable=False),
        sa.Column("like_count", _COUNT, nullable=False),
        sa.Column("first_seen_at", _AT, nullable=False),
        sa.Column("last_seen_at", _AT, nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'active'"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_accounts"),
    )
    op.create_index("ix_accounts_username_lower", "accounts", ["username_lower"])

    op.create_table(
        "follower_snapshots",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("observed_at", _AT, nullable=False),
        sa.Column("followers", _COUNT, nullable=False),
        sa.Column("following", _COUNT, nullable=False),
        sa.Column("post_count", _COUNT, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["accounts.user_id"],
            name="fk_follower_snapshots_user_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_follower_snapshots"),
    )
    op.create_index(
        "ix_follower_snapshots_user_observed", "follower_snapshots", ["user_id", "observed_at"]
    )

    op.create_table(
        "discoveries",
        sa.Column("niche_key", sa.String(512), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("first_found_at", _AT, nullable=False),
        sa.Column("last_found_at", _AT, nullable=False),
        sa.Column("times_found", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("niche_key", "user_id", name="pk_discoveries"),
    )

    op.create_table(
        "watchlist",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("added_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watchlist"),
        sa.UniqueConstraint(
            "platform", "workspace", "channel", "user_id", name="uq_watchlist_scope_user"
        ),
    )
    op.create_index("ix_watchlist_user_id", "watchlist", ["user_id"])

    op.create_table(
        "search_cache",
        sa.Column("cache_key", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("cache_key", "day", name="pk_search_cache"),
    )

    op.create_table(
        "x_usage",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", _COUNT, nullable=False),
        sa.Column("posts_read", _COUNT, nullable=False),
        sa.Column("users_read", _COUNT, nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_x_usage"),
    )

    op.create_table(
        "x_reads",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("resource_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "resource_id", name="pk_x_reads"),
    )


def downgrade() -> None:
    op.drop_table("x_reads")
    op.drop_table("x_usage")
    op.drop_table("search_cache")
    op.drop_index("ix_watchlist_user_id", table_name="watchlist")
    op.drop_table("watchlist")
    op.drop_table("discoveries")
    op.drop_index("ix_follower_snapshots_user_observed", table_name="follower_snapshots")
    op.drop_table("follower_snapshots")
    op.drop_index("ix_accounts_username_lower", table_name="accounts")
    op.drop_table("accounts")
