"""Views that leave a class: private aggregates and the pseudonymous export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.domain.class_view import band_of
from services.analytics.domain.comparison import course_score, minutes_in, quiz_average
from services.analytics.domain.performance import items_done
from services.analytics.domain.periods import Period
from services.analytics.domain.predictions import assess
from services.analytics.domain.privacy import (
    describe,
    laplace_mechanisms,
    private_aggregate,
    pseudonym,
)
from services.analytics.domain.projections import (
    StudentFacts,
)
from shared.config import Settings
from shared.errors import Conflict


def _metric_of(
    metric: str, period: Period, catalog: set[tuple[str, str, str]]
) -> tuple[float, float, Callable[[StudentFacts], float | None]]:
    if metric == "total_time":
        return 0.0, 120.0 * period.days, lambda f: minutes_in(f.activities, period)
    if metric == "quiz_average":
        return 0.0, 100.0, lambda f: quiz_average(f, period)
    return (
        0.0,
        100.0,
        lambda f: (
            100 * len(items_done(f, period.end) & catalog) / len(catalog) if catalog else None
        ),
    )


def private_aggregate_by_course(
    session: Session,
    *,
    metric: str,
    course_ids: Sequence[str] | None,
    period: Period,
    epsilon: float,
    settings: Settings,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """A metric per course with differential privacy, spending ``epsilon`` of the month's
    budget (``Conflict`` when it is spent: nothing is computed or shown)."""
    month = now.strftime("%Y-%m")
    courses = list(course_ids) if course_ids else store.all_courses(session)
    catalog = store.catalog_of(session, courses)
    lower, upper, value_of = _metric_of(metric, period, catalog)
    mechanisms = laplace_mechanisms(epsilon, upper)
    query = f"{metric} by course {period.start.date()}..{period.end.date()}"
    remaining = store.spend_privacy_budget(
        session,
        month,
        mechanisms.epsilon,
        settings.privacy_budget,
        actor=actor,
        query=query,
        at=now,
    )
    if remaining is None:
        left = max(0.0, settings.privacy_budget - store.privacy_spent(session, month))
        raise Conflict(
            f"the privacy budget of {month} is spent: {left:.3f} of "
            f"{settings.privacy_budget} left, the query needs {mechanisms.epsilon:.3f}"
        )
    groups: dict[str, list[float]] = {}
    for course_id in courses:
        values = [
            v
            for facts in store.facts_of(session, None, course_id).values()
            if (v := value_of(facts)) is not None
        ]
        groups[course_id] = values
    shown, suppressed = private_aggregate(
        groups,
        lower=lower,
        upper=upper,
        min_group_size=settings.min_group_size,
        mechanisms=mechanisms,
    )
    return {
        "metric": metric,
        "start_date": period.start,
        "end_date": period.end,
        "epsilon_spent": round(mechanisms.epsilon, 6),
        "budget_month": month,
        "budget_remaining": round(remaining, 6),
        "min_group_size": settings.min_group_size,
        "groups": describe(shown),
        "suppressed_groups": suppressed,
    }


def pseudonymous_export(
    session: Session, course_id: str, settings: Settings, now: datetime
) -> dict[str, Any] | None:
    """Per-student rows of a course under pseudonyms with coarse bands; None for an
    unknown course; ``Conflict`` for a course smaller than the minimum group."""
    if not store.course_known(session, course_id):
        return None
    students = store.facts_of(session, None, course_id)
    if len(students) < settings.min_group_size:
        raise Conflict(
            f"the course has fewer than {settings.min_group_size} students: not exported"
        )
    catalog = store.catalog_of(session, [course_id])
    model = store.latest_risk_model(session)
    rows = []
    for student_id, facts in students.items():
        assessment = assess(facts, model, now)
        done = len(items_done(facts, now) & catalog)
        score = course_score(facts, now)
        rows.append(
            {
                "pseudonym": pseudonym(settings.pseudonym_key, student_id),
                "completion_band": band_of(100 * done / len(catalog)) if catalog else None,
                "score_band": band_of(score) if score is not None else None,
                "risk_level": assessment.level if assessment else None,
            }
        )
    rows.sort(key=lambda row: str(row["pseudonym"]))
    return {"course_id": course_id, "as_of": now, "students": rows}
