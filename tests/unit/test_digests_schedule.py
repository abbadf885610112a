"""When weekly digests are due: local wall-clock times across DST changes, and catch-up."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.digests import digest_key, latest_due, next_occurrence, occurrence
from core.errors import BadInput

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MON = 0


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at", "tz", "expected"),
    [
        # 09:00 Berlin: UTC+1 in winter, UTC+2 in summer.
        (date(2026, 3, 23), time(9), "Europe/Berlin", utc(2026, 3, 23, 8)),
        (date(2026, 3, 30), time(9), "Europe/Berlin", utc(2026, 3, 30, 7)),
        (date(2026, 10, 26), time(9), "Europe/Berlin", utc(2026, 10, 26, 8)),
        # 02:30 does not exist on 29 March 2026 in Berlin: the first valid instant after
        # the gap is 03:00 CEST = 01:00 UTC.
        (date(2026, 3, 29), time(2, 30), "Europe/Berlin", utc(2026, 3, 29, 1)),
        # 02:30 happens twice on 25 October 2026: the first one (CEST) = 00:30 UTC.
        (date(2026, 10, 25), time(2, 30), "Europe/Berlin", utc(2026, 10, 25, 0, 30)),
        # New York springs forward at 02:00 -> 03:00 on 8 March 2026.
        (date(2026, 3, 8), time(2, 15), "America/New_York", utc(2026, 3, 8, 7)),
        # Lord Howe Island moves by 30 minutes.
        (date(2026, 10, 4), time(2, 10), "Australia/Lord_Howe", utc(2026, 10, 3, 15, 30)),
        (date(2026, 5, 4), time(9), "UTC", utc(2026, 5, 4, 9)),
    ],
)
def test_occurrence_is_the_local_wall_clock_time(
    day: date, at: time, tz: str, expected: datetime
) -> None:
    assert occurrence(day, at, zoneinfo.ZoneInfo(tz)) == expected


def test_a_berlin_monday_digest_follows_the_clock_change() -> None:
    # Week by week through the March change: 08:00 UTC, then 07:00 UTC.
    now = utc(2026, 3, 16, 12)
    fired = []
    for _ in range(3):
        occ = latest_due(MON, time(9), "Europe/Berlin", now)
        assert occ is not None
        fired.append(occ.at)
        now += timedelta(days=7)
    assert fired == [utc(2026, 3, 16, 8), utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)]


def test_due_exactly_at_its_time_and_not_a_second_before() -> None:
    at = utc(2026, 3, 30, 7)
    before = latest_due(MON, time(9), "Europe/Berlin", at - timedelta(seconds=1))
    assert before is not None
    assert before.period == date(2026, 3, 23)
    exact = latest_due(MON, time(9), "Europe/Berlin", at)
    assert exact is not None
    assert exact.period == date(2026, 3, 30)
    assert exact.at == at


def test_catch_up_is_only_the_latest_missed_occurrence() -> None:
    # Down for three weeks: one occurrence to send, the most recent.
    occ = latest_due(MON, time(9), "UTC", utc(2026, 5, 28, 15))
    assert occ is not None
    assert occ.period == date(2026, 5, 25)


def test_nothing_is_due_before_the_subscription_existed() -> None:
    created = utc(2026, 5, 4, 10)  # Monday, an hour after 09:00
    assert latest_due(MON, time(9), "UTC", utc(2026, 5, 4, 11), not_before=created) is None
    occ = latest_due(MON, time(9), "UTC", utc(2026, 5, 11, 9), not_before=created)
    assert occ is not None
    assert occ.period == date(2026, 5, 11)


def test_next_occurrence_and_period_key() -> None:
    nxt = next_occurrence(MON, time(9), "Europe/Berlin", utc(2026, 3, 23, 8))
    assert nxt.period == date(2026, 3, 30)
    assert nxt.at == utc(2026, 3, 30, 7)
    assert digest_key(7, nxt.period) == "digest|7|2026-03-30"


def test_unknown_time_zone_is_bad_input() -> None:
    with pytest.raises(BadInput, match="time zone"):
        latest_due(MON, time(9), "Mars/Olympus", utc(2026, 1, 1))


def test_a_time_zone_in_any_case_schedules_alike_and_a_typo_is_told_the_name() -> None:
    now = utc(2026, 3, 31, 12)
    assert latest_due(MON, time(9), "europe/berlin", now) == latest_due(
        MON, time(9), "Europe/Berlin", now
    )
    with pytest.raises(BadInput, match="Did you mean Europe/Berlin"):
        next_occurrence(MON, time(9), "Europe/Berln", now)


ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Apia",
    "America/St_Johns",
]


@settings(max_examples=300, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
    now=st.datetimes(
        # hypothesis wants naive bounds; `timezones` makes the drawn values aware
        min_value=datetime(2010, 1, 1),  # noqa: DTZ001  see above
        max_value=datetime(2035, 12, 31),  # noqa: DTZ001  see above
        timezones=st.just(UTC),
    ),
)
def test_latest_and_next_bracket_now_on_the_right_weekday(
    tz: str, weekday: int, hour: int, minute: int, now: datetime
) -> None:
    at = time(hour, minute)
    last = latest_due(weekday, at, tz, now)
    nxt = next_occurrence(weekday, at, tz, now)
    assert last is not None
    assert last.at <= now < nxt.at
    assert last.period.weekday() == weekday == nxt.period.weekday()
    # One occurrence per local week.
    assert nxt.period - last.period == timedelta(days=7)
    # The instant shows the wall time; a wall time skipped by a gap moves to just after it.
    zi = zoneinfo.ZoneInfo(tz)
    for occ in (last, nxt):
        wall = datetime.combine(occ.period, at)
        shown = occ.at.astimezone(zi).replace(tzinfo=None)
        exists = wall.replace(tzinfo=zi).astimezone(UTC).astimezone(zi).replace(tzinfo=None)
        if exists == wall:
            assert shown == wall
        else:
            assert wall < shown <= wall + timedelta(days=1)
            before = (occ.at - timedelta(seconds=1)).astimezone(zi).replace(tzinfo=None)
            assert before < wall  # the first valid instant: a second earlier is before it
