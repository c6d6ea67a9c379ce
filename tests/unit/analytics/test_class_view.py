"""The class view, worked out by hand on a class of three."""

from __future__ import annotations

import pytest

from services.analytics import usecases
from services.analytics.domain.class_view import band_of, class_view, distribution
from services.analytics.domain.features import NAMES
from services.analytics.domain.risk_model import PRIOR, RiskModel
from services.analytics.store import facts_of
from tests.unit.analytics.streams import (
    COURSE,
    analytics_session,
    apply,
    at,
    lesson_completed,
    submitted,
)

pytestmark = pytest.mark.unit


def test_distributions_and_the_at_risk_list_with_reasons():
    events = [
        # A: passed QZ-1 with 95 and did LSN-1 and LSN-2: 3 of 4 known items
        submitted("A1", "QZ-1", at(0), 95.0, student="USR-A"),
        lesson_completed("LSN-1", at(0), student="USR-A"),
        lesson_completed("LSN-2", at(1), student="USR-A"),
        # B: failed QZ-1 twice (30, 35): nothing done
        submitted("B1", "QZ-1", at(0), 30.0, student="USR-B"),
        submitted("B2", "QZ-1", at(1), 35.0, number=2, student="USR-B"),
        # C: QZ-2 with 70: 1 of 4
        submitted("C1", "QZ-2", at(0), 70.0, student="USR-C"),
    ]
    with analytics_session() as session:
        apply(session, events)
        view = usecases.course_analytics(session, COURSE, at(2))
    assert view is not None
    assert (view["student_count"], view["known_items"]) == (3, 4)
    # completion 75, 0, 25
    assert view["progress_distribution"] == {
        "0-20": 1,
        "20-40": 1,
        "40-60": 0,
        "60-80": 1,
        "80-100": 0,
    }
    assert view["average_progress"] == pytest.approx(33.33)
    # course scores (best per quiz): 95, 35, 70
    assert view["score_distribution"] == {
        "0-20": 0,
        "20-40": 1,
        "40-60": 0,
        "60-80": 1,
        "80-100": 1,
    }
    assert view["average_score"] == pytest.approx(66.67)
    at_risk = {row["student_id"]: row for row in view["at_risk"]}
    assert "USR-B" in at_risk and "USR-A" not in at_risk
    assert at_risk["USR-B"]["risk_level"] == "high"
    assert any("average score" in reason for reason in at_risk["USR-B"]["reasons"])
    probabilities = [row["success_probability"] for row in view["at_risk"]]
    assert probabilities == sorted(probabilities)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.0, "0-20"),
        (19.99, "0-20"),
        (20.0, "20-40"),
        (79.99, "60-80"),
        (80.0, "80-100"),
        (100.0, "80-100"),
        (101.0, "80-100"),
    ],
)
def test_a_band_holds_its_lower_bound_and_the_top_band_holds_the_rest(value: float, band: str):
    assert band_of(value) == band


def test_a_value_on_a_bound_is_counted_once_in_the_band_above():
    assert distribution([0.0, 20.0, 20.0, 39.9, 100.0]) == {
        "0-20": 1,
        "20-40": 3,
        "40-60": 0,
        "60-80": 0,
        "80-100": 1,
    }


def mean_score_model() -> RiskModel:
    """Only the mean score weighs: 0.1 per point away from 70."""
    return RiskModel(
        source="trained",
        intercept=0.0,
        coefficients=tuple(0.1 if name == "mean_score" else 0.0 for name in NAMES),
        centers=PRIOR.centers,
        scales=PRIOR.scales,
        trained_on=120,
    )


def test_the_least_likely_to_succeed_come_first_then_by_student_id():
    events = [
        submitted("A1", "QZ-1", at(0), 60.0, student="USR-A"),  # 1 / (1 + e^1): 26.89
        submitted("B1", "QZ-1", at(0), 50.0, student="USR-B"),  # 1 / (1 + e^2): 11.92
        submitted("C1", "QZ-1", at(0), 50.0, student="USR-C"),
        submitted("D1", "QZ-1", at(0), 95.0, student="USR-D"),  # 92.41: low risk
    ]
    ids = ["USR-D", "USR-C", "USR-B", "USR-A"]
    with analytics_session() as session:
        apply(session, events)
        students = facts_of(session, ids, COURSE)
    view = class_view(COURSE, students, set(), mean_score_model(), at(2))
    assert [(r["student_id"], r["success_probability"]) for r in view["at_risk"]] == [
        ("USR-B", 11.92),
        ("USR-C", 11.92),
        ("USR-A", 26.89),
    ]


def test_a_class_without_known_items_or_results():
    with analytics_session() as session:
        apply(session, [lesson_completed("LSN-1", at(0), student="USR-A")])
        students = facts_of(session, ["USR-A"], COURSE)
    view = class_view(COURSE, students, set(), mean_score_model(), at(2))
    empty = {"0-20": 0, "20-40": 0, "40-60": 0, "60-80": 0, "80-100": 0}
    assert view == {
        "course_id": COURSE,
        "as_of": at(2),
        "student_count": 1,
        "known_items": 0,
        "progress_distribution": empty,
        "score_distribution": empty,
        "average_progress": None,
        "average_score": None,
        # no result: the mean score takes its typical value, so sigmoid(0) = 50%, with
        # nothing of the student's own pulling it down: low risk, not on the list
        "at_risk": [],
        "model": {"source": "trained", "trained_on": 120},
    }
