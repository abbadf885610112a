"""Small SQL helpers every store shares, and the base they all build on."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, and_
from sqlalchemy.dialects import postgresql, sqlite

from adapters.storage.database import Database
from core.models import Scope

_T = TypeVar("_T")
_H = TypeVar("_H", bound=Hashable)

# Bound parameters per IN (...) list: SQLite allows 32,766 in all, PostgreSQL 65,535;
# 500 keeps statements small and plans cacheable.
IN_CHUNK = 500


class SqlRepository:
    """Holds the `Database` every store's methods run on (one per store module)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    @property
    def _dialect(self) -> str:
        return self._db.dialect

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._db.url!r})"


def dialect_insert(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """The dialect's INSERT, which (unlike the generic one) knows ON CONFLICT."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"No upsert for the {dialect!r} dialect")


def chunks(items: Sequence[_T], size: int = IN_CHUNK) -> Iterator[Sequence[_T]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_scope(table: Table, scope: Scope) -> Any:
    """Rows of `table` (which has platform, workspace and channel columns) in `scope`."""
    return and_(
        table.c.platform == scope.platform,
        table.c.workspace == scope.workspace,
        table.c.channel == scope.channel,
    )


def scope_of(row: Any) -> Scope:
    return Scope(row.platform, row.workspace, row.channel)


def unique(items: Iterable[_H]) -> list[_H]:
    """Items without repeats, in first-seen order."""
    return list(dict.fromkeys(items))


def handle(username: str) -> str:
    """Case-insensitive form of a handle as typed (`@Name`, `name`)."""
    return username.strip().lstrip("@").lower()


def niche_key(niche: str) -> str:
    """`"  Home Fitness"` and `"home fitness"` are the same niche."""
    return " ".join(niche.casefold().split())
