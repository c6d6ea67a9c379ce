"""The behavioural features a student's success is predicted from, as of a moment.

Only what the student did: activity, submissions, scores, lateness, pace, retries, and
whether they paused the course. Never a protected attribute (gender, age, disability,
region, deprivation): analytics does not receive them, and the model has no input for
them. The due dates and weights come from the course's published outline
(``progress.outline.published``); without an outline nothing is due, so the due-date
features stay at their neutral values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.analytics.domain.projections import OutlineItem, StudentFacts
from services.analytics.domain.sessions import active_dates

RECENT_DAYS = 28
MINUTES_DAYS = 14
MAX_IDLE_DAYS = 60.0
#: days since the start count up to a year: the model learns from the first 300 days
#: (``risk_model.CHECKPOINT_DAYS``), and the straight line it draws through them says
#: nothing of an enrollment years old
MAX_ENROLLED_DAYS = 365.0
RECENT_RESULTS = 2
DAY = 86400.0

#: the model's inputs, in the order of a model's coefficients
NAMES = (
    "active_day_share",  # share of the last 28 days (or days enrolled) with activity
    "days_since_activity",  # since the last record, lesson or submission; capped at 60
    "submissions_per_week",  # quiz and assignment submissions per week enrolled
    "mean_score",  # quiz scores and assignment grades so far (None: no result)
    "recent_minutes",  # minutes of activity in the last 14 days
    "items_per_week",  # lessons completed, quizzes passed, assignments submitted
    "retries_per_quiz",  # attempts per attempted quiz beyond the first
    "days_enrolled",
    "missed_share",  # share of the assessments due so far not submitted (0: none due)
    "mean_lateness",  # mean days late of the due assessments submitted (0: none)
    "weighted_score",  # outline-weighted score of the due or submitted assessments, missing 0
    "recent_score",  # mean of the last two results (None: no result)
    "days_since_submission",  # since the last submission, else since the start; capped at 60
    "score_trend",  # the last result minus the mean of the earlier ones (0: fewer than two)
    "paused",  # 1 when the enrollment's status is paused (the student stopped), else 0
)
#: features that are None when there is nothing to compute them from
OPTIONAL = frozenset({"mean_score", "weighted_score", "recent_score"})


@dataclass(frozen=True)
class Features:
    active_day_share: float
    days_since_activity: float
    submissions_per_week: float
    mean_score: float | None
    recent_minutes: float
    items_per_week: float
    retries_per_quiz: float
    days_enrolled: float
    missed_share: float
    mean_lateness: float
    weighted_score: float | None
    recent_score: float | None
    days_since_submission: float
    score_trend: float
    paused: float
    # the student's own data the reasons quote (not inputs of the model)
    results: int = 0  # graded submissions so far
    due: int = 0  # assessments due so far
    due_submitted: int = 0  # of those, submitted
    late: int = 0  # due assessments submitted after their due moment
    last_submission_at: datetime | None = None
    paused_since: datetime | None = None

    def value(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    def vector(self, fills: dict[str, float]) -> list[float]:
        """The inputs in ``NAMES`` order, a missing (None) one replaced by its fill."""
        return [fills[name] if (v := self.value(name)) is None else float(v) for name in NAMES]


def start_of(facts: StudentFacts) -> datetime | None:
    moments = [e.enrolled_at for e in facts.enrollments if e.enrolled_at is not None]
    moments += [r.occurred_at for r in facts.activities]
    moments += [a.completed_at for a in facts.attempts if a.completed_at is not None]
    moments += [c.completed_at for c in facts.lessons]
    return min(moments) if moments else None


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / DAY


def submissions_before(facts: StudentFacts, as_of: datetime) -> dict[str, datetime]:
    """The first moment each quiz or assignment was submitted (non-practice), before as_of."""
    first: dict[str, datetime] = {}
    for a in facts.attempts:
        if not a.is_practice and a.completed_at is not None and a.completed_at < as_of:
            first[a.quiz_id] = min(first.get(a.quiz_id, a.completed_at), a.completed_at)
    for s in facts.assignments:
        if s.first_submitted_at < as_of:
            first[s.assignment_id] = min(
                first.get(s.assignment_id, s.first_submitted_at), s.first_submitted_at
            )
    return first


def results_before(facts: StudentFacts, as_of: datetime) -> list[tuple[datetime, str, float]]:
    """(moment, item, score) of each scored quiz attempt and graded assignment, in time order."""
    results = [
        (a.completed_at, a.quiz_id, a.score)
        for a in facts.attempts
        if not a.is_practice
        and a.completed_at is not None
        and a.completed_at < as_of
        and a.score is not None
    ]
    results += [
        (s.submitted_at, s.assignment_id, s.grade)
        for s in facts.assignments
        if s.first_submitted_at < as_of and s.grade is not None
    ]
    return sorted(results)


def due_items(outline: tuple[OutlineItem, ...], as_of: datetime) -> list[OutlineItem]:
    """The quizzes and assignments of the outline due before ``as_of``; a formative one
    (not required for completion) included: skipping it is disengagement all the same."""
    return [
        item
        for item in outline
        if item.assessed and item.due_at is not None and item.due_at < as_of
    ]


def weighted_score_of(
    outline: tuple[OutlineItem, ...],
    best: dict[str, float],
    submitted: dict[str, datetime],
    as_of: datetime,
) -> float | None:
    """Outline-weighted mean score over the assessments due before ``as_of`` or submitted
    before it; a due one not submitted counts 0. None when no such assessment."""
    due = {item.item_id for item in due_items(outline, as_of)}
    counted = [
        item
        for item in outline
        if item.assessed and (item.item_id in due or item.item_id in submitted)
    ]
    total = sum(item.weight for item in counted)
    if total == 0:
        return None
    return sum(item.weight * best.get(item.item_id, 0.0) for item in counted) / total


def paused_since(facts: StudentFacts, as_of: datetime) -> datetime | None:
    """When the enrollment was paused, if its status before ``as_of`` is paused."""
    for enrollment in facts.enrollments:
        if enrollment.status_at(as_of) == "paused":
            return max(at for at, status in enrollment.status_changes if at < as_of)
    return None


def features_of(facts: StudentFacts, as_of: datetime) -> Features | None:
    """The features as of ``as_of`` (only facts before it); None before any fact."""
    start = start_of(facts)
    if start is None or start >= as_of:
        return None
    enrolled_days = max(1.0, _days(as_of - start))
    weeks = enrolled_days / 7
    records = [r for r in facts.activities if r.occurred_at < as_of]
    window = min(float(RECENT_DAYS), enrolled_days)
    recent = [r for r in records if r.occurred_at >= as_of - timedelta(days=window)]
    active = len(active_dates(recent, "UTC"))
    attempts = [
        a
        for a in facts.attempts
        if not a.is_practice and a.completed_at is not None and a.completed_at < as_of
    ]
    assignments = [a for a in facts.assignments if a.first_submitted_at < as_of]
    results = results_before(facts, as_of)
    scores = [score for _, _, score in results]
    quizzes = {a.quiz_id for a in attempts}
    lessons = {c.lesson_id for c in facts.lessons if c.completed_at < as_of}
    passed = {a.quiz_id for a in attempts if a.passed}
    submitted = submissions_before(facts, as_of)
    best: dict[str, float] = {}
    for _, item, score in results:
        best[item] = max(best.get(item, score), score)
    due = due_items(facts.outline, as_of)
    due_done = [item for item in due if item.item_id in submitted]
    lateness = [
        max(0.0, _days(submitted[item.item_id] - item.due_at))
        for item in due_done
        if item.due_at is not None
    ]
    # every submission, a quiz's retries and an assignment's resubmission included
    submission_moments = [a.completed_at for a in attempts if a.completed_at is not None]
    submission_moments += [
        s.submitted_at if s.submitted_at < as_of else s.first_submitted_at for s in assignments
    ]
    last_submission = max(submission_moments, default=None)
    # the last sign of work: an activity record, a lesson completed, a submission
    last = max(
        [r.occurred_at for r in records]
        + [c.completed_at for c in facts.lessons if c.completed_at < as_of]
        + submission_moments,
        default=start,
    )
    paused = paused_since(facts, as_of)
    return Features(
        active_day_share=min(1.0, active / window),
        days_since_activity=min(MAX_IDLE_DAYS, _days(as_of - last)),
        submissions_per_week=(len(attempts) + len(assignments)) / weeks,
        mean_score=sum(scores) / len(scores) if scores else None,
        recent_minutes=sum(
            r.minutes for r in records if r.occurred_at >= as_of - timedelta(days=MINUTES_DAYS)
        ),
        items_per_week=(len(lessons) + len(passed) + len(assignments)) / weeks,
        retries_per_quiz=(len(attempts) / len(quizzes) - 1) if quizzes else 0.0,
        days_enrolled=min(MAX_ENROLLED_DAYS, enrolled_days),
        missed_share=(len(due) - len(due_done)) / len(due) if due else 0.0,
        mean_lateness=sum(lateness) / len(lateness) if lateness else 0.0,
        weighted_score=weighted_score_of(facts.outline, best, submitted, as_of),
        recent_score=(
            sum(scores[-RECENT_RESULTS:]) / len(scores[-RECENT_RESULTS:]) if scores else None
        ),
        days_since_submission=min(
            MAX_IDLE_DAYS, _days(as_of - max(start, last_submission or start))
        ),
        score_trend=scores[-1] - sum(scores[:-1]) / len(scores[:-1]) if len(scores) > 1 else 0.0,
        paused=1.0 if paused is not None else 0.0,
        results=len(scores),
        due=len(due),
        due_submitted=len(due_done),
        late=sum(1 for days in lateness if days > 0),
        last_submission_at=last_submission,
        paused_since=paused,
    )
