"""Every student at medium or high risk is told why, in their own data, when anything of
theirs pulls the prediction down; a student at low risk only for strong reasons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.analytics.domain.features import NAMES, Features
from services.analytics.domain.predictions import REASON_THRESHOLD, reasons_of, risk_level
from services.analytics.domain.risk_model import PRIOR, Calibration

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
