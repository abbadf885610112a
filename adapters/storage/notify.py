"""SQL implementation of `core.ports.NotifyStore`: who a channel's tier alerts mention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select

from adapters.storage.sql import SqlRepository, chunks, dialect_insert, in_scope, scope_of, unique
from adapters.storage.tables import MENTION_MAX_LENGTH, ChannelNotifyRow, table
from core.errors import BadInput
from core.models import Scope

_notify = table(ChannelNotifyRow)


class SqlNotifyStore(SqlRepository):
    """One mention per channel; none stored means alerts mention nobody."""

    async def set_mention(self, scope: Scope, mention: str | None, *, at: datetime) -> None:
        """Set (upsert) or, with None, clear the channel's mention."""
        async with self._db.engine.begin() as conn:
            if mention is None:
                await conn.execute(delete(_notify).where(in_scope(_notify, scope)))
                return
            if len(mention) > MENTION_MAX_LENGTH:
                raise BadInput("That mention is too long to be a user group, role or user.")
            stmt = dialect_insert(self._dialect, _notify).values(
                platform=scope.platform,
                workspace=scope.workspace,
                channel=scope.channel,
                mention=mention,
                updated_at=at,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["platform", "workspace", "channel"],
                set_={"mention": mention, "updated_at": at},
            )
            await conn.execute(stmt)

    async def mentions(self, scopes: Sequence[Scope]) -> dict[Scope, str]:
        """The mention of each of `scopes` that has one."""
        found: dict[Scope, str] = {}
        async with self._db.engine.connect() as conn:
            for batch in chunks(unique(scopes), 100):  # three bound values per scope
                query = select(_notify).where(or_(*(in_scope(_notify, s) for s in batch)))
                for row in await conn.execute(query):
                    found[scope_of(row)] = row.mention
        return found
