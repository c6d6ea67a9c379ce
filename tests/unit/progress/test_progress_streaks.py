from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from services.progress.domain import (
    Streak,
    active_dates_to_keep,
    local_date_of,
    streak_is_running,
    streak_of,
    student_time_zone,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def days(*numbers: int) -> list[date]:
    """Dates in September 2024 by day of month."""
    return [date(2024, 9, n) for n in numbers]


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        ([], Streak(0, None)),
        (days(4), Streak(1, date(2024, 9, 4))),
        (days(2, 3, 4), Streak(3, date(2024, 9, 4))),
        (days(1, 2, 4, 5), Streak(2, date(2024, 9, 5))),
        (days(1, 2, 3, 5), Streak(1, date(2024, 9, 5))),
        ([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)], Streak(3, date(2024, 3, 1))),
        ([date(2024, 12, 31), date(2025, 1, 1)], Streak(2, date(2025, 1, 1))),
    ],
    ids=["none", "one", "three", "gap", "broken", "leap-day", "new-year"],
)
def test_streak_counts_consecutive_dates_ending_at_the_latest(
    active: list[date], expected: Streak
) -> None:
    assert streak_of(active) == expected


def test_streak_ignores_order_and_duplicates() -> None:
    deliveries = [*days(3, 1, 4, 2, 6), *days(4, 3)]

    assert {streak_of(order) for order in itertools.permutations(deliveries)} == {
        Streak(1, date(2024, 9, 6))
    }


def test_late_activity_filling_a_gap_joins_the_streak() -> None:
    assert streak_of(days(1, 2, 4, 5)).length == 2

    assert streak_of(days(1, 2, 4, 5, 3)).length == 5


def test_streak_survives_daylight_saving_change() -> None:
    # Berlin springs forward on 2024-03-31: 23:30 local on both evenings is 23 h apart.
    evenings = [utc("2024-03-30T22:30"), utc("2024-03-31T21:30")]

    dates = [local_date_of(moment, "Europe/Berlin") for moment in evenings]

    assert dates == [date(2024, 3, 30), date(2024, 3, 31)]
    assert streak_of(dates).length == 2


def test_streak_survives_the_25_hour_day_of_autumn() -> None:
    # Berlin falls back on 2024-10-27: 23:30 local on both evenings is 25 h apart.
    evenings = [utc("2024-10-26T21:30"), utc("2024-10-27T22:30")]

    assert streak_of(local_date_of(moment, "Europe/Berlin") for moment in evenings).length == 2


def test_day_is_a_local_calendar_date_not_24_hours() -> None:
    # Exactly 24 h apart, but the spring-forward night skips a whole Berlin date.
    moments = [utc("2024-03-30T22:30"), utc("2024-03-31T22:30")]

    dates = [local_date_of(moment, "Europe/Berlin") for moment in moments]

    assert dates == [date(2024, 3, 30), date(2024, 4, 1)]
    assert streak_of(dates).length == 1


@pytest.mark.parametrize(
    ("time_zone", "length"),
    [("UTC", 1), ("Asia/Tokyo", 2), ("America/Los_Angeles", 2), ("Europe/London", 1)],
)
def test_same_moments_make_different_days_in_different_time_zones(
    time_zone: str, length: int
) -> None:
    moments = [utc("2024-09-02T06:00"), utc("2024-09-02T20:00")]

    assert streak_of(local_date_of(moment, time_zone) for moment in moments).length == length


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "Europe/"])
def test_unknown_time_zone_is_invalid_input(name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        student_time_zone(name)

    assert list(raised.value.fields) == ["time_zone"]


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(InvalidInput, match="timestamp"):
        local_date_of(datetime(2024, 9, 2, 8, 0), "UTC")


@pytest.mark.parametrize(
    ("last", "today", "running"),
    [(5, 5, True), (5, 6, True), (5, 7, False), (None, 5, False)],
)
def test_streak_runs_while_its_last_date_is_today_or_yesterday(
    last: int | None, today: int, running: bool
) -> None:
    streak = Streak(3 if last else 0, date(2024, 9, last) if last else None)

    assert streak_is_running(streak, date(2024, 9, today)) is running


def test_old_isolated_dates_are_not_kept() -> None:
    latest = date(2024, 9, 30)
    active = [latest - timedelta(days=n) for n in (0, 1, 10, 11, 40)]

    kept = active_dates_to_keep(active, window_days=30)

    assert kept == {latest - timedelta(days=n) for n in (0, 1, 10, 11)}


def test_current_streak_is_kept_whole_however_long() -> None:
    latest = date(2024, 9, 30)
    year_long = [latest - timedelta(days=n) for n in range(400)]

    kept = active_dates_to_keep([*year_long, latest - timedelta(days=500)], window_days=30)

    assert streak_of(kept).length == 400
    assert len(kept) == 400


def test_run_reaching_into_the_window_is_kept_so_a_late_gap_filler_joins_it() -> None:
    latest = date(2024, 9, 30)
    older_run = [latest - timedelta(days=n) for n in range(3, 60)]  # ends 3 days ago
    recent = [latest - timedelta(days=n) for n in (0, 1)]  # the day in between is missing

    kept = active_dates_to_keep([*older_run, *recent], window_days=30)
    late = latest - timedelta(days=2)

    assert streak_of(active_dates_to_keep(kept | {late}, window_days=30)).length == 60
