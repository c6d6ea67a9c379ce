"""``comparison_metrics``: the student against the class, their previous period and their best.

Comparisons are within one course. The measure compared with classmates is the
**course score** at the period's end: the mean of the best non-practice score of each
quiz and of the grade of each graded assignment submitted before then. Classmates are
the other students with any fact in the course; those without a course score are left
out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.analytics.domain.classmates import remembered_each
from services.analytics.domain.nulls import NullReasons, mean, rounded
from services.analytics.domain.performance import best_scores, scored_attempts
from services.analytics.domain.periods import Period
from services.analytics.domain.projections import ActivityFact, StudentFacts

#: course scores within this many points of the student's are "similar"
SIMILAR_POINTS = 5.0
#: how many earlier periods ``vs_personal_best`` looks back
PERSONAL_BEST_PERIODS = 12


def course_score(facts: StudentFacts, until: datetime) -> float | None:
    results = list(best_scores(facts.attempts, until).values())
    results += [
        a.grade for a in facts.assignments if a.grade is not None and a.submitted_at < until
    ]
    return mean(results)


def quiz_average(facts: StudentFacts, period: Period) -> float | None:
    return mean([a.score for a in scored_attempts(facts.attempts, period) if a.score is not None])


def minutes_in(records: Sequence[ActivityFact], period: Period) -> float:
    return sum(r.minutes for r in records if period.contains(r.occurred_at))


def comparison_metrics(
    facts: StudentFacts,
    classmates: Mapping[str, StudentFacts],
    period: Period,
    course_id: str | None,
    reasons: NullReasons,
) -> dict[str, Any]:
    nulls = reasons.scoped("comparison_metrics")
    previous = period.previous()
    now_minutes = minutes_in(facts.activities, period)
    before_minutes = minutes_in(facts.activities, previous)
    vs_previous = None
    if before_minutes > 0:
        vs_previous = 100 * (now_minutes - before_minutes) / before_minutes
    average = quiz_average(facts, period)
    earlier: list[float] = []
    window = period
    for _ in range(PERSONAL_BEST_PERIODS):
        window = window.previous()
        value = quiz_average(facts, window)
        if value is not None:
            earlier.append(value)
    vs_best = None
    if average is not None and earlier:
        vs_best = average - max(earlier)
    section: dict[str, Any] = {
        "vs_class_average": None,
        "vs_previous_period": nulls.value(
            "vs_previous_period",
            rounded(vs_previous),
            "no activity time in the previous period",
        ),
        "percentile_rank": None,
        "vs_personal_best": nulls.value(
            "vs_personal_best",
            rounded(vs_best),
            "no scored quiz in this period or in the 12 periods before it",
        ),
        "peer_comparison": {"ahead_of_peers": None, "similar_to_peers": None, "behind_peers": None},
    }
    class_fields = [
        "vs_class_average",
        "percentile_rank",
        "peer_comparison.ahead_of_peers",
        "peer_comparison.similar_to_peers",
        "peer_comparison.behind_peers",
    ]
    mine = course_score(facts, period.end)
    scores = remembered_each(
        classmates, "course_score", period.end, lambda other: course_score(other, period.end)
    )
    others = [
        score
        for student, score in sorted(scores.items())
        if student != facts.student_id and score is not None
    ]
    reason = None
    if course_id is None:
        reason = "comparisons with a class are within a course: ask with course_id"
    elif mine is None:
        reason = "the student has no quiz or assignment result in the course yet"
    elif not others:
        reason = "no classmate has a quiz or assignment result in the course yet"
    if reason is not None or mine is None:
        for name in class_fields:
            nulls.null(name, reason or "")
        return section
    class_average = sum(others) / len(others)
    if class_average > 0:
        section["vs_class_average"] = round(100 * (mine - class_average) / class_average, 2)
    else:
        nulls.null("vs_class_average", "the class average is 0")
    below = sum(1 for s in others if s < mine)
    equal = sum(1 for s in others if s == mine)
    section["percentile_rank"] = round(100 * (below + equal / 2) / len(others), 2)
    ahead = sum(1 for s in others if s < mine - SIMILAR_POINTS)
    behind = sum(1 for s in others if s > mine + SIMILAR_POINTS)
    section["peer_comparison"] = {
        "ahead_of_peers": round(100 * ahead / len(others), 2),
        "similar_to_peers": round(100 * (len(others) - ahead - behind) / len(others), 2),
        "behind_peers": round(100 * behind / len(others), 2),
    }
    return section
