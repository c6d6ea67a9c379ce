"""The features of one student worked out by hand, and what happens at the moment itself."""

from __future__ import annotations

import pytest

from services.analytics.domain.features import Features, features_of
from shared.events import Envelope
from tests.unit.analytics.streams import (
    activity,
    assignment,
    at,
    enrolled,
    facts_of,
    lesson_completed,
    outline_published,
    record,
    status_changed,
    submitted,
)

pytestmark = pytest.mark.unit


def three_weeks() -> list[Envelope]:
    outline = outline_published(
        1,
        [
            {"item_id": "QZ-1", "kind": "quiz", "weight": 20.0, "due_at": at(2)},
            {"item_id": "TMA-1", "kind": "assignment", "weight": 40.0, "due_at": at(4)},
            {"item_id": "TMA-2", "kind": "assignment", "weight": 40.0, "due_at": at(10)},
            # never due: counted once submitted (a practice attempt is no submission)
            {"item_id": "QZ-2", "kind": "quiz", "weight": 20.0},
            {"item_id": "QZ-9", "kind": "quiz", "weight": 20.0},
            {"item_id": "TMA-9", "kind": "assignment", "weight": 20.0},
        ],
    )
    return [
        enrolled(at(0)),
        outline,
        # 10 minutes exactly 14 days before the moment (at day 20), then 20 minutes
        activity(
            [
                record("R1", "lesson_start", at(6), duration=600, lesson_id="LSN-1"),
                record("R2", "lesson_start", at(10), duration=1200, lesson_id="LSN-2"),
            ]
        ),
        lesson_completed("LSN-1", at(1)),
        lesson_completed("LSN-2", at(2)),
        submitted("AT-1", "QZ-1", at(3), 80.0),  # a day late
        submitted("AT-2", "QZ-1", at(4), 40.0, number=2),
        submitted("AT-3", "QZ-2", at(3), 90.0, practice=True),  # practice: not counted
        assignment("TMA-1", "submit", at(5), occurred=at(5)),  # a day late
        assignment("TMA-1", "grade", at(5), occurred=at(7), grade=70.0),
        assignment("TMA-1", "submit", at(12), occurred=at(12)),  # submitted again
        assignment("TMA-1", "grade", at(12), occurred=at(13), grade=70.0),
        assignment("TMA-2", "submit", at(9), occurred=at(9)),  # on time
        assignment("TMA-2", "submit", at(25), occurred=at(25)),  # again, after the moment
    ]


def test_the_features_of_three_weeks_worked_out_by_hand():
    features = features_of(facts_of(three_weeks()), at(20))
    weeks = 20 / 7
    assert features == Features(
        active_day_share=2 / 20,  # 2 active days of the 20 since the start
        days_since_activity=8.0,  # TMA-1 submitted again on day 12
        submissions_per_week=pytest.approx(4 / weeks),  # 2 attempts, 2 assignments
        mean_score=pytest.approx((80 + 40 + 70) / 3),  # in time order: 80, 40, 70
        recent_minutes=30.0,
        items_per_week=pytest.approx(5 / weeks),  # 2 lessons, 1 quiz passed, 2 assignments
        retries_per_quiz=1.0,  # 2 attempts at 1 quiz
        days_enrolled=20.0,
        missed_share=0.0,
        mean_lateness=pytest.approx(2 / 3),  # 1, 1 and 0 days late
        weighted_score=pytest.approx((20 * 80 + 40 * 70 + 40 * 0) / 100),  # best of QZ-1: 80
        recent_score=pytest.approx((40 + 70) / 2),
        days_since_submission=8.0,  # TMA-2's second submission is after the moment
        score_trend=pytest.approx(70 - (80 + 40) / 2),
        paused=0.0,
        results=3,
        due=3,
        due_submitted=3,
        late=2,
        last_submission_at=at(12),
        paused_since=None,
    )


def test_what_happens_at_the_moment_itself_is_not_known_yet():
    moment = at(20)
    at_the_moment = [
        activity([record("R9", "login", moment)]),
        lesson_completed("LSN-9", moment),
        submitted("AT-9", "QZ-9", moment, 95.0),
        assignment("TMA-9", "submit", moment, occurred=moment),
        assignment("TMA-9", "grade", moment, occurred=moment, grade=90.0),
        status_changed(moment, "in_progress", "paused", changed_at=moment),
    ]
    before = features_of(facts_of(three_weeks()), moment)
    assert features_of(facts_of(three_weeks() + at_the_moment), moment) == before


def test_nothing_is_known_at_the_start_itself():
    assert features_of(facts_of([enrolled(at(0))]), at(0)) is None


def test_a_short_enrollment_counts_at_least_a_day_and_at_most_every_day_active():
    events = [
        enrolled(at(0)),
        activity([record("R1", "login", at(0)), record("R2", "login", at(1))]),
    ]
    features = features_of(facts_of(events), at(1, 12))
    assert features is not None
    # 2 active dates in 1.5 days: every day active, no more
    assert (features.active_day_share, features.days_enrolled) == (1.0, 1.5)
    assert features.retries_per_quiz == 0.0  # no quiz
    half_day = features_of(facts_of(events[:1]), at(0, 12))
    assert half_day is not None
    assert half_day.days_enrolled == 1.0


def test_paused_since_the_last_change_before_the_moment():
    events = [
        enrolled(at(0)),
        lesson_completed("LSN-1", at(1)),
        status_changed(at(15), "in_progress", "paused", changed_at=at(15)),
        status_changed(at(20), "paused", "in_progress", changed_at=at(20)),
    ]
    features = features_of(facts_of(events), at(20))
    assert features is not None
    assert (features.paused, features.paused_since) == (1.0, at(15))
