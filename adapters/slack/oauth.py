"""Where OAuth installations live: slack_sdk's SQLAlchemy stores in the bot's database."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

# How long an installer has between "Add to Slack" and coming back (Bolt's default).
STATE_EXPIRATION_SECONDS = 600


async def sql_stores(
    engine: AsyncEngine, client_id: str
) -> tuple[AsyncSQLAlchemyInstallationStore, AsyncSQLAlchemyOAuthStateStore]:
    """The installation and OAuth-state stores, their tables created if missing.

    The tables (`slack_installations`, `slack_bots`, `slack_oauth_states`) belong to
    slack_sdk, so they are created with its own metadata rather than our migrations;
    `create_all` skips tables that exist, so every instance may call this at start.
    """
    installations = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine
    )
    await installations.create_tables()
    await states.create_tables()
    return installations, states
