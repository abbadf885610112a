"""In-memory fakes of the core's ports, for unit tests of the core only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from adapters.storage.codecs import decode_cached, encode_cached
from core.models import AuditResult, FollowerPoint, Scope, WatchEntry, XUser
from core.ports import Cached, CachedT
from core.workspace_settings import SettingsChange, WorkspaceSettings


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 16, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class MemoryStorage:
    """Implements SearchCache, UsageLedger, AccountStore and WatchlistStore in dicts.

    The cache keeps what the SQL one stores (the JSON of `adapters.storage.codecs`), so
    unit tests see a value come back as a day's repeat search would.
    """

    cache: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    reads: set[tuple[date, str, str]] = field(default_factory=set)
    usage: dict[date, dict[str, float]] = field(default_factory=dict)
    accounts: dict[str, XUser] = field(default_factory=dict)
    seen_at: dict[str, datetime] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    snapshots: list[tuple[str, datetime, int]] = field(default_factory=list)
    discoveries: dict[tuple[str, str], datetime] = field(default_factory=dict)
    watch_rows: dict[tuple[Scope, str], datetime] = field(default_factory=dict)

    async def get_cached(self, key: str, day: date, *, kind: type[CachedT]) -> CachedT | None:
        payload = self.cache.get((key, day))
        return decode_cached(kind, payload) if payload is not None else None

    async def put_cached(self, key: str, day: date, *, value: Cached) -> None:
        self.cache[(key, day)] = encode_cached(value)

    async def mark_read(self, day: date, kind: str, *, ids: Sequence[str]) -> int:
        new = {(day, kind, i) for i in ids} - self.reads
        self.reads |= new
        return len(new)

    async def record_usage(
        self, day: date, *, requests: int, posts_read: int, users_read: int, usd: float
    ) -> None:
        row = self.usage.setdefault(
            day, {"requests": 0, "posts_read": 0, "users_read": 0, "usd": 0.0}
        )
        row["requests"] += requests
        row["posts_read"] += posts_read
        row["users_read"] += users_read
        row["usd"] += usd

    async def spent_usd(self, start: date, end: date) -> float:
        return sum(row["usd"] for day, row in self.usage.items() if start <= day <= end)

    async def save_users(self, users: Sequence[XUser], observed_at: datetime) -> None:
        for user in users:
            self.accounts[user.id] = user
            self.seen_at[user.id] = observed_at
            self.missing.discard(user.id)
            self.snapshots.append((user.id, observed_at, user.followers))

    async def mark_missing(self, user_ids: Sequence[str]) -> None:
        """What the watchlist refresh does to accounts X stopped returning."""
        self.missing.update(user_ids)

    async def users_by_username(self, usernames: Sequence[str]) -> dict[str, XUser]:
        wanted = {u.lower() for u in usernames}
        return {
            u.username.lower(): u
            for u in self.accounts.values()
            if u.username.lower() in wanted and u.id not in self.missing
        }

    async def users_by_ids(
        self, ids: Sequence[str], *, seen_since: datetime | None = None
    ) -> dict[str, XUser]:
        return {
            i: self.accounts[i]
            for i in ids
            if i in self.accounts
            and i not in self.missing
            and (seen_since is None or self.seen_at[i] >= seen_since)
        }

    async def follower_history(
        self, user_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, list[FollowerPoint]]:
        history: dict[str, list[FollowerPoint]] = {uid: [] for uid in user_ids}
        for uid, at, followers in sorted(self.snapshots, key=lambda s: (s[0], s[1])):
            if uid in history and (since is None or at >= since):
                history[uid].append(FollowerPoint(at, followers))
        return history

    async def record_discoveries(
        self, niche: str, user_ids: Sequence[str], *, found_at: datetime
    ) -> set[str]:
        new = {i for i in user_ids if (niche, i) not in self.discoveries}
        for i in new:
            self.discoveries[(niche, i)] = found_at
        return new

    async def watch(
        self, scope: Scope, users: Sequence[XUser], *, added_at: datetime
    ) -> tuple[list[str], list[str]]:
        added, already = [], []
        for user in users:
            if (scope, user.id) in self.watch_rows:
                already.append(user.username)
            else:
                self.watch_rows[(scope, user.id)] = added_at
                added.append(user.username)
        return added, already

    async def unwatch(self, scope: Scope, usernames: Sequence[str]) -> list[str]:
        wanted = {u.lower() for u in usernames}
        removed = []
        for s, uid in list(self.watch_rows):
            user = self.accounts[uid]
            if s == scope and user.username.lower() in wanted:
                del self.watch_rows[(s, uid)]
                removed.append(user.username)
        return removed

    async def watchlist(self, scope: Scope) -> list[WatchEntry]:
        entries = [
            WatchEntry(
                uid,
                self.accounts[uid].username,
                self.accounts[uid].name,
                self.accounts[uid].followers,
                None,
                at,
            )
            for (s, uid), at in self.watch_rows.items()
            if s == scope
        ]
        return sorted(entries, key=lambda e: e.username.lower())

    async def workspace_watchlists(
        self, platform: str, workspace: str
    ) -> dict[str, list[WatchEntry]]:
        mine = (s for s, _ in self.watch_rows if (s.platform, s.workspace) == (platform, workspace))
        channels = sorted({s.channel for s in mine})
        return {c: await self.watchlist(Scope(platform, workspace, c)) for c in channels}


@dataclass
class MemoryAuditHistory:
    """Implements AuditHistory: stored audits in a list (the latest per account wins)."""

    results: list[AuditResult] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    async def last_audits(self, user_ids: Sequence[str]) -> dict[str, AuditResult]:
        self.calls.append(tuple(user_ids))
        latest: dict[str, AuditResult] = {}
        for result in sorted(self.results, key=lambda r: r.observed_at):
            if result.user_id in user_ids:
                latest[result.user_id] = result
        return latest


@dataclass
class MemoryWorkspaceSettings:
    """Implements WorkspaceSettingsStore and WorkspaceSpendLedger: overrides, their log
    and spend per workspace in dicts."""

    settings: dict[tuple[str, str], WorkspaceSettings] = field(default_factory=dict)
    log: dict[tuple[str, str], list[SettingsChange]] = field(default_factory=dict)
    spend: dict[tuple[date, str], float] = field(default_factory=dict)

    async def record_workspace_spend(self, day: date, workspace: str, *, usd: float) -> None:
        self.spend[(day, workspace)] = self.spend.get((day, workspace), 0.0) + usd

    async def workspace_spent_usd(self, workspace: str, start: date, end: date) -> float:
        return round(
            sum(v for (d, w), v in self.spend.items() if w == workspace and start <= d <= end),
            6,
        )

    async def workspace_settings(self, platform: str, workspace: str) -> WorkspaceSettings | None:
        return self.settings.get((platform, workspace))

    async def all_workspace_settings(self) -> dict[tuple[str, str], WorkspaceSettings]:
        return dict(self.settings)

    async def save_workspace_settings(
        self,
        platform: str,
        workspace: str,
        settings: WorkspaceSettings | None,
        *,
        changes: Sequence[SettingsChange],
    ) -> None:
        if settings is None:
            self.settings.pop((platform, workspace), None)
        else:
            self.settings[(platform, workspace)] = settings
        self.log.setdefault((platform, workspace), []).extend(changes)

    async def settings_log(
        self, platform: str, workspace: str, *, limit: int = 20
    ) -> list[SettingsChange]:
        return list(reversed(self.log.get((platform, workspace), [])))[:limit]


@dataclass
class MemoryNotify:
    """Implements NotifyStore: one mention per channel in a dict."""

    by_scope: dict[Scope, str] = field(default_factory=dict)
    lookups: int = 0

    async def set_mention(self, scope: Scope, mention: str | None, *, at: datetime) -> None:
        if mention is None:
            self.by_scope.pop(scope, None)
        else:
            self.by_scope[scope] = mention

    async def mentions(self, scopes: Sequence[Scope]) -> dict[Scope, str]:
        self.lookups += 1
        return {s: self.by_scope[s] for s in scopes if s in self.by_scope}
