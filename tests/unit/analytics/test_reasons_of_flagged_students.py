"""Every student at medium or high risk is told why, in their own data, when anything of
theirs pulls the prediction down; a student at low risk only for strong reasons; a
student with nothing of their own pulling the prediction down is not at medium risk."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.analytics.domain.features import NAMES, Features, features_of
from services.analytics.domain.predictions import (
    REASON_THRESHOLD,
    assess,
    reasons_of,
    risk_level,
)
from services.analytics.domain.projections import Assignment, Enrollment, StudentFacts
from services.analytics.domain.risk_model import PRIOR, Calibration, RiskModel
from tests.unit.analytics.streams import COURSE, STUDENT, at

pytestmark = pytest.mark.unit

#: a model that is unsure early on: every term is a tenth of the prior's, and a typical
#: student's log-odds are -0.5 (38%: high risk)
UNSURE = replace(PRIOR, calibrations=(Calibration(0.0, 0.1, -0.54),))


def student(**values: float) -> Features:
    centers = dict(zip(NAMES, PRIOR.centers, strict=True))
    return Features(**{**centers, **values})


def test_a_flagged_student_with_only_weak_reasons_is_told_the_weakest_of_them_first():
    # 5 points under the typical score (-0.2 x 0.1) and 2 days without activity (-0.12 x 0.1)
    weak = student(mean_score=65.0, days_since_activity=5.0)
    contributions = UNSURE.contributions(weak)
    assert REASON_THRESHOLD < contributions["mean_score"] < contributions["days_since_activity"] < 0
    assert risk_level(100 * UNSURE.probability(weak)) == "high"
    assert reasons_of(weak, UNSURE, at_risk=True) == ["mean_score"]
    assert reasons_of(weak, UNSURE) == []


def test_strong_reasons_are_all_given_and_weak_ones_left_out():
    mixed = student(mean_score=40.0, missed_share=0.5, days_since_activity=4.0)  # -0.06
    assert reasons_of(mixed, PRIOR, at_risk=True) == ["mean_score", "missed_share"]
    assert reasons_of(mixed, PRIOR) == ["mean_score", "missed_share"]


def test_nothing_of_the_student_pulling_down_gives_no_reason_even_when_flagged():
    # early in the course (days enrolled is not the student's doing) and typical otherwise
    early = student(days_enrolled=2.0)
    assert reasons_of(early, UNSURE, at_risk=True) == []


def test_a_score_trend_is_a_reason_only_when_the_latest_score_fell():
    # the typical trend is +5: a student's 0 or +2 pulls the prediction down, yet their
    # latest score is not below their earlier average
    rising = replace(
        PRIOR,
        centers=tuple(
            5.0 if n == "score_trend" else c for n, c in zip(NAMES, PRIOR.centers, strict=True)
        ),
        coefficients=tuple(
            0.5 if n == "score_trend" else c for n, c in zip(NAMES, PRIOR.coefficients, strict=True)
        ),
    )
    single = student(score_trend=0.0, results=1)
    up = student(score_trend=2.0, results=3)
    down = student(score_trend=-4.0, results=3)
    assert rising.contributions(single)["score_trend"] < REASON_THRESHOLD
    assert rising.contributions(up)["score_trend"] < REASON_THRESHOLD
    assert reasons_of(single, rising, at_risk=True) == []
    assert reasons_of(up, rising, at_risk=True) == []
    assert reasons_of(down, rising, at_risk=True) == ["score_trend"]
    # at the edges: two results are enough, one is not; a fall is below 0, not 0 or a bit
    assert reasons_of(student(score_trend=-4.0, results=2), rising) == ["score_trend"]
    assert reasons_of(student(score_trend=-4.0, results=1), rising, at_risk=True) == []
    for flat in (0.0, 0.5):
        assert rising.contributions(student(score_trend=flat, results=3))["score_trend"] < (
            REASON_THRESHOLD
        )
        assert reasons_of(student(score_trend=flat, results=3), rising, at_risk=True) == []


def typical_of(facts: StudentFacts, intercept: float) -> RiskModel:
    """A model whose typical student is exactly this one, succeeding at sigmoid(intercept)."""
    features = features_of(facts, at(30))
    assert features is not None
    return replace(PRIOR, intercept=intercept, centers=tuple(features.vector(PRIOR.fills())))


def one_student() -> StudentFacts:
    enrollment = Enrollment("ENR-1", STUDENT, COURSE, at(0), "in_progress", None)
    work = Assignment(STUDENT, COURSE, "A1", "graded", at(12), at(12), 70.0, None)
    return StudentFacts(STUDENT, (), (), (), (work,), (enrollment,))


def test_a_typical_student_below_70_percent_is_at_low_risk_with_nothing_to_act_on():
    facts = one_student()
    typical = assess(facts, typical_of(facts, 0.2), at(30))  # 55%
    assert typical is not None and typical.probability == pytest.approx(54.98, abs=0.01)
    assert (typical.level, typical.reasons) == ("low", ())


def test_a_typical_student_below_40_percent_stays_at_high_risk():
    facts = one_student()
    unlikely = assess(facts, typical_of(facts, -1.0), at(30))  # 27%
    assert unlikely is not None and (unlikely.level, unlikely.reasons) == ("high", ())


def test_a_student_below_70_percent_with_a_reason_of_their_own_is_at_medium_risk():
    facts = one_student()
    model = typical_of(facts, 0.6)  # 65% for the typical student
    centers = dict(zip(NAMES, model.centers, strict=True))
    above = replace(model, centers=tuple({**centers, "mean_score": 75.0}.values()))  # 5 under
    found = assess(facts, above, at(30))
    assert found is not None and found.level == "medium"
    assert found.reason_keys == ("mean_score",)


def test_years_after_the_start_count_as_one_year():
    # the same prediction a year and years after the start: the days since the start are
    # the model's input up to a year, beyond the checkpoints it learns from
    enrollment = Enrollment("ENR-1", STUDENT, COURSE, at(0), "in_progress", None)
    facts = StudentFacts(STUDENT, (), (), (), (), (enrollment,))
    on_day_150, a_year, years = (features_of(facts, at(d)) for d in (150, 365, 3000))
    assert on_day_150 is not None and a_year is not None and years is not None
    assert (on_day_150.days_enrolled, a_year.days_enrolled) == (150.0, 365.0)
    assert years.days_enrolled == 365.0
    assert PRIOR.probability(years) == PRIOR.probability(a_year)


def test_an_assessment_gives_a_weak_reason_to_a_student_at_risk_only():
    facts = one_student()  # a mean score of 70
    centers = dict(zip(NAMES, typical_of(facts, 0.0).centers, strict=True))
    centers["mean_score"] = 71.0  # one point under the typical student: a weak reason
    likely = replace(PRIOR, intercept=2.0, centers=tuple(centers.values()))  # about 88%
    unlikely = replace(PRIOR, intercept=-2.0, centers=tuple(centers.values()))  # about 12%
    assert REASON_THRESHOLD < likely.contributions(features_of(facts, at(30)))["mean_score"] < 0
    low, high = assess(facts, likely, at(30)), assess(facts, unlikely, at(30))
    assert low is not None and (low.level, low.reason_keys) == ("low", ())
    assert high is not None and (high.level, high.reason_keys) == ("high", ("mean_score",))
