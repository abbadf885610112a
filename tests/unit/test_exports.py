"""The exports use case over in-memory ports: search CSV, watchlist CSV, charts."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.commands import parse_command
from core.costs import CostMeter, Prices
from core.errors import BadInput
from core.exports import MAX_CHARTS_AT_ONCE, Exports, slug
from core.models import (
    AuditResult,
    Candidate,
    Cost,
    FileAnswer,
    FollowerPoint,
    Scope,
    SearchResult,
    Tier,
    XUser,
)
from core.tiers import DEFAULT_TIERS, TierBoundaries
from core.watchlist import Watchlists
from core.workspace_settings import WorkspaceSettings
from tests.fakes.memory import (
    FixedClock,
    MemoryAuditHistory,
    MemoryStorage,
    MemoryWorkspaceSettings,
)
from tests.fakes.x_source import FakeX

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SCOPE = Scope("slack", "T1", "C1")


class RecordingCharts:
    """A `ChartRenderer` that records its calls (and which thread made them)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, list[FollowerPoint], TierBoundaries, int]] = []
        self.threads: set[int] = set()
        self.delay = delay
        self.active = 0
        self.most = 0
        self._lock = threading.Lock()

    def growth_png(
        self,
        title: str,
        points: Sequence[FollowerPoint],
        bounds: TierBoundaries,
        *,
        days: int,
        now: datetime,  # noqa: ARG002  the port's signature
    ) -> bytes:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        self.threads.add(threading.get_ident())
        self.calls.append((title, list(points), bounds, days))
        if self.delay:
            threading.Event().wait(self.delay)
        with self._lock:
            self.active -= 1
        return b"\x89PNG fake"


def _user(uid: str, username: str, followers: int, bio: str = "") -> XUser:
    return XUser(uid, username, username.title(), followers, 100, 500, description=bio)


def _exports(
    storage: MemoryStorage,
    charts: RecordingCharts | None = None,
    *,
    audits: MemoryAuditHistory | None = None,
    settings: MemoryWorkspaceSettings | None = None,
) -> Exports:
    clock = FixedClock(NOW)
    meter = CostMeter(storage, clock, Prices(), 100.0)
    watchlists = Watchlists(FakeX(), storage, storage, meter, clock, audits=audits)
    return Exports(
        storage,
        watchlists,
        charts,
        clock,
        bounds=DEFAULT_TIERS,
        workspace_settings=settings,
        source="x-api",
    )


async def _history(storage: MemoryStorage, user: XUser, counts: Sequence[tuple[int, int]]) -> None:
    """Snapshots of `user`: (days ago, followers), oldest first."""
    for days_ago, followers in counts:
        at = NOW - timedelta(days=days_ago)
        await storage.save_users([replace(user, followers=followers)], at)


def _rows(answer: FileAnswer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.data.decode("utf-8"), newline="")))


def test_slugs_are_safe_file_name_parts() -> None:
    assert slug("Home Workout") == "home-workout"
    assert slug("  ../../etc/passwd ") == "etc-passwd"
    assert slug("🏋️") == "search"


async def test_a_search_export_names_its_file_counts_rows_and_carries_the_cost() -> None:
    jane = _user("1", "jane_lifts", 23_400, "=cmd|' /C calc'!A0")
    candidate = Candidate(jane, Tier.MICRO, 0.03, 0.8, 0.0, 80.0, ())
    result = SearchResult(
        "home workout", "q", "sample", (candidate, candidate), Cost(requests=4, usd=0.4)
    )
    answer = await _exports(MemoryStorage()).search_csv(result)
    assert answer.filename == "influencers-home-workout-2026-12-02.csv"
    assert answer.content_type == "text/csv"
    assert answer.text == "2 accounts for “home workout” in influencers-home-workout-2026-12-02.csv"
    assert (answer.rows, answer.cost, answer.source) == (2, result.cost, "sample")
    rows = _rows(answer)
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert rows[0]["bio"].startswith("'=cmd")
    assert rows[0]["source"] == "sample"


async def test_a_lookalike_export_is_named_after_its_seed() -> None:
    seed = _user("5", "nadia_runs", 9_000)
    candidate = Candidate(_user("1", "a", 12_000), Tier.MICRO, 0.03, 0.8, 0.0, 80.0, ())
    result = SearchResult("", "q", "x-api", (candidate,), Cost(), seed=seed)
    answer = await _exports(MemoryStorage()).search_csv(result)
    assert answer.filename == "influencers-like-nadia_runs-2026-12-02.csv"
    assert answer.text.startswith("1 account like @nadia_runs")


async def test_the_watchlist_export_has_each_accounts_profile_growth_and_audit() -> None:
    storage = MemoryStorage()
    jane = _user("1", "jane_lifts", 23_400, "Coach. jane@janelifts.co")
    raj = _user("2", "runwithraj", 8_000)
    await _history(storage, jane, [(40, 20_000), (8, 22_000), (0, 23_100)])
    await _history(storage, raj, [(0, 8_000)])
    await storage.watch(SCOPE, [jane, raj], added_at=NOW - timedelta(days=40))
    await storage.watch(Scope("slack", "T1", "other"), [raj], added_at=NOW)
    audits = MemoryAuditHistory(
        [
            AuditResult(
                "1", "jane_lifts", "Jane", 23_100, 400, 400, 40, 0.1, 0.07, 0.13, 0.2, (),
                Cost(), "x-api", NOW - timedelta(days=1),
            )
        ]
    )  # fmt: skip
    answer = await _exports(storage, audits=audits).watchlist_csv(SCOPE)
    assert answer.filename == "watchlist-c1-2026-12-02.csv"
    assert answer.text == "2 tracked accounts in watchlist-c1-2026-12-02.csv"
    assert answer.source == "x-api"
    rows = {r["username"]: r for r in _rows(answer)}
    assert set(rows) == {"jane_lifts", "runwithraj"}
    jane_row = rows["jane_lifts"]
    assert jane_row["followers"] == "23100"
    assert jane_row["tier"] == "micro"
    assert jane_row["snapshots"] == "3"
    assert jane_row["growth_7d"] == str(round(23_100 / 22_000 - 1, 4))
    assert jane_row["growth_30d"] == str(round(23_100 / 20_000 - 1, 4))
    assert jane_row["growth_90d"] == ""
    assert jane_row["contacts"] == "jane@janelifts.co"
    assert jane_row["last_audit_fake_share"] == "0.1"
    assert rows["runwithraj"]["snapshots"] == "1"
    assert rows["runwithraj"]["growth_7d"] == ""


