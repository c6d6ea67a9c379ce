"""Evaluating the success model: AUC and calibration error, worked out by hand, and on
held-out later enrollments by checkpoint."""

from __future__ import annotations

import pytest

from services.analytics.domain.evaluation import auc, calibration_error, default_split, evaluate
from services.analytics.domain.projections import Enrollment, StudentFacts
from services.analytics.domain.risk_model import CHECKPOINT_DAYS
from services.analytics.store import enrollment_facts
from tests.unit.analytics.streams import (
    COURSE,
    activity,
    analytics_session,
    apply,
    at,
    course_completed,
    enrolled,
    record,
    status_changed,
    submitted,
)

pytestmark = pytest.mark.unit


def test_auc_counts_correctly_ranked_pairs():
    # pairs (success, failure): 0.9>0.1, 0.9>0.6, 0.4>0.1 right; 0.4<0.6 wrong
    assert auc([True, False, True, False], [0.9, 0.1, 0.4, 0.6]) == 0.75
    assert auc([True, True], [0.2, 0.3]) is None


def test_calibration_error_weighs_each_bins_gap():
    # bins of 0.9, 0.1, 0.4 and 0.6 hold one each: (0.1 + 0.1 + 0.6 + 0.6) / 4
    assert calibration_error([True, False, True, False], [0.9, 0.1, 0.4, 0.6]) == pytest.approx(
        0.35
    )


def cohort(
    prefix: str, start: float, completers: int, leavers: int, *, course: str = COURSE
) -> list:
    events = []
    for n in range(completers + leavers):
        student, done = f"{prefix}-{n}", n < completers
        events.append(enrolled(at(start), student=student, course=course))
        days = range(0, 30, 1) if done else range(0, 6, 3)
        records = [
            record(
                f"{student}-{d}",
                "lesson_start",
                at(start + d),
                duration=1800,
                student=student,
                course=course,
            )
            for d in days
        ]
        events.append(activity(records, student=student))
        score = 80.0 + n % 10 if done else 30.0 + n % 10
        events.append(
            submitted(f"{student}-Q", "QZ-1", at(start + 2), score, student=student, course=course)
        )
        if done:
            events.append(course_completed(at(start + 30), student=student, course=course))
    return events


def test_a_model_trained_before_the_split_is_judged_on_later_enrollments():
    with analytics_session() as session:
        apply(session, cohort("EARLY", 0, 25, 25) + cohort("LATE", 100, 6, 4))
        model, scores = evaluate(enrollment_facts(session), split=at(99), now=at(250))
    assert model.source == "trained"
    by_day = {score.day: score for score in scores}
    assert (by_day[7].enrollments, by_day[7].successes) == (10, 6)
    assert by_day[7].auc == 1.0
    assert by_day[7].calibration_error is not None
    # the completers completed on day 30: day 60 holds only the leavers, still judged
    # though they left long before (their prediction is still shown)
    assert (by_day[60].enrollments, by_day[60].successes, by_day[60].auc) == (4, 0, None)
    assert (by_day[120].enrollments, by_day[150].enrollments) == (4, 0)  # day 250: not yet


def test_auc_counts_a_tie_as_half_and_needs_both_outcomes():
    assert auc([True, False], [0.5, 0.5]) == 0.5
    assert auc([True, True, False], [0.9, 0.2, 0.5]) == 0.5
    assert auc([False, False], [0.2, 0.3]) is None


def test_calibration_error_bins_by_tenths_with_a_certain_prediction_in_the_top_bin():
    # bin 7: predicted 0.75 three times, 2 of 3 succeeded; bin 2: 0.25, failed
    labels, predicted = [True, True, False, False], [0.75, 0.75, 0.75, 0.25]
    assert calibration_error(labels, predicted) == pytest.approx(3 / 4 * (0.75 - 2 / 3) + 0.25 / 4)
    # 1.0 falls in the top bin with 0.95: observed 1 of 2, predicted 0.975
    assert calibration_error([True, False], [1.0, 0.95]) == pytest.approx(0.475)
    assert calibration_error([], []) is None


def test_the_top_two_bins_are_apart_and_a_certain_prediction_joins_the_top_one():
    # bins 8 and 9: 0.5 x 0.15 + 0.5 x 0.95
    assert calibration_error([True, False], [0.85, 0.95]) == pytest.approx(0.55)
    # 1.0 and 0.95 share bin 9: observed 0.5, predicted 0.975
    assert calibration_error([False, True], [1.0, 0.95]) == pytest.approx(0.475)


def test_labels_and_predictions_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="zip"):
        auc([True, False], [0.9, 0.1, 0.5])
    with pytest.raises(ValueError, match="zip"):
        auc([True, False, False], [0.9, 0.1])
    with pytest.raises(ValueError, match="zip"):
        calibration_error([True, False], [0.9])


def enrollment_started(day: float, *, finished: bool = True) -> StudentFacts:
    """An enrollment started on ``day``: completed 30 days later, or still open."""
    completed = at(day + 30) if finished else None
    status = "completed" if finished else "in_progress"
    return StudentFacts(
        student_id=f"USR-{day}",
        activities=(),
        attempts=(),
        lessons=(),
        assignments=(),
        enrollments=(Enrollment("ENR", "USR", COURSE, at(day), status, completed),),
    )


def starts(*days: float) -> list[StudentFacts]:
    return [enrollment_started(day) for day in days]


def test_the_default_split_leaves_the_share_closest_to_a_third_to_judge():
    # from day 10: 3 of 7 judged (0.43); from day 20: 1 of 7 (0.14)
    assert default_split(starts(0, 0, 0, 0, 10, 10, 20), at(250)) == at(10)
    # from day 10: 4 of 5 judged (0.8); from day 20: 1 of 5 (0.2)
    assert default_split(starts(0, 10, 10, 10, 20), at(250)) == at(20)


def test_of_two_equally_close_splits_the_default_is_the_later():
    # from day 10: 4 of 9 judged, from day 20: 2 of 9, both 1/9 away from a third
    assert default_split(starts(0, 0, 0, 0, 0, 10, 10, 20, 20), at(250)) == at(20)


def test_the_default_split_counts_finished_enrollments_only():
    # the three open ones (started on day 200, 50 days before: not abandoned yet) are
    # left out: day 10 judges 1 of the 3 finished
    open_ones = [enrollment_started(200, finished=False) for _ in range(3)]
    assert default_split(starts(0, 0, 10) + open_ones, at(250)) == at(10)
    assert default_split(open_ones + starts(0), at(250)) is None


def test_a_split_at_a_start_trains_before_it_and_judges_from_it_with_calibration():
    events = [
        event
        for course in ("CRS-A", "CRS-B", "CRS-C")
        for event in cohort(course, 0, 9, 9, course=course)
    ]
    # an enrollment whose enrolled event has not arrived and with nothing done: no start
    events += [*cohort("LATE", 100, 6, 4), status_changed(at(120), "not_started", "paused")]
    with analytics_session() as session:
        apply(session, events)
        enrollments = enrollment_facts(session)
    assert any(f.enrollments[0].enrolled_at is None for f in enrollments)
    model, scores = evaluate(enrollments, split=at(100), now=at(250))
    assert (model.source, model.trained_at) == ("trained", at(100))
    # trained on three courses, recalibrated on each left out of a fit
    assert [c.day for c in model.calibrations] == list(CHECKPOINT_DAYS)
    assert (scores[0].day, scores[0].enrollments, scores[0].successes) == (7, 10, 6)
