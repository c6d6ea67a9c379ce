"""learning_patterns, worked out by hand on the week of Nov 2, 2026 (UTC)."""

from __future__ import annotations

import pytest

from tests.unit.analytics.streams import (
    activity,
    analytics_document,
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
