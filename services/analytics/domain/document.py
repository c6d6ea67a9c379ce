"""The LearningAnalytics document of one student, for a period, in one course or in all.

Assembles the sections from the facts; each field that has too little data to mean
anything is null, with its reason in ``null_reasons`` (dotted path -> reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.analytics.domain.achievements import achievements_section
from services.analytics.domain.comparison import comparison_metrics
from services.analytics.domain.engagement import engagement_metrics
from services.analytics.domain.nulls import NullReasons
from services.analytics.domain.patterns import learning_patterns
from services.analytics.domain.performance import performance_metrics
from services.analytics.domain.periods import Period
from services.analytics.domain.predictions import Assessment, predictions
from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.risk_model import RiskModel
from services.analytics.domain.sessions import student_time_zone
from services.analytics.domain.time_metrics import time_metrics


@dataclass(frozen=True)
class Analytics:
    document: dict[str, Any]
    assessment: Assessment | None


def document_id(student_id: str, course_id: str | None, period: Period) -> str:
    """Stable: the same student, course and period always have the same id."""
    scope = course_id or "all-courses"
    return f"{student_id}:{scope}:{period.type.value}:{period.start.date().isoformat()}:" + (
        f"{period.end.date().isoformat()}"
    )


def learning_analytics(
    facts: StudentFacts,
    classmates: Mapping[str, StudentFacts],
    catalog: set[tuple[str, str, str]],
    course_id: str | None,
    period: Period,
    model: RiskModel,
    now: datetime,
) -> Analytics:
    """``classmates``: the facts of every student of the course (empty without a course);
    ``catalog``: (course, kind, id) of every item known in the student's courses."""
    reasons = NullReasons()
    zone = student_time_zone(facts.activities, period.end)
    records = [r for r in facts.activities if period.contains(r.occurred_at)]
    as_of = min(period.end, now)
    engagement = engagement_metrics(records, period, zone, reasons)
    forecast, assessment = predictions(facts, classmates, catalog, course_id, model, as_of, reasons)
    if assessment is None:
        reasons["engagement_metrics.risk_level"] = reasons.get(
            "predictions.success_probability", "no prediction"
        )
    else:
        engagement["risk_level"] = assessment.level
    document = {
        "id": document_id(facts.student_id, course_id, period),
        "student_id": facts.student_id,
        "course_id": course_id,
        "period_type": period.type.value,
        "start_date": period.start,
        "end_date": period.end,
        "time_zone": zone,
        "time_metrics": time_metrics(records, period, zone),
        "performance_metrics": performance_metrics(facts, period, catalog, reasons),
        "engagement_metrics": engagement,
        "learning_patterns": learning_patterns(records, facts, period, zone, reasons),
        "comparison_metrics": comparison_metrics(facts, classmates, period, course_id, reasons),
        "predictions": forecast,
        "achievements": achievements_section(facts, period.end),
        "model": {"source": model.source, "trained_on": model.trained_on},
    }
    document["null_reasons"] = dict(sorted(reasons.items()))
    return Analytics(document, assessment)
