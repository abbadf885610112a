"""Small SQL helpers every repository shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

_T = TypeVar("_T")

# Bound parameters per IN (...) list: SQLite allows 32,766 in all, PostgreSQL 65,535;
# 500 keeps statements small and plans cacheable.
IN_CHUNK = 500


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
