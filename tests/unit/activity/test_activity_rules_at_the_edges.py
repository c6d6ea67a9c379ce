"""The activity domain's rules at their edges: the clock's tolerance, the retention
period, the size of custom data, months across years, sessions and the address hash."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import msgspec
import pytest

from services.activity.domain import (
    duplicate_problems,
    hash_ip,
    is_time_zone,
    month_of,
    month_range,
    months_ahead,
    months_to_archive,
    next_month,
    parse_month,
    partition_name,
    record_problems,
    session_duration_minutes,
    strip_query,
)
from services.activity.domain.months import previous_month
from services.attempts.usecases import hash_ip as attempts_hash_ip

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
OLDEST = NOW - timedelta(days=365)


def problems(**overrides: object) -> dict[str, str]:
    values: dict = {
        "activity_type": "login",
        "timestamp": NOW - timedelta(hours=1),
        "present": {},
        "custom_data": None,
        "now": NOW,
        "oldest": OLDEST,
    }
    values.update(overrides)
    return record_problems(**values)


def test_five_minutes_ahead_of_the_clock_is_the_last_moment_accepted():
    assert problems(timestamp=NOW + timedelta(minutes=5)) == {}
    assert problems(timestamp=NOW + timedelta(minutes=5, microseconds=1)) == {
        "timestamp": "is in the future (more than 300 seconds ahead of the server clock)"
    }


def test_the_first_moment_of_the_retention_period_is_accepted():
    assert problems(timestamp=OLDEST) == {}
    assert problems(timestamp=OLDEST - timedelta(microseconds=1)) == {
        "timestamp": "is older than the retention period"
    }


def test_a_missing_context_reference_is_named_with_the_type():
    assert problems(activity_type="quiz_start", present={"course_id": "C1", "quiz_id": None}) == {
        "quiz_id": "is required for activity_type quiz_start"
    }


def test_a_late_record_still_gets_its_context_checked():
    found = problems(activity_type="video_play", timestamp=OLDEST - timedelta(days=1))
    assert found == {
        "timestamp": "is older than the retention period",
        "resource_id": "is required for activity_type video_play",
    }


def custom_data_of(size: int) -> dict[str, str]:
    data = {"a": "x" * (size - len(b'{"a":""}'))}
    assert len(msgspec.json.encode(data)) == size
    return data


def test_custom_data_of_exactly_the_limit_is_kept():
    assert problems(custom_data=custom_data_of(4096)) == {}
    assert problems(custom_data=custom_data_of(4097)) == {
        "details.custom_data": "is 4097 bytes as JSON; at most 4096 are kept"
    }
    assert problems(custom_data={}) == {}


def test_each_repeated_id_names_the_first_record_with_it():
    keys = [("S1", "A"), ("S1", "A"), ("S2", "B"), ("S1", "A"), ("S2", "B")]
    assert duplicate_problems(keys) == {
        1: "repeats the id of record 0 for the same student",
        3: "repeats the id of record 0 for the same student",
        4: "repeats the id of record 2 for the same student",
    }
    assert duplicate_problems([]) == {}


def test_a_time_zone_name_that_is_no_path_is_refused():
    assert is_time_zone("UTC") and is_time_zone("America/Argentina/Buenos_Aires")
    assert not is_time_zone("")


def test_only_the_query_and_fragment_are_dropped():
    assert strip_query("https://a.example/p?q=1?r=2#f?g") == "https://a.example/p"
    assert strip_query("https://a.example/p#f?g") == "https://a.example/p"
    assert strip_query("?only=query") == ""


def test_the_address_hash_is_the_attempts_service_s_hmac():
    assert hash_ip("203.0.113.7", "key-1") == (
        "3b94bb27d0c1892ea28522c53540dacb3c1b31f75f5dba8cf88223b94069576d"
    )
    assert hash_ip("198.51.100.1", "k") == attempts_hash_ip("198.51.100.1", "k")


def test_the_month_of_a_moment_is_its_utc_month_whatever_the_machine_s_zone(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        assert month_of(datetime(2026, 3, 31, 13, tzinfo=UTC)) == date(2026, 3, 1)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_month_of_a_moment_is_its_utc_month():
    east = timezone(timedelta(hours=2))
    assert month_of(datetime(2026, 4, 1, 0, 30, tzinfo=east)) == date(2026, 3, 1)
    west = timezone(timedelta(hours=-5))
    assert month_of(datetime(2026, 12, 31, 20, tzinfo=west)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("month", "following"),
    [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 11, 1), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2027, 1, 1)),
    ],
)
def test_next_month_crosses_the_year(month: date, following: date):
    assert next_month(month) == following


@pytest.mark.parametrize(
    ("month", "count", "earlier"),
    [
        (date(2026, 3, 1), 1, date(2026, 2, 1)),
        (date(2026, 1, 1), 1, date(2025, 12, 1)),
        (date(2026, 3, 1), 14, date(2025, 1, 1)),
        (date(2026, 12, 1), 12, date(2025, 12, 1)),
        (date(2026, 5, 1), 0, date(2026, 5, 1)),
    ],
)
def test_previous_month_counts_back_across_years(month: date, count: int, earlier: date):
    assert previous_month(month, count) == earlier


def test_previous_month_is_one_month_by_default():
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)


def test_a_month_range_is_the_month_and_ends_where_the_next_begins():
    assert month_range(date(2026, 2, 1)) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert months_ahead(NOW, 0) == [date(2026, 12, 1)]


def test_a_month_is_archived_once_more_than_the_age_has_passed_since_its_end():
    months = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 11, 1), date(2025, 12, 1)]
    # December 2026: with 12 months kept, November 2025 ended 12 whole months ago and goes
    assert months_to_archive(reversed(months), NOW, 12) == [date(2025, 10, 1), date(2025, 11, 1)]
    assert months_to_archive(months, NOW, 0) == [date(2025, m, 1) for m in (10, 11, 12)]
    assert months_to_archive([date(2026, 11, 1)], NOW, 0) == [date(2026, 11, 1)]
    assert months_to_archive([date(2026, 12, 1)], NOW, 0) == []


@pytest.mark.parametrize(
    ("month", "name"),
    [(date(987, 3, 1), "activity_logs_y0987m03"), (date(2026, 11, 1), "activity_logs_y2026m11")],
)
def test_partition_names_are_zero_padded(month: date, name: str):
    assert partition_name(month) == name


@pytest.mark.parametrize(
    "text", ["2025-00", "2025-13", "2025-1", "25-01", "2025/01", "", "x2025-01"]
)
def test_a_month_that_is_not_yyyy_mm_is_refused_naming_it(text: str):
    with pytest.raises(ValueError) as error:
        parse_month(text)
    assert str(error.value) == f"month {text!r} is not YYYY-MM"


@pytest.mark.parametrize(
    ("text", "month"), [("2025-12", date(2025, 12, 1)), ("2026-01", date(2026, 1, 1))]
)
def test_january_and_december_are_months(text: str, month: date):
    assert parse_month(text) == month


def test_a_session_is_rounded_to_the_hundredth_of_a_minute_and_never_negative():
    start = NOW
    assert session_duration_minutes(start, start + timedelta(seconds=10)) == 0.17
    assert session_duration_minutes(start, start + timedelta(hours=2)) == 120.0
    assert session_duration_minutes(start + timedelta(minutes=3), start) == 0.0
