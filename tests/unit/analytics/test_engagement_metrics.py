"""engagement_metrics, worked out by hand on three sessions in the week of Nov 2, 2026."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.analytics.domain.engagement import engagement_trend, participation_score
from services.analytics.domain.periods import Period, PeriodType
from services.analytics.domain.projections import Kind
from tests.unit.analytics.streams import activity, activity_fact, analytics_document, at, record

pytestmark = pytest.mark.unit


def stream(extra: list | None = None) -> list:
    records = [
        # S1 on Monday: 08:00 to 08:25
        record(
            "R1", "login", at(0), session="S1", details={"interaction_count": 4, "page_url": "/"}
        ),
        record(
            "R2",
            "lesson_start",
            at(0, 0, 5),
            duration=1200,
            session="S1",
            lesson_id="LSN-1",
            details={"interaction_count": 6, "page_url": "/l1"},
        ),
        # S2 on Wednesday: 08:00 to 08:20
        record("R3", "login", at(2), session="S2"),
        record("R4", "video_complete", at(2, 0, 10), duration=600, session="S2"),
        # S3 on Wednesday: 13:00 to 13:01
        record("R5", "help_requested", at(2, 5), session="S3"),
        record("R6", "resource_download", at(2, 5, 1), session="S3", resource_id="RES-1"),
        *(extra or []),
    ]
    return [activity(records)]


def test_logins_sessions_and_their_average_length():
    metrics = analytics_document(stream())["engagement_metrics"]
    assert metrics["login_count"] == 2
    assert metrics["session_count"] == 3
    assert metrics["avg_session_length"] == 15.33  # (25 + 20 + 1) / 3


def test_interaction_metrics_per_session_and_counts():
    assert analytics_document(stream())["engagement_metrics"]["interaction_metrics"] == {
        "clicks_per_session": 3.33,  # 10 interactions / 3 sessions
        "pages_per_session": 0.67,  # 2 page views / 3 sessions
        "videos_watched": 1,
        "resources_downloaded": 1,
        "questions_asked": 1,
        "forum_posts": 0,
    }


def test_participation_weighs_active_days_and_breadth_of_learning():
    # 60 x 2 active days / 7 + 40 x 2 kinds (lesson, resource) / 4
    assert analytics_document(stream())["engagement_metrics"]["participation_score"] == 37.14


def test_trend_compares_the_two_halves_of_the_period():
    assert analytics_document(stream())["engagement_metrics"]["engagement_trend"] == "decreasing"
    later = [record("R7", "lesson_start", at(5), duration=60 * 60, lesson_id="LSN-1")]
    assert analytics_document(stream(later))["engagement_metrics"]["engagement_trend"] == (
        "increasing"
    )
    even = [record("R8", "lesson_start", at(5), duration=30 * 60, lesson_id="LSN-1")]
    assert analytics_document(stream(even))["engagement_metrics"]["engagement_trend"] == "stable"


def test_a_period_without_sessions_says_why():
    document = analytics_document(stream(), start=at(14))
    assert document["engagement_metrics"]["avg_session_length"] is None
    assert document["null_reasons"]["engagement_metrics.avg_session_length"] == (
        "no session in the period"
    )
    assert document["engagement_metrics"]["engagement_trend"] is None


def test_risk_level_is_the_predictions_level():
    document = analytics_document(stream())
    probability = document["predictions"]["success_probability"]
    expected = "low" if probability >= 70 else "medium" if probability >= 40 else "high"
    assert document["engagement_metrics"]["risk_level"] == expected


def test_forum_posts_are_counted():
    records = [record("R1", "forum_post", at(0)), record("R2", "forum_post", at(1))]
    metrics = analytics_document([activity(records)])["engagement_metrics"]
    assert metrics["interaction_metrics"]["forum_posts"] == 2


def test_without_sessions_or_durations_the_nulls_say_why():
    document = analytics_document([activity([record("R1", "login", at(-3))])])
    engagement = {k: v for k, v in document["null_reasons"].items() if k.startswith("engagement")}
    assert engagement == {
        "engagement_metrics.avg_session_length": "no session in the period",
        "engagement_metrics.interaction_metrics.clicks_per_session": "no session in the period",
        "engagement_metrics.interaction_metrics.pages_per_session": "no session in the period",
        "engagement_metrics.engagement_trend": "no activity with a duration in the period",
    }


def test_a_trend_is_not_null_and_has_no_null_reason():
    document = analytics_document(stream())
    assert document["engagement_metrics"]["engagement_trend"] is not None
    assert "engagement_metrics.engagement_trend" not in document["null_reasons"]


WEEK = Period(PeriodType.WEEKLY, at(0, -8), at(7, -8))  # Nov 2 to Nov 9, UTC; middle Nov 5 12:00


@pytest.mark.parametrize(
    ("first", "second", "trend"),
    [
        (600, 720, "stable"),
        (600, 721, "increasing"),
        (600, 480, "stable"),
        (600, 479, "decreasing"),
    ],
)
def test_a_trend_needs_more_than_a_fifth_more_or_less(first: float, second: float, trend: str):
    # minutes in the first half, then in the second, whose record starts at the middle
    middle = WEEK.start + WEEK.length / 2
    records = [
        activity_fact("R1", at(1), seconds=first * 60),
        activity_fact("R2", middle, seconds=second * 60),
    ]
    assert engagement_trend(records, WEEK) == trend


def test_a_record_at_the_middle_moment_is_in_the_second_half():
    middle = WEEK.start + WEEK.length / 2
    assert engagement_trend([activity_fact("R1", middle, seconds=60)], WEEK) == "increasing"
    before = middle - timedelta(microseconds=1)
    assert engagement_trend([activity_fact("R1", before, seconds=60)], WEEK) == "decreasing"


def test_a_day_with_activity_is_the_whole_of_a_daily_period():
    day = Period(PeriodType.DAILY, at(0, -8), at(1, -8))
    records = [activity_fact("R1", at(0), kind=Kind.LESSON)]
    # 60 x 1 of 1 day + 40 x 1 of the 4 kinds
    assert participation_score(records, day, "UTC") == 70.0
