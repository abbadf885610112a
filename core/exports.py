"""Results to take away: CSV exports of a search and a watchlist, growth charts (issue 12).

Skeleton written by the lead; the exports helper fills it in.
"""

from __future__ import annotations

from core.models import FileAnswer, Scope, SearchResult


class Exports:
    """CSV files of searches and watchlists, PNG charts of follower growth."""

    async def search_csv(self, result: SearchResult) -> FileAnswer:
        raise NotImplementedError

    async def watchlist_csv(self, scope: Scope) -> FileAnswer:
        raise NotImplementedError

    async def chart(self, scope: Scope, handle: str, days: int) -> FileAnswer:
        raise NotImplementedError
