"""The periods of a LearningAnalytics document: daily, weekly, monthly or custom, in UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.analytics.domain.periods import MAX_CUSTOM_DAYS, Period, PeriodType, period_of
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)  # a Thursday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_daily_period_is_the_utc_day_of_its_start():
    east = timezone(timedelta(hours=3))
    period = period_of(PeriodType.DAILY, datetime(2026, 3, 10, 1, tzinfo=east), None, NOW)
    assert period == Period(PeriodType.DAILY, utc(2026, 3, 9), utc(2026, 3, 10))
    assert period.days == 1.0


def test_without_a_start_the_period_is_the_one_containing_now():
    assert period_of(PeriodType.DAILY, None, None, NOW) == Period(
        PeriodType.DAILY, utc(2026, 12, 3), utc(2026, 12, 4)
    )
    assert period_of(PeriodType.WEEKLY, None, None, NOW) == Period(
        PeriodType.WEEKLY, utc(2026, 11, 30), utc(2026, 12, 7)
    )


@pytest.mark.parametrize("start", [utc(2026, 11, 30), utc(2026, 12, 1, 12), utc(2026, 12, 6, 23)])
def test_a_weekly_period_runs_from_monday_to_monday(start: datetime):
    period = period_of(PeriodType.WEEKLY, start, None, NOW)
    assert period == Period(PeriodType.WEEKLY, utc(2026, 11, 30), utc(2026, 12, 7))
    assert period.days == 7.0


@pytest.mark.parametrize(
    ("start", "first", "following"),
    [
        (utc(2026, 1, 31, 12), utc(2026, 1, 1), utc(2026, 2, 1)),
        (utc(2026, 2, 1), utc(2026, 2, 1), utc(2026, 3, 1)),
        (utc(2026, 12, 15), utc(2026, 12, 1), utc(2027, 1, 1)),
    ],
)
def test_a_monthly_period_is_the_calendar_month(start, first, following):
    assert period_of(PeriodType.MONTHLY, start, None, NOW) == Period(
        PeriodType.MONTHLY, first, following
    )


def test_a_custom_period_is_exactly_what_was_asked_in_utc():
    west = timezone(timedelta(hours=-2))
    start, end = datetime(2026, 1, 1, 22, tzinfo=west), utc(2026, 1, 5)
    period = period_of(PeriodType.CUSTOM, start, end, NOW)
    assert period == Period(PeriodType.CUSTOM, utc(2026, 1, 2), utc(2026, 1, 5))
    assert period.start.tzinfo is UTC
    assert period.days == 3.0


def refusal(*arguments) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as error:
        period_of(*arguments, NOW)
    return error.value.fields


def test_a_custom_period_needs_both_ends_the_right_way_round():
    start = utc(2026, 1, 1)
    assert refusal(PeriodType.CUSTOM, None, start) == {
        "start_date": ["is required for a custom period"]
    }
    assert refusal(PeriodType.CUSTOM, start, None) == {
        "end_date": ["is required for a custom period"]
    }
    assert refusal(PeriodType.CUSTOM, start, start) == {"end_date": ["must be after start_date"]}
    assert refusal(PeriodType.CUSTOM, start, start - timedelta(seconds=1)) == {
        "end_date": ["must be after start_date"]
    }


def test_a_custom_period_is_at_most_a_year_and_a_day():
    start = utc(2026, 1, 1)
    longest = start + timedelta(days=MAX_CUSTOM_DAYS)
    assert period_of(PeriodType.CUSTOM, start, longest, NOW).days == 366.0
    assert refusal(PeriodType.CUSTOM, start, longest + timedelta(seconds=1)) == {
        "end_date": ["a custom period is at most 366 days long"]
    }


@pytest.mark.parametrize("period_type", [PeriodType.DAILY, PeriodType.WEEKLY, PeriodType.MONTHLY])
def test_only_a_custom_period_takes_an_end(period_type: PeriodType):
    assert refusal(period_type, None, utc(2026, 1, 1)) == {
        "end_date": [f"is only for custom periods; a {period_type.value} period ends itself"]
    }


def test_a_period_holds_its_start_but_not_its_end():
    period = Period(PeriodType.DAILY, utc(2026, 3, 9), utc(2026, 3, 10))
    assert period.contains(utc(2026, 3, 9))
    assert period.contains(utc(2026, 3, 10) - timedelta(microseconds=1))
    assert not period.contains(utc(2026, 3, 10))
    assert not period.contains(utc(2026, 3, 9) - timedelta(microseconds=1))
    assert not period.contains(None)


def test_the_previous_period_is_of_the_same_type_and_length():
    week = Period(PeriodType.WEEKLY, utc(2026, 11, 30), utc(2026, 12, 7))
    assert week.previous() == Period(PeriodType.WEEKLY, utc(2026, 11, 23), utc(2026, 11, 30))
    custom = Period(PeriodType.CUSTOM, utc(2026, 1, 2), utc(2026, 1, 5))
    assert custom.previous() == Period(PeriodType.CUSTOM, utc(2025, 12, 30), utc(2026, 1, 2))


@pytest.mark.parametrize(
    ("first", "before"),
    [(utc(2026, 3, 1), utc(2026, 2, 1)), (utc(2026, 1, 1), utc(2025, 12, 1))],
)
def test_the_month_before_a_monthly_period_is_the_previous_calendar_month(first, before):
    month = period_of(PeriodType.MONTHLY, first, None, NOW)
    assert month.previous() == Period(PeriodType.MONTHLY, before, first)


def test_a_period_starts_at_midnight_to_the_microsecond():
    start = datetime(2026, 3, 10, 10, 15, 42, 123456, tzinfo=UTC)
    assert period_of(PeriodType.DAILY, start, None, NOW).start == utc(2026, 3, 10)


def test_periods_are_in_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        east = timezone(timedelta(hours=3))
        period = period_of(
            PeriodType.CUSTOM,
            datetime(2026, 1, 1, 3, tzinfo=east),
            datetime(2026, 1, 5, 3, tzinfo=east),
            NOW,
        )
        # 20:00 UTC is 09:00 of the next day in Auckland
        day = period_of(PeriodType.DAILY, utc(2026, 3, 10, 20), None, NOW)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (period.start.tzinfo, period.end.tzinfo) == (UTC, UTC)
    assert (period.start.hour, period.end.hour) == (0, 0)
    assert day == Period(PeriodType.DAILY, utc(2026, 3, 10), utc(2026, 3, 11))
