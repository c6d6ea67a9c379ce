"""time_metrics, worked out by hand on a week of one student in New York (UTC-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.analytics.domain.periods import Period, PeriodType
from services.analytics.domain.time_metrics import part_of_day, time_metrics
from tests.unit.analytics.streams import activity, analytics_document, at, record

pytestmark = pytest.mark.unit

NEW_YORK = "America/New_York"  # UTC-5 from 2026-11-01


def week() -> list:
    records = [
        # Mon 09:00 local, 30 min lesson then, after a 10-minute gap, 10 min quiz (session S1)
        record("R1", "lesson_start", at(0, 6), duration=1800, session="S1", lesson_id="LSN-1"),
        record("R2", "quiz_start", at(0, 6, 40), duration=600, session="S1", quiz_id="QZ-1"),
        # Mon 22:00 local (Tue 03:00 UTC): 20 min video, 10 min gap, 5 min idle (no session)
        record("R3", "video_play", at(0, 19), duration=1200, resource_id="RES-1"),
        record("R4", "idle", at(0, 19, 30), duration=300),
        # Wed 13:00 local: 40 min on an assignment
        record("R5", "assignment_work", at(2, 10), duration=2400, assignment_id="ASG-1"),
        # Fri 01:00 local: a login
        record("R6", "login", at(3, 22)),
        # outside the week (UTC): before it and just after it
        record("R7", "lesson_start", at(6, 17), duration=600, lesson_id="LSN-1"),
        record("R8", "lesson_start", at(-1, 15), duration=600, lesson_id="LSN-1"),
    ]
    return [activity(records, time_zone=NEW_YORK)]


def test_minutes_by_kind_count_records_started_in_the_period():
    metrics = analytics_document(week())["time_metrics"]
    assert metrics["total_time"] == 105.0
    assert metrics["lesson_time"] == 30.0
    assert metrics["quiz_time"] == 10.0
    assert metrics["assignment_time"] == 40.0
    assert metrics["resource_time"] == 20.0


def test_idle_time_is_idle_records_plus_gaps_of_five_minutes_inside_sessions():
    # 5 (idle record) + 10 (gap in S1) + 10 (gap between R3 and R4, one inferred session)
    assert analytics_document(week())["time_metrics"]["idle_time"] == 25.0


def test_days_and_hours_are_local_to_the_student():
    document = analytics_document(week())
    assert document["time_zone"] == NEW_YORK
    by_day = {row["date"]: row["minutes"] for row in document["time_metrics"]["time_by_day"]}
    # the UTC week [Nov 2, Nov 9) is Nov 1 19:00 to Nov 8 19:00 in New York
    assert list(by_day) == [f"2026-11-0{d}" for d in range(1, 9)]
    assert by_day["2026-11-02"] == 65.0
    assert by_day["2026-11-04"] == 40.0
    assert sum(by_day.values()) == 105.0
    assert document["time_metrics"]["peak_hours"] == {
        "morning": 40.0,
        "afternoon": 40.0,
        "evening": 25.0,
        "night": 0.0,
    }


@pytest.mark.parametrize(
    ("hour", "part"),
    [
        (0, "night"),
        (5, "night"),
        (6, "morning"),
        (11, "morning"),
        (12, "afternoon"),
        (17, "afternoon"),
        (18, "evening"),
        (23, "evening"),
    ],
)
def test_each_part_of_the_day_starts_at_its_first_hour(hour: int, part: str):
    assert part_of_day(hour) == part


def test_minutes_are_rounded_to_two_decimals_everywhere():
    # four records of 10 seconds (0.1666... minutes each), one of them idle
    records = [
        record("R1", "lesson_start", at(0, 1), duration=10, lesson_id="LSN-1"),
        record("R2", "quiz_start", at(0, 1, 1), duration=10, quiz_id="QZ-1"),
        record("R3", "idle", at(0, 1, 2), duration=10),
        record("R4", "video_play", at(0, 1, 3), duration=10, resource_id="RES-1"),
    ]
    metrics = analytics_document([activity(records)], period_type="daily")["time_metrics"]
    assert metrics["total_time"] == 0.67
    assert metrics["lesson_time"] == 0.17
    assert metrics["idle_time"] == 0.17
    assert metrics["time_by_day"] == [{"date": "2026-11-02", "minutes": 0.67}]
    assert metrics["peak_hours"] == {
        "morning": 0.67,
        "afternoon": 0.0,
        "evening": 0.0,
        "night": 0.0,
    }


def test_the_days_of_a_period_end_with_the_day_of_its_last_instant():
    utc_day = Period(PeriodType.DAILY, at(0, -8), at(1, -8))  # Nov 2, UTC
    assert [d["date"] for d in time_metrics([], utc_day, "UTC")["time_by_day"]] == ["2026-11-02"]
    # a custom period ending one microsecond into Nov 4 has Nov 4 as its last day
    end = datetime(2026, 11, 4, 0, 0, 0, 1, tzinfo=UTC)
    custom = Period(PeriodType.CUSTOM, at(0, -8), end)
    assert [d["date"] for d in time_metrics([], custom, "UTC")["time_by_day"]] == [
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
    ]


def test_idle_gaps_are_rounded_to_two_decimals():
    records = [
        record("R1", "lesson_start", at(0, 1), session="S1", lesson_id="LSN-1"),
        # 5 minutes 10 seconds later, in the same session
        record("R2", "lesson_start", at(0, 1, 5) + timedelta(seconds=10), session="S1"),
    ]
    metrics = analytics_document([activity(records)], period_type="daily")["time_metrics"]
    assert metrics["idle_time"] == 5.17
