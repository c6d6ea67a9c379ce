"""learning_patterns, worked out by hand on the week of Nov 2, 2026 (UTC)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from services.analytics.domain.patterns import (
    consistent,
    cramming,
    items_finished,
    learning_pace,
    review_frequency,
    submissions_in,
)
from services.analytics.domain.periods import Period, PeriodType
from services.analytics.domain.projections import ActivityFact, Kind, StudentFacts
from services.analytics.store import student_facts
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    activity,
    activity_fact,
    analytics_document,
    analytics_session,
    apply,
    assignment,
    at,
    lesson_completed,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def stream() -> list:
    records = [
        record("R1", "video_play", at(0), duration=30 * 60, session="S1"),
        record("R2", "lesson_start", at(1), duration=10 * 60, session="S2", lesson_id="LSN-1"),
        record("R3", "quiz_start", at(2), duration=20 * 60, session="S3", quiz_id="QZ-1"),
        record("R4", "quiz_submit", at(2, 0, 20), session="S3", quiz_id="QZ-1"),
        record("R5", "podcast_play", at(3), duration=40 * 60, details={"content_type": "audio"}),
        # a return to a lesson completed on Tuesday
        record("R6", "lesson_start", at(4), lesson_id="LSN-1"),
    ]
    return [
        activity(records),
        lesson_completed("LSN-1", at(1)),
        submitted("AT-1", "QZ-1", at(2, 0, 20), 80.0),
    ]


def test_content_preferences_are_shares_of_typed_minutes():
    patterns = analytics_document(stream())["learning_patterns"]
    assert patterns["content_preferences"] == {
        "video_preference": 30.0,
        "text_preference": 10.0,
        "interactive_preference": 20.0,
        "audio_preference": 40.0,
    }
    # the spec's preferred type is one of video, text, interactive
    assert patterns["preferred_content_type"] == "video"


def test_pace_is_items_finished_per_week():
    # one lesson completed and one quiz submitted in 7 days: 2 a week is moderate
    assert analytics_document(stream())["learning_patterns"]["learning_pace"] == "moderate"


def test_study_patterns():
    patterns = analytics_document(stream())["learning_patterns"]["study_patterns"]
    assert patterns["consistent_schedule"] is True  # active 5 days in a row
    assert patterns["cramming_detected"] is False  # 20 of 100 minutes before the submission
    assert patterns["review_frequency"] == "often"  # 1 of 2 lesson records is a review


def test_cramming_is_half_the_study_in_the_day_before_a_submission():
    records = [
        record("C1", "lesson_start", at(0), duration=40 * 60, lesson_id="LSN-1"),
        record("C2", "lesson_start", at(3, 10), duration=60 * 60, lesson_id="LSN-2"),
    ]
    events = [activity(records), submitted("AT-1", "QZ-1", at(4), 70.0)]
    patterns = analytics_document(events)["learning_patterns"]
    assert patterns["study_patterns"]["cramming_detected"] is True


def test_optimal_session_length_is_the_median_of_productive_sessions():
    records = [
        record("P1", "lesson_complete", at(0), duration=10 * 60, session="A", lesson_id="L"),
        record("P2", "lesson_complete", at(1), duration=20 * 60, session="B", lesson_id="L"),
        record("P3", "video_complete", at(2), duration=40 * 60, session="C"),
        record("P4", "video_play", at(3), duration=90 * 60, session="D"),  # not productive
    ]
    patterns = analytics_document([activity(records)])["learning_patterns"]
    assert patterns["optimal_session_length"] == 20.0


def test_thin_patterns_are_null_with_their_reasons():
    document = analytics_document(stream())
    reasons = document["null_reasons"]
    assert document["learning_patterns"]["optimal_session_length"] is None
    assert reasons["learning_patterns.optimal_session_length"] == (
        "fewer than 3 productive sessions in the period"
    )
    assert reasons["learning_patterns.preferred_difficulty"] == (
        "the consumed events carry no difficulty of content"
    )


SUBMITTED = at(5)


def study(*minutes_before: tuple[float, float]) -> list:
    """Records of ``minutes`` each, ``hours`` before the submission: (hours, minutes)."""
    return [
        activity_fact(f"R{n}", SUBMITTED - timedelta(hours=hours), seconds=minutes * 60)
        for n, (hours, minutes) in enumerate(minutes_before)
    ]


def test_cramming_needs_at_least_an_hour_of_study():
    assert cramming(study((1, 60)), [SUBMITTED]) is True
    assert cramming(study((1, 59)), [SUBMITTED]) is False


def test_cramming_is_half_the_study_or_more_in_the_24_hours_before_a_submission():
    assert cramming(study((24, 30), (48, 30)), [SUBMITTED]) is True  # at the window's start
    assert cramming(study((24, 29), (48, 31)), [SUBMITTED]) is False
    # at the submission's own moment: after it, not before
    assert cramming(study((0, 30), (48, 30)), [SUBMITTED]) is False


def test_items_finished_are_lessons_and_submissions_of_the_period():
    with analytics_session() as session:
        apply(
            session,
            [
                lesson_completed("LSN-1", at(1)),
                submitted("AT-1", "QZ-1", at(2), 70.0),
                assignment("TMA-1", "submit", at(3), occurred=at(3)),
                assignment("TMA-2", "submit", at(9), occurred=at(9)),  # after the week
            ],
        )
        facts = student_facts(session, STUDENT, COURSE)
    week = Period(PeriodType.WEEKLY, at(0, -8), at(7, -8))
    assert submissions_in(facts, week) == [at(2), at(3)]
    assert items_finished(facts, week) == 3


def test_without_content_submissions_or_lessons_every_null_says_why():
    document = analytics_document([activity([record("R1", "login", at(1))])])
    assert document["learning_patterns"] == {
        "preferred_content_type": None,
        "learning_pace": "slow",
        "optimal_session_length": None,
        "preferred_difficulty": None,
        "content_preferences": {
            "video_preference": None,
            "text_preference": None,
            "interactive_preference": None,
            "audio_preference": None,
        },
        "study_patterns": {
            "consistent_schedule": None,
            "cramming_detected": None,
            "review_frequency": None,
        },
    }
    untyped = "no time on content of a known type in the period"
    nulls = {k: v for k, v in document["null_reasons"].items() if k.startswith("learning")}
    assert nulls == {
        "learning_patterns.preferred_content_type": untyped,
        "learning_patterns.content_preferences.video_preference": untyped,
        "learning_patterns.content_preferences.text_preference": untyped,
        "learning_patterns.content_preferences.interactive_preference": untyped,
        "learning_patterns.content_preferences.audio_preference": untyped,
        "learning_patterns.optimal_session_length": (
            "fewer than 3 productive sessions in the period"
        ),
        "learning_patterns.preferred_difficulty": (
            "the consumed events carry no difficulty of content"
        ),
        "learning_patterns.study_patterns.consistent_schedule": (
            "fewer than 3 active days in the period"
        ),
        "learning_patterns.study_patterns.cramming_detected": "no submission in the period",
        "learning_patterns.study_patterns.review_frequency": "no lesson activity in the period",
    }


def test_audio_alone_prefers_no_content_type_and_says_why():
    records = [record("R1", "podcast_play", at(1), duration=60, details={"content_type": "audio"})]
    document = analytics_document([activity(records)])
    assert document["learning_patterns"]["preferred_content_type"] is None
    assert document["learning_patterns"]["content_preferences"]["audio_preference"] == 100.0
    assert document["null_reasons"]["learning_patterns.preferred_content_type"] == (
        "no video, text or interactive time"
    )


def test_the_preferred_content_is_the_one_with_most_time():
    records = [
        record("R1", "video_play", at(1), duration=61),
        record("R2", "lesson_start", at(2), duration=60, lesson_id="LSN-1"),
        record("R3", "quiz_start", at(3), duration=59, quiz_id="QZ-1"),
    ]
    patterns = analytics_document([activity(records)])["learning_patterns"]
    assert patterns["preferred_content_type"] == "video"


@pytest.mark.parametrize(
    ("video", "text", "interactive", "preferred"),
    [(10, 30, 20, "text"), (10, 20, 30, "interactive"), (0, 0, 5, "interactive")],
)
def test_text_or_interactive_content_is_preferred_when_it_has_most_time(
    video: int, text: int, interactive: int, preferred: str
):
    records = [
        record("R1", "video_play", at(1), duration=60 * video),
        record("R2", "lesson_start", at(2), duration=60 * text, lesson_id="LSN-1"),
        record("R3", "quiz_start", at(3), duration=60 * interactive, quiz_id="QZ-1"),
    ]
    patterns = analytics_document([activity(records)])["learning_patterns"]
    assert patterns["preferred_content_type"] == preferred


def lessons_facts(count: int) -> StudentFacts:
    with analytics_session() as session:
        apply(session, [lesson_completed(f"LSN-{n}", at(1, n)) for n in range(count)])
        return student_facts(session, STUDENT, COURSE)


@pytest.mark.parametrize(
    ("items", "days", "pace"),
    [
        (5, 7, "fast"),
        (4, 7, "moderate"),
        (7, 10, "moderate"),
        (2, 7, "moderate"),
        (1, 7, "slow"),
    ],
)
def test_pace_is_items_finished_per_seven_days(items: int, days: int, pace: str):
    period = Period(PeriodType.CUSTOM, at(0, -8), at(days, -8))
    assert learning_pace(lessons_facts(items), period) == pace


@pytest.mark.parametrize(
    ("days", "consistent_days"),
    [((0, 1), None), ((0, 1, 4), True), ((0, 1, 5), False)],
)
def test_a_schedule_is_consistent_when_its_gaps_vary_by_at_most_a_day(
    days: tuple[int, ...], consistent_days: bool | None
):
    # gaps 1 and 3: standard deviation 1; gaps 1 and 4: 1.5
    records = [activity_fact(f"R{d}", at(d)) for d in days]
    assert consistent(records, "UTC") is consistent_days


def lesson_visit(record_id: str, when: datetime, lesson_id: str = "LSN-1") -> ActivityFact:
    fact = activity_fact(record_id, when, kind=Kind.LESSON)
    return replace(fact, course_id=COURSE, lesson_id=lesson_id)


def test_reviews_are_visits_to_a_lesson_completed_before_them():
    facts = lessons_facts(1)  # LSN-0 completed at day 1
    first = lesson_visit("R0", at(1), "LSN-0")  # at the completion itself: no review
    later = [lesson_visit(f"R{n}", at(2, n), "LSN-9") for n in range(1, 5)]
    assert review_frequency([first, *later], facts) == "never"
    review = lesson_visit("R5", at(3), "LSN-0")
    # 1 review in 5 visits (20%) is often; in 6, rarely
    assert review_frequency([review, *later], facts) == "often"
    assert review_frequency([review, first, *later], facts) == "rarely"
    # a visit without its course is no review
    assert review_frequency([replace(review, course_id=None), *later], facts) == "never"


def test_a_lesson_completed_twice_is_reviewed_after_its_first_completion():
    with analytics_session() as session:
        apply(
            session,
            [
                lesson_completed("LSN-1", at(1), completion_id="a"),
                lesson_completed("LSN-1", at(5), completion_id="b"),
            ],
        )
        facts = student_facts(session, STUDENT, COURSE)
    assert review_frequency([lesson_visit("R1", at(3))], facts) == "often"
