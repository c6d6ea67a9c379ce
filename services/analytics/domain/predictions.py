"""``predictions``: success probability with its reasons, interventions, completion date and
the next milestone, for one student in one course, as of a moment.

The moment is the period's end, or now if that is earlier, so a past period's
predictions are what could be known then.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.analytics.domain.classmates import remembered, remembered_each
from services.analytics.domain.features import Features, features_of, start_of
from services.analytics.domain.nulls import NullReasons
from services.analytics.domain.performance import best_scores, items_done
from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.risk_model import RiskModel

#: a contribution below this (in log-odds) is a reason worth naming
REASON_THRESHOLD = -0.1
MAX_REASONS = 4
#: time since the start shapes the prediction but is not the student's doing
NOT_REASONS = frozenset({"days_enrolled"})
LOW_RISK, MEDIUM_RISK = 70.0, 40.0
PACE_DAYS = 28
MILESTONE_TYPES = {"lesson": "lesson", "quiz": "assessment", "assignment": "assignment"}


def risk_level(probability: float) -> str:
    if probability >= LOW_RISK:
        return "low"
    return "medium" if probability >= MEDIUM_RISK else "high"


def _date(moment: datetime | None) -> str:
    return "an unknown day" if moment is None else f"{moment:%Y-%m-%d}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _reason(name: str, features: Features, model: RiskModel) -> str:
    """The feature in words a teacher reads, with the student's own values."""
    typical = model.center_of(name)
    f = features
    if name == "active_day_share":
        return f"active on {f.active_day_share:.0%} of recent days (typical {typical:.0%})"
    if name == "days_since_activity":
        return f"no activity for {f.days_since_activity:.0f} days"
    if name == "submissions_per_week":
        return (
            f"{f.submissions_per_week:.1f} quiz or assignment submissions per week "
            f"(typical {typical:.1f})"
        )
    if name == "mean_score":
        return (
            f"average score {f.mean_score:.0f} on {_plural(f.results, 'graded assessment')} "
            f"(typical {typical:.0f})"
        )
    if name == "recent_minutes":
        return (
            f"{f.recent_minutes:.0f} minutes of study in the last 14 days (typical {typical:.0f})"
        )
    if name == "items_per_week":
        return (
            f"completing {f.items_per_week:.1f} lessons, quizzes or assignments per "
            f"week (typical {typical:.1f})"
        )
    if name == "retries_per_quiz":
        return f"{f.retries_per_quiz + 1:.1f} attempts per quiz on average"
    if name == "missed_share":
        return f"submitted {f.due_submitted} of the {_plural(f.due, 'assessment')} due so far"
    if name == "mean_lateness":
        return (
            f"{_plural(f.late, 'assessment')} submitted late, by {f.mean_lateness:.1f} days "
            "on average"
        )
    if name == "weighted_score":
        return (
            f"weighted score so far {f.weighted_score:.0f} with missing work counted as 0 "
            f"(typical {typical:.0f})"
        )
    if name == "recent_score":
        return f"latest scores average {f.recent_score:.0f} (typical {typical:.0f})"
    if name == "days_since_submission":
        if f.last_submission_at is None:
            return f"no submission in the {f.days_since_submission:.0f} days since the start"
        return f"last submission {f.days_since_submission:.0f} days ago"
    if name == "score_trend":
        return f"latest score {abs(f.score_trend):.0f} points below the earlier average"
    if name == "paused":
        return f"stopped the course (paused) on {_date(f.paused_since)}"
    return f"{name.replace('_', ' ')} below typical"


