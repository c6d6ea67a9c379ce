"""The class view of a course: distributions of progress and scores, and who is at risk.

Progress is each student's ``completion_rate`` (items done of the course's known items)
and score their course score (``comparison.course_score``), both as of ``as_of``. The
at-risk list holds the students whose risk level is medium or high, least likely to
succeed first, each with their own reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.analytics.domain.comparison import course_score
from services.analytics.domain.performance import items_done
from services.analytics.domain.predictions import assess
from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.risk_model import RiskModel

BANDS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))


def band_name(low: int, high: int) -> str:
    return f"{low}-{min(high, 100)}"


def band_of(value: float) -> str:
    for low, high in BANDS:
        if low <= value < high:
            return band_name(low, high)
    return band_name(*BANDS[-1])


def distribution(values: list[float]) -> dict[str, int]:
    counts = {band_name(low, high): 0 for low, high in BANDS}
    for value in values:
        for low, high in BANDS:
            if low <= value < high:
                counts[band_name(low, high)] += 1
    return counts


def class_view(
    course_id: str,
    students: Mapping[str, StudentFacts],
    catalog: set[tuple[str, str, str]],
    model: RiskModel,
    as_of: datetime,
) -> dict[str, Any]:
    progress, scores, at_risk = [], [], []
    for student_id, facts in sorted(students.items()):
        if catalog:
            done = items_done(facts, as_of) & catalog
            progress.append(100 * len(done) / len(catalog))
        score = course_score(facts, as_of)
        if score is not None:
            scores.append(score)
        assessment = assess(facts, model, as_of)
        if assessment is not None and assessment.level != "low":
            at_risk.append(
                {
                    "student_id": student_id,
                    "risk_level": assessment.level,
                    "success_probability": assessment.probability,
                    "reasons": list(assessment.reasons),
                }
            )
    at_risk.sort(key=lambda row: (row["success_probability"], row["student_id"]))
    return {
        "course_id": course_id,
        "as_of": as_of,
        "student_count": len(students),
        "known_items": len(catalog),
        "progress_distribution": distribution(progress),
        "score_distribution": distribution(scores),
        "average_progress": round(sum(progress) / len(progress), 2) if progress else None,
        "average_score": round(sum(scores) / len(scores), 2) if scores else None,
        "at_risk": at_risk,
        "model": {"source": model.source, "trained_on": model.trained_on},
    }