async def test_an_empty_watchlist_exports_just_the_header() -> None:
    answer = await _exports(MemoryStorage()).watchlist_csv(SCOPE)
    assert answer.rows == 0
    assert answer.data.decode().startswith("username,name,url,")
    assert answer.data.count(b"\r\n") == 1


async def test_a_chart_draws_the_window_off_the_loop_with_the_workspaces_bounds() -> None:
    storage = MemoryStorage()
    jane = _user("1", "jane_lifts", 23_400)
    await _history(storage, jane, [(95, 18_000), (30, 20_000), (7, 22_000), (0, 23_400)])
    await storage.watch(SCOPE, [jane], added_at=NOW)
    charts = RecordingCharts()
    own = TierBoundaries(micro=20_000, mid=60_000, macro=600_000, mega=2_000_000)
    settings = MemoryWorkspaceSettings({("slack", "T1"): WorkspaceSettings(bounds=own)})
    exports = _exports(storage, charts, settings=settings)
    answer = await exports.chart(SCOPE, "@Jane_Lifts", 90)
    assert answer.filename == "jane_lifts-followers-90d.png"
    assert answer.content_type == "image/png"
    assert answer.data == b"\x89PNG fake"
    assert answer.text == (
        "@jane_lifts: 23.4K followers, micro · +6.4% in 7 days · +17.0% in 30 days · "
        "+30.0% in 90 days"
    )
    ((title, points, bounds, days),) = charts.calls
    assert title == "@jane_lifts followers, last 90 days"
    assert [p.followers for p in points] == [20_000, 22_000, 23_400]  # the window only
    assert (bounds, days) == (own, 90)
    assert threading.get_ident() not in charts.threads  # drawn in a worker thread
    await exports.chart(Scope("slack", "T2", "C1"), "jane_lifts", 90)  # another workspace
    assert charts.calls[1][2] == DEFAULT_TIERS


async def test_an_account_off_the_watchlist_but_stored_is_charted_too() -> None:
    storage = MemoryStorage()
    raj = _user("2", "runwithraj", 8_000)
    await _history(storage, raj, [(3, 7_900), (0, 8_000)])
    answer = await _exports(storage, RecordingCharts()).chart(SCOPE, "runwithraj", 30)
    assert answer.filename == "runwithraj-followers-30d.png"
    assert "7 days: not enough history yet" in answer.text


async def test_an_unknown_account_says_to_add_it_first() -> None:
    with pytest.raises(BadInput) as refused:
        await _exports(MemoryStorage(), RecordingCharts()).chart(SCOPE, "@nobody", 90)
    assert str(refused.value) == (
        "@nobody is not on this channel's watchlist: /watchlist add @nobody first."
    )


@pytest.mark.parametrize(
    ("history", "said"),
    [
        ([(0, 8_000)], "one snapshot so far"),
        ([(200, 7_000), (0, 8_000)], "only one snapshot in the last 90 days"),
    ],
)
async def test_too_little_history_is_a_friendly_refusal(
    history: list[tuple[int, int]], said: str
) -> None:
    storage = MemoryStorage()
    raj = _user("2", "runwithraj", 8_000)
    await _history(storage, raj, history)
    await storage.watch(SCOPE, [raj], added_at=NOW)
    charts = RecordingCharts()
    with pytest.raises(BadInput) as refused:
        await _exports(storage, charts).chart(SCOPE, "runwithraj", 90)
    assert str(refused.value) == (
        f"Not enough history yet for @runwithraj: {said}; each refresh adds one."
    )
    assert charts.calls == []


async def test_many_charts_at_once_draw_at_most_two_at_a_time() -> None:
    storage = MemoryStorage()
    jane = _user("1", "jane_lifts", 23_400)
    await _history(storage, jane, [(3, 23_000), (0, 23_400)])
    charts = RecordingCharts(delay=0.02)
    exports = _exports(storage, charts)
    answers = await asyncio.gather(*(exports.chart(SCOPE, "jane_lifts", 30) for _ in range(10)))
    assert len(answers) == len(charts.calls) == 10
    assert charts.most == MAX_CHARTS_AT_ONCE


async def test_alerts_get_a_reason_instead_of_a_chart_without_history() -> None:
    exports = _exports(MemoryStorage(), RecordingCharts())
    said = await exports.account_chart(SCOPE, "1", "jane_lifts")
    assert said == (
        "Not enough history yet for @jane_lifts: no snapshots stored yet; each refresh adds one."
    )
    assert await _exports(MemoryStorage()).account_chart(SCOPE, "1", "x") == (
        "Charts are not enabled on this bot."
    )


def test_the_chat_commands_parse_to_what_exports_serve() -> None:
    command = parse_command("find-influencers", "fitness export:csv")
    assert getattr(command, "export", None) == "csv"
