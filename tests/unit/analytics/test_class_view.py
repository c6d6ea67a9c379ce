"""The class view, worked out by hand on a class of three."""

from __future__ import annotations

import pytest

from services.analytics import usecases
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
