"""The success model's calibration by day of the enrollment (Platt scaling per checkpoint)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from services.analytics.domain.features import NAMES, Features
from services.analytics.domain.risk_model import (
    CHECKPOINT_DAYS,
    PRIOR,
    Calibration,
    RiskModel,
    calibration_at,
    fit_calibrations,
)

pytestmark = pytest.mark.unit

TWO_DAYS = (Calibration(7.0, 1.0, 0.0), Calibration(30.0, 2.0, 1.0))


def typical(days_enrolled: float, **values: float) -> Features:
    """A student at the prior's centers on every feature but ``values``."""
    centers = dict(zip(NAMES, PRIOR.centers, strict=True))
    return Features(**{**centers, "days_enrolled": days_enrolled, **values})


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_without_calibrations_the_log_odds_are_as_fitted():
    assert calibration_at((), 50.0) == (1.0, 0.0)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (0.0, (1.0, 0.0)),
        (7.0, (1.0, 0.0)),
        (18.5, (1.5, 0.5)),
        (30.0, (2.0, 1.0)),
        (400, (2.0, 1.0)),
    ],
)
def test_a_day_between_two_calibrated_days_takes_the_line_between_them(day, expected):
    assert calibration_at(TWO_DAYS, day) == pytest.approx(expected)


def test_the_slope_and_the_shift_each_follow_their_own_line():
    days = (Calibration(10.0, 3.0, -1.0), Calibration(20.0, 1.0, 2.0), Calibration(40.0, 1.5, 4.0))
    assert calibration_at(days, 15.0) == pytest.approx((2.0, 0.5))
    assert calibration_at(days, 35.0) == pytest.approx((1.375, 3.5))


def test_the_probability_and_the_contributions_use_the_calibration_of_the_students_day():
    # only the intercept (0.4) and the days_enrolled term (0 per day) at the centers:
    # the log-odds are slope * 0.4 + shift on each day
    model = replace(PRIOR, calibrations=TWO_DAYS)
    assert logit(model.probability(typical(7.0))) == pytest.approx(0.4)
    assert logit(model.probability(typical(30.0))) == pytest.approx(2 * 0.4 + 1)
    assert logit(model.probability(typical(18.5))) == pytest.approx(1.5 * 0.4 + 0.5)
    # a score 10 points under the center: -0.4 before scaling (0.04 per point)
    low = typical(30.0, mean_score=PRIOR.center_of("mean_score") - 10)
    assert model.contributions(low)["mean_score"] == pytest.approx(2 * -0.4)
    assert logit(model.probability(low)) == pytest.approx(2 * (0.4 - 0.4) + 1)


def test_calibrations_are_stored_with_the_model_and_older_models_load_without_them():
    model = replace(PRIOR, source="trained", calibrations=TWO_DAYS)
    assert RiskModel.from_dict(model.to_dict(), None) == model
    older = {k: v for k, v in model.to_dict().items() if k != "calibrations"}
    loaded = RiskModel.from_dict(older, None)
    assert loaded is not None and loaded.calibrations == ()


