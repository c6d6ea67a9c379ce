"""Evaluating the success model: AUC and calibration error, worked out by hand, and on
held-out later enrollments by checkpoint."""

from __future__ import annotations

import pytest

from services.analytics.domain.evaluation import auc, calibration_error, evaluate
from services.analytics.store import enrollment_facts
from tests.unit.analytics.streams import (
    activity,
    analytics_session,
    apply,
    at,
    course_completed,
    enrolled,
    record,
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


def cohort(prefix: str, start: float, completers: int, leavers: int) -> list:
    events = []
    for n in range(completers + leavers):
        student, done = f"{prefix}-{n}", n < completers
        events.append(enrolled(at(start), student=student))
        days = range(0, 30, 1) if done else range(0, 6, 3)
        records = [
            record(f"{student}-{d}", "lesson_start", at(start + d), duration=1800, student=student)
            for d in days
        ]
        events.append(activity(records, student=student))
        score = 80.0 + n % 10 if done else 30.0 + n % 10
        events.append(submitted(f"{student}-Q", "QZ-1", at(start + 2), score, student=student))
        if done:
            events.append(course_completed(at(start + 30), student=student))
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