_INTERVENTIONS = {
    "active_day_share": ("outreach", "Check in with the student: they log in on few days."),
    "days_since_activity": ("outreach", "Contact the student: they have stopped working."),
    "recent_minutes": ("study_plan", "Agree a weekly study time with the student."),
    "submissions_per_week": ("study_plan", "Plan the next quizzes and assignments with dates."),
    "items_per_week": ("study_plan", "Break the remaining course into weekly goals."),
    "mean_score": ("tutoring", "Offer tutoring on the weakest topics."),
    "retries_per_quiz": ("review", "Review the material before the next quiz attempt."),
    "missed_share": ("outreach", "Contact the student about the work they have not submitted."),
    "mean_lateness": ("study_plan", "Plan the next due dates with the student."),
    "weighted_score": ("tutoring", "Offer tutoring and a plan to recover the missing marks."),
    "recent_score": ("tutoring", "Offer tutoring on the latest topics."),
    "days_since_submission": ("outreach", "Contact the student: no work submitted lately."),
    "score_trend": ("review", "Review the latest topics with the student."),
    "paused": ("outreach", "Contact the student about returning to the course."),
}


def _true_of(name: str, features: Features) -> bool:
    """Whether the words of ``name``'s reason are true of the student: time since the
    start is not the student's doing, and a latest score is below the earlier average
    only when there are two results and it is below (a trend of 0 from a single result
    is typical for the model, not a fall)."""
    if name in NOT_REASONS:
        return False
    if name == "score_trend":
        return features.results > 1 and features.score_trend < 0
    return True


def reasons_of(features: Features, model: RiskModel, *, at_risk: bool = False) -> list[str]:
    """The features that pull the probability down most, most harmful first, in words:
    those that lower the log-odds by more than ``REASON_THRESHOLD``; for a student at
    risk with none of those, the one feature that lowers them most, so that every
    student flagged is told why in their own data."""
    contributions = model.contributions(features)
    harmful = sorted(
        (value, name)
        for name, value in contributions.items()
        if value < 0 and features.value(name) is not None and _true_of(name, features)
    )
    strong = [name for value, name in harmful if value < REASON_THRESHOLD]
    if strong or not at_risk:
        return strong[:MAX_REASONS]
    return [name for _, name in harmful[:1]]


@dataclass(frozen=True)
class Assessment:
    probability: float  # 0-100
    level: str
    reason_keys: tuple[str, ...]
    reasons: tuple[str, ...]


def assess(facts: StudentFacts, model: RiskModel, as_of: datetime) -> Assessment | None:
    features = features_of(facts, as_of)
    if features is None:
        return None
    probability = round(100 * model.probability(features), 2)
    level = risk_level(probability)
    keys = reasons_of(features, model, at_risk=level != "low")
    if level == "medium" and not keys:
        # below 70% only as a typical student of the course is at this point of it:
        # nothing of the student's own to act on
        level = "low"
    return Assessment(
        probability=probability,
        level=level,
        reason_keys=tuple(keys),
        reasons=tuple(_reason(key, features, model) for key in keys),
    )


def pace_per_day(facts: StudentFacts, as_of: datetime) -> float:
    """Items done per day over the last 28 days (or since the student's start)."""
    start = start_of(facts)
    if start is None:
        return 0.0
    window = min(float(PACE_DAYS), max(1.0, (as_of - start).total_seconds() / 86400))
    recent = items_done(facts, as_of) - items_done(facts, as_of - timedelta(days=window))
    return len(recent) / window


def days_to_items(facts: StudentFacts, as_of: datetime) -> dict[tuple[str, str, str], float]:
    """Days from the student's start to their doing each item they did before ``as_of``."""
    start = start_of(facts)
    if start is None:
        return {}
    moments: dict[tuple[str, str, str], datetime] = {}
    for c in facts.lessons:
        key = (c.course_id, "lesson", c.lesson_id)
        moments[key] = min(moments.get(key, c.completed_at), c.completed_at)
    for a in facts.attempts:
        if a.passed and not a.is_practice and a.completed_at is not None:
            key = (a.course_id, "quiz", a.quiz_id)
            moments[key] = min(moments.get(key, a.completed_at), a.completed_at)
    for s in facts.assignments:
        key = (s.course_id, "assignment", s.assignment_id)
        moments[key] = min(moments.get(key, s.first_submitted_at), s.first_submitted_at)
    return {
        key: (moment - start).total_seconds() / 86400
        for key, moment in moments.items()
        if moment < as_of
    }


