"""The sample's made-up follower history: charts and growth work on a first try, and a
refresh's real snapshots always win over it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.storage.database import Database
from adapters.x.sample import HISTORY_DAYS, SampleXSource, sample_history
from bot.sample_history import SampleHistoryStorage
from core.growth import growth


def test_the_made_up_history_ends_at_todays_count_and_is_always_the_same() -> None:
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    first = sample_history("42", "jane_lifts", 23_400, now)
    assert first == sample_history("42", "jane_lifts", 23_400, now)
    assert len(first) == HISTORY_DAYS + 1
    assert first[-1].followers == 23_400
    assert first[-1].at == now
    # jane_lifts starts below the micro boundary, so her chart shows it crossed.
    assert first[0].followers < 10_000 < first[-1].followers
    assert sample_history("43", "someone", 5_000, now)[0].followers <= 5_000


async def test_stored_snapshots_win_and_the_sample_fills_in_before_them(tmp_path: Path) -> None:
    database = await Database.connect(f"sqlite:///{tmp_path}/bot.db")
    sample = SampleXSource()
    try:
        storage = SampleHistoryStorage(database, sample)
        jane = (await sample.users_by_usernames(["jane_lifts"])).users[0]
        now = datetime.now(UTC)
        ten_days_ago = now - timedelta(days=10)
        await storage.save_users([replace(jane, followers=1)], ten_days_ago)
        await storage.save_users([jane], now)

        points = (await storage.follower_history([jane.id]))[jane.id]
        stored = [p for p in points if p.at >= ten_days_ago]
        assert [p.followers for p in stored] == [1, jane.followers]  # only the stored ones
        assert all(p.at < ten_days_ago for p in points[: -len(stored)])
        assert len(points) > len(stored)
        assert growth(points, now).change_90d is not None

        since = now - timedelta(days=30)
        recent = (await storage.follower_history([jane.id], since=since))[jane.id]
        assert all(p.at >= since for p in recent)
        # An account the sample does not have gets only what is stored.
        assert (await storage.follower_history(["no-such-id"]))["no-such-id"] == []
    finally:
        await database.aclose()