def overconfident_early(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One feature, six courses; on day 7 the outcome hardly follows it, on day 150 it does."""
    size = 4000
    days = rng.choice(np.array([7, 150]), size=size)
    signal = rng.normal(size=size)
    strength = np.where(days == 7, 0.3, 3.0)
    labels = (rng.random(size) < 1 / (1 + np.exp(-strength * signal))).astype(int)
    return signal.reshape(-1, 1), labels, days


def test_each_checkpoint_day_gets_its_own_slope_from_held_out_courses():
    standardized, labels, days = overconfident_early(np.random.default_rng(7))
    courses = [f"CRS-{n % 6}" for n in range(len(labels))]
    found = {c.day: c for c in fit_calibrations(standardized, labels, days, courses)}
    assert sorted(found) == [float(d) for d in CHECKPOINT_DAYS]
    # the fit on both days together is too sure on day 7 and too timid on day 150
    assert found[7.0].slope < 0.5 < 1.5 < found[150.0].slope
    # days without examples take the calibration of all days together
    assert found[30.0] == replace(found[60.0], day=30.0)
    assert found[7.0].slope < found[30.0].slope < found[150.0].slope


def test_fewer_than_three_courses_give_no_calibration():
    standardized, labels, days = overconfident_early(np.random.default_rng(7))
    assert fit_calibrations(standardized, labels, days, ["CRS-A", "CRS-B"] * 2000) == ()
    assert fit_calibrations(standardized, labels, days, None) == ()


def test_log_odds_of_one_rule_held_out_course_by_course_need_no_correction():
    # every course follows the same rule; each course's log-odds come from the fit on
    # the others, which hold thousands of examples even for the course of 40
    rng = np.random.default_rng(0)
    courses = ["CRS-A"] * 2000 + ["CRS-B"] * 2000 + ["CRS-C"] * 40
    signal = rng.normal(size=len(courses))
    labels = (rng.random(len(courses)) < 1 / (1 + np.exp(-1.5 * signal))).astype(int)
    days = np.full(len(courses), 7)
    found = fit_calibrations(signal.reshape(-1, 1), labels, days, courses)
    assert {(c.slope, c.shift) for c in found} == {(found[0].slope, found[0].shift)}
    assert found[0].slope == pytest.approx(1.0, abs=0.02)
    assert found[0].shift == pytest.approx(0.0, abs=0.02)


def test_the_fits_without_each_course_are_the_unit_l2_likelihood_maxima():
    # three courses alike: 10 students at +1 (7 succeed) and 10 at -1 (3 succeed)
    column = np.array(([1.0] * 10 + [-1.0] * 10) * 3)
    labels = np.array(([1] * 7 + [0] * 3 + [1] * 3 + [0] * 7) * 3)
    courses = [course for course in ("CRS-A", "CRS-B", "CRS-C") for _ in range(20)]
    found = fit_calibrations(column.reshape(-1, 1), labels, np.full(60, 7), courses)
    # by symmetry each fit on 40 examples is w * x with no intercept, where
    # w = C * 40 * (0.7 - sigmoid(w)) maximizes the likelihood under 0.5 * w^2 with C = 1
    low, high = 0.0, 10.0
    for _ in range(100):
        w = (low + high) / 2
        low, high = (w, high) if w < 40 * (0.7 - 1 / (1 + math.exp(-w))) else (low, w)
    # the held-out log-odds are +-w; scaled without a penalty they give 70% and 30%
    assert found[0].slope == pytest.approx(logit(0.7) / w, rel=1e-3)
    assert found[0].shift == pytest.approx(0.0, abs=1e-3)


def by_day(counts: dict[int, tuple[int, int, float]]) -> tuple[np.ndarray, ...]:
    """(standardized, labels, days) with, on each day, (successes, failures, strength):
    the feature sits ``strength`` above 0 for a success and below it for a failure."""
    rng = np.random.default_rng(11)
    labels = np.concatenate([[1] * s + [0] * f for s, f, _ in counts.values()])
    days = np.concatenate([[day] * (s + f) for day, (s, f, _) in counts.items()])
    strength = np.concatenate([[k] * (s + f) for s, f, k in counts.values()])
    signal = rng.normal(size=len(labels)) + strength * (2 * labels - 1)
    return signal.reshape(-1, 1), labels, days


def test_a_day_needs_30_held_out_predictions_of_each_outcome_for_its_own_calibration():
    counts = {7: (30, 30, 0.2), 14: (40, 29, 2.0), 60: (29, 40, 2.0), 150: (300, 300, 1.0)}
    standardized, labels, days = by_day(counts)
    courses = [f"CRS-{n % 3}" for n in range(len(labels))]
    found = {c.day: c for c in fit_calibrations(standardized, labels, days, courses)}
    overall = found[30.0]  # no example on day 30: the calibration of all days together
    assert replace(found[14.0], day=30.0) == replace(found[60.0], day=30.0) == overall
    assert (found[7.0].slope, found[7.0].shift) != (overall.slope, overall.shift)
    assert (found[150.0].slope, found[150.0].shift) != (overall.slope, overall.shift)


def test_a_scaling_that_turns_the_log_odds_around_is_not_kept():
    # each course's log-odds come from the other two, whose trend it goes against:
    # the held-out log-odds are highest where the outcomes are worst
    rates = {"CRS-A": (1.0, 5), "CRS-B": (0.0, 9), "CRS-C": (-1.0, 5)}  # value, successes of 10
    column = np.array([value for value, _ in rates.values() for _ in range(10)] * 4)
    labels = np.array([int(n < s) for _, s in rates.values() for n in range(10)] * 4)
    courses = [course for course in rates for _ in range(10)] * 4
    days = np.full(len(labels), 7)
    assert fit_calibrations(column.reshape(-1, 1), labels, days, courses) == ()


def test_a_scaling_that_flattens_the_log_odds_is_not_kept():
    # nothing tells the students apart and half of each course succeeds: every held-out
    # log-odds is 0, and so is the slope of their scaling
    labels = np.array([1, 0] * 60)
    courses = [f"CRS-{n % 3}" for n in range(120)]
    found = fit_calibrations(np.zeros((120, 1)), labels, np.full(120, 7), courses)
    assert found == ()