def milestone_order(
    classmates: Mapping[str, StudentFacts], as_of: datetime
) -> dict[tuple[str, str, str], float]:
    """Median days from each classmate's start to their doing each item."""
    days: dict[tuple[str, str, str], list[float]] = {}
    each = remembered_each(classmates, "days_to_items", as_of, lambda f: days_to_items(f, as_of))
    for student in sorted(each):
        for key, value in each[student].items():
            days.setdefault(key, []).append(value)
    return {key: statistics.median(values) for key, values in days.items()}


def predictions(
    facts: StudentFacts,
    classmates: Mapping[str, StudentFacts],
    catalog: set[tuple[str, str, str]],
    course_id: str | None,
    model: RiskModel,
    as_of: datetime,
    reasons: NullReasons,
) -> tuple[dict[str, Any], Assessment | None]:
    nulls = reasons.scoped("predictions")
    section: dict[str, Any] = {
        "estimated_completion_date": None,
        "success_probability": None,
        "at_risk_indicators": [],
        "recommended_interventions": [],
        "next_milestone": None,
    }
    if course_id is None:
        why = "predictions are per course: ask with course_id"
        for name in ("estimated_completion_date", "success_probability", "next_milestone"):
            nulls.null(name, why)
        return section, None
    assessment = assess(facts, model, as_of)
    if assessment is None:
        nulls.null("success_probability", "no fact of the student in the course yet")
    else:
        section["success_probability"] = assessment.probability
        section["at_risk_indicators"] = list(assessment.reasons)
        section["recommended_interventions"] = [
            {
                "type": _INTERVENTIONS[key][0],
                "urgency": assessment.level,
                "description": _INTERVENTIONS[key][1],
            }
            for key in assessment.reason_keys
            if key in _INTERVENTIONS
        ]
    completed = [e.completed_at for e in facts.enrollments if e.completed_at is not None]
    done = items_done(facts, as_of)
    remaining = catalog - done
    outline = [item for item in facts.outline if item.course_id == course_id]
    if outline:  # the outline says what is left to do: its required items
        to_complete = {
            (course_id, item.kind, item.item_id) for item in outline if item.required
        } - done
    else:
        to_complete = remaining
    pace = pace_per_day(facts, as_of)
    if completed:
        section["estimated_completion_date"] = min(completed)
    elif not catalog:
        nulls.null("estimated_completion_date", "no lesson, quiz or assignment is known yet")
    elif pace == 0:
        nulls.null("estimated_completion_date", "no item done in the last 28 days")
    else:
        section["estimated_completion_date"] = as_of + timedelta(days=len(to_complete) / pace)
    if not remaining:
        nulls.null("next_milestone", "every known item of the course is done")
        return section, assessment
    weak = sorted(q for q, s in best_scores(facts.attempts, as_of).items() if s < 60)
    if assessment is not None and assessment.reasons:
        preparation = f"address first: {assessment.reasons[0]}"
    else:
        preparation = "none beyond the items before it"
    upcoming = [
        item
        for item in outline
        if item.due_at is not None
        and item.due_at >= as_of
        and (course_id, item.kind, item.item_id) in remaining
    ]
    if upcoming:  # the next due date of the outline
        item = min(upcoming, key=lambda i: (i.due_at or as_of, i.position))
        kind, item_id, estimated = item.kind, item.item_id, item.due_at
        description = f"{kind} {item_id}, due {item.due_at:%Y-%m-%d %H:%M} UTC"
    else:  # no due date ahead: what classmates did next
        order = remembered(
            classmates, "milestone_order", as_of, lambda: milestone_order(classmates, as_of)
        )
        _course, kind, item_id = min(remaining, key=lambda key: (order.get(key, float("inf")), key))
        description = f"{kind} {item_id}"
        estimated = as_of + timedelta(days=1 / pace) if pace > 0 else None
        if estimated is None:
            nulls.null("next_milestone.estimated_date", "no item done in the last 28 days")
    if kind == "quiz" and weak:
        preparation = f"review the quizzes scored below 60: {', '.join(weak[:3])}"
    section["next_milestone"] = {
        "type": MILESTONE_TYPES[kind],
        "description": description,
        "estimated_date": estimated,
        "preparation_needed": preparation,
    }
    return section, assessment
