"""The Discord front end's tables: the last command sync, and niches per guild.

Earlier versions created them outside Alembic (`create_all` on the bot's engine), so a
deployment that ran Discord already has them: each is created only if missing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not follow later model edits.
_AT = sa.DateTime(timezone=True)
_NICHE = sa.String(100)


def upgrade() -> None:
    # Offline (`alembic upgrade --sql`) there is no database to look at: emit both.
    offline = op.get_context().as_sql
    existing = set() if offline else set(sa.inspect(op.get_bind()).get_table_names())
    if "discord_command_syncs" not in existing:
        op.create_table(
            "discord_command_syncs",
            sa.Column("application_id", sa.String(32), nullable=False),
            sa.Column("target", sa.String(64), nullable=False),
            sa.Column("payload_hash", sa.String(64), nullable=False),
            sa.Column("synced_at", _AT, nullable=False),
            sa.PrimaryKeyConstraint(
                "application_id", "target", name="pk_discord_command_syncs"
            ),
        )
    if "discord_guild_niches" not in existing:
        op.create_table(
            "discord_guild_niches",
            sa.Column("guild_id", sa.String(32), nullable=False),
            sa.Column("niche_key", _NICHE, nullable=False),
            sa.Column("niche", _NICHE, nullable=False),
            sa.Column("uses", sa.Integer(), nullable=False),
            sa.Column("last_used_at", _AT, nullable=False),
            sa.PrimaryKeyConstraint("guild_id", "niche_key", name="pk_discord_guild_niches"),
        )


def downgrade() -> None:
    # Left in place: the older code this returns to creates them itself when missing,
    # and keeps the command-sync hash and the guilds' niches it finds in them.
    pass
