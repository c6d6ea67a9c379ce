"""The behavioural features a student's success is predicted from, as of a moment.

Only what the student did: activity, submissions, scores, pace and retries. Never a
protected attribute (gender, age, disability, region, deprivation): analytics does not
receive them, and the model has no input for them. Lateness is not among them: the
consumed events carry no due dates.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.sessions import active_dates

RECENT_DAYS = 28
MINUTES_DAYS = 14
MAX_IDLE_DAYS = 60.0


@dataclass(frozen=True)
class Features:
    active_day_share: float  # share of the last 28 days (or days enrolled) with activity
    days_since_activity: float  # capped at 60
    submissions_per_week: float  # quiz and assignment submissions per week enrolled
    mean_score: float | None  # quiz scores and assignment grades so far (None: no result)
    recent_minutes: float  # minutes of activity in the last 14 days
    items_per_week: float  # lessons completed, quizzes passed, assignments submitted
    retries_per_quiz: float  # attempts per attempted quiz beyond the first
    days_enrolled: float

    def vector(self, score_if_none: float) -> list[float]:
        values = list(astuple(self))
        if values[3] is None:
            values[3] = score_if_none
        return [float(v) for v in values]


NAMES = tuple(Features.__dataclass_fields__)


def start_of(facts: StudentFacts) -> datetime | None:
    moments = [e.enrolled_at for e in facts.enrollments if e.enrolled_at is not None]
    moments += [r.occurred_at for r in facts.activities]
    moments += [a.completed_at for a in facts.attempts if a.completed_at is not None]
    moments += [c.completed_at for c in facts.lessons]
    return min(moments) if moments else None


def features_of(facts: StudentFacts, as_of: datetime) -> Features | None:
    """The features as of ``as_of`` (only facts before it); None before any fact."""
    start = start_of(facts)
    if start is None or start >= as_of:
        return None
    enrolled_days = max(1.0, (as_of - start).total_seconds() / 86400)
    weeks = enrolled_days / 7
    records = [r for r in facts.activities if r.occurred_at < as_of]
    window = min(float(RECENT_DAYS), enrolled_days)
    recent = [r for r in records if r.occurred_at >= as_of - timedelta(days=window)]
    active = len(active_dates(recent, "UTC"))
    last = max((r.occurred_at for r in records), default=start)
    attempts = [
        a
        for a in facts.attempts
        if not a.is_practice and a.completed_at is not None and a.completed_at < as_of
    ]
    assignments = [a for a in facts.assignments if a.first_submitted_at < as_of]
    results = [a.score for a in attempts if a.score is not None]
    results += [a.grade for a in assignments if a.grade is not None]
    quizzes = {a.quiz_id for a in attempts}
    lessons = {c.lesson_id for c in facts.lessons if c.completed_at < as_of}
    passed = {a.quiz_id for a in attempts if a.passed}
    return Features(
        active_day_share=min(1.0, active / window),
        days_since_activity=min(MAX_IDLE_DAYS, (as_of - last).total_seconds() / 86400),
        submissions_per_week=(len(attempts) + len(assignments)) / weeks,
        mean_score=sum(results) / len(results) if results else None,
        recent_minutes=sum(
            r.minutes for r in records if r.occurred_at >= as_of - timedelta(days=MINUTES_DAYS)
        ),
        items_per_week=(len(lessons) + len(passed) + len(assignments)) / weeks,
        retries_per_quiz=(len(attempts) / len(quizzes) - 1) if quizzes else 0.0,
        days_enrolled=enrolled_days,
    )
