"""``performance_metrics``: quiz and assignment results in the period, mastery and areas.

Quiz results are the student's non-practice attempts completed in the period with a
score (a pending essay has none until graded; a regraded attempt counts its latest
grade). Assignment results are graded assignments whose latest submission falls in
the period. Mastery and strengths use every quiz up to the period's end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.analytics.domain.nulls import NullReasons, mean, rounded
from services.analytics.domain.periods import Period
from services.analytics.domain.projections import Assignment, Attempt, StudentFacts

STRONG, WEAK = 80.0, 60.0
MAX_AREAS = 5
GRADE_BANDS = (("a_count", 90.0), ("b_count", 80.0), ("c_count", 70.0), ("d_count", 60.0))


def scored_attempts(attempts: Sequence[Attempt], period: Period) -> list[Attempt]:
    chosen = [
        a
        for a in attempts
        if not a.is_practice and a.score is not None and period.contains(a.completed_at)
    ]
    return sorted(chosen, key=lambda a: (a.completed_at, a.attempt_id))


def graded_assignments(assignments: Sequence[Assignment], period: Period) -> list[Assignment]:
    return [a for a in assignments if a.grade is not None and period.contains(a.submitted_at)]


def best_scores(attempts: Sequence[Attempt], until: datetime) -> dict[str, float]:
    """Each quiz's best non-practice score among attempts completed before ``until``."""
    best: dict[str, float] = {}
    for a in attempts:
        if a.is_practice or a.score is None or a.completed_at is None or a.completed_at >= until:
            continue
        best[a.quiz_id] = max(best.get(a.quiz_id, 0.0), a.score)
    return best


def improvement(scores: Sequence[float]) -> float | None:
    """Mean of the later half minus mean of the earlier half (the middle one of an odd
    count is left out); None below two scores."""
    half = len(scores) // 2
    if half == 0:
        return None
    return sum(scores[-half:]) / half - sum(scores[:half]) / half


def grade_band(score: float) -> str:
    for name, floor in GRADE_BANDS:
        if score >= floor:
            return name
    return "f_count"


def items_done(facts: StudentFacts, until: datetime) -> set[tuple[str, str, str]]:
    """(course, kind, id) of every lesson completed, quiz passed and assignment submitted."""
    done = {("lesson", c.course_id, c.lesson_id) for c in facts.lessons if c.completed_at < until}
    done |= {
        ("quiz", a.course_id, a.quiz_id)
        for a in facts.attempts
        if a.passed and not a.is_practice and a.completed_at and a.completed_at < until
    }
    done |= {
        ("assignment", a.course_id, a.assignment_id)
        for a in facts.assignments
        if a.first_submitted_at < until
    }
    return {(course, kind, item) for kind, course, item in done}


def performance_metrics(
    facts: StudentFacts,
    period: Period,
    catalog: set[tuple[str, str, str]],
    reasons: NullReasons,
) -> dict[str, Any]:
    """``catalog``: every (course, kind, id) known in the student's courses."""
    nulls = reasons.scoped("performance_metrics")
    attempts = scored_attempts(facts.attempts, period)
    scores = [a.score for a in attempts if a.score is not None]
    assignments = graded_assignments(facts.assignments, period)
    grades = [a.grade for a in assignments if a.grade is not None]
    best = best_scores(facts.attempts, period.end)
    done = items_done(facts, period.end) & catalog
    completion = 100 * len(done) / len(catalog) if catalog else None
    distribution = {name: 0 for name, _ in GRADE_BANDS} | {"f_count": 0}
    for score in [*scores, *grades]:
        distribution[grade_band(score)] += 1
    strong = sorted((q for q, s in best.items() if s >= STRONG), key=lambda q: (-best[q], q))
    weak = sorted((q for q, s in best.items() if s < WEAK), key=lambda q: (best[q], q))
    return {
        "quiz_average": nulls.value(
            "quiz_average", rounded(mean(scores)), "no scored quiz attempt in the period"
        ),
        "quiz_improvement": nulls.value(
            "quiz_improvement",
            rounded(improvement(scores)),
            "fewer than two scored quiz attempts in the period",
        ),
        "assignment_average": nulls.value(
            "assignment_average", rounded(mean(grades)), "no graded assignment in the period"
        ),
        "completion_rate": nulls.value(
            "completion_rate", rounded(completion), "no lesson, quiz or assignment is known yet"
        ),
        "mastery_level": nulls.value(
            "mastery_level",
            rounded(mean(list(best.values()))),
            "no scored quiz attempt up to the period's end",
        ),
        "strengths": strong[:MAX_AREAS],
        "weaknesses": weak[:MAX_AREAS],
        "grade_distribution": distribution,
    }
