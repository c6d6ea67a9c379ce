"""A PerformanceReport's content, computed from the student's work and the teacher's input.

Pure: takes plain values, returns the spec's sections as plain dicts. The definitions
(what attendance means here, how weights and trends are counted) are in the service's
README.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.reports.domain.grading import DEFAULT_SCALE, GradeBand, GradingScale
from services.reports.domain.texts import say
from services.reports.domain.trends import mastery_level, sub_skill_level, trend_of
from services.reports.domain.work import (
    AssignmentWork,
    CourseSettings,
    OutlineItem,
    Period,
    QuizAttempt,
    RiskAssessment,
    StudentRecord,
)

SUBMITTED = frozenset({"submitted", "graded", "returned", "late"})
#: analytics' risk levels that call for regular check-ins with the teacher
AT_RISK = frozenset({"medium", "high"})


@dataclass(frozen=True)
class ReportInputs:
    record: StudentRecord
    period: Period
    outline: Sequence[OutlineItem] = ()
    course: CourseSettings = field(default_factory=CourseSettings)
    teacher: Mapping[str, Any] = field(default_factory=dict)
    language: str = "en"
    for_parents: bool = False


def scale_of(course: CourseSettings) -> GradingScale:
    if not course.scale_bands:
        return DEFAULT_SCALE
    return GradingScale(tuple(GradeBand(*band) for band in course.scale_bands))


def compose_report(inputs: ReportInputs) -> dict[str, Any]:
    """The report's sections: summary, assessments, skills, goals, feedback, next_steps."""
    quizzes = _quizzes(inputs)
    assignments = _assignments(inputs)
    skills = _skills(inputs)
    summary = _summary(inputs, quizzes, assignments)
    feedback = _feedback(inputs, summary, quizzes, assignments, skills)
    return {
        "summary": summary,
        "assessments": {
            "quizzes": quizzes,
            "assignments": assignments,
            "projects": [dict(p) for p in inputs.teacher.get("projects", [])],
        },
        "skills": skills,
        "goals": [dict(goal) for goal in inputs.teacher.get("goals", [])],
        "feedback": feedback,
        "next_steps": _next_steps(inputs, summary, skills, assignments),
        "charts": chart_series(inputs, quizzes, assignments),
    }


def chart_series(
    inputs: ReportInputs, quizzes: list[dict[str, Any]], assignments: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """The series the charts draw: scores over time, minutes per day, grades by letter."""
    trend = [
        [a.completed_at.date().isoformat(), a.score]
        for a in _counted_attempts(inputs)
        if a.score is not None
    ]
    minutes: dict[str, float] = defaultdict(float)
    record, period = inputs.record, inputs.period
    for moment, spent in (
        [(x.completed_at, x.time_spent) for x in record.lessons]
        + [(x.completed_at, x.time_spent) for x in record.attempts]
        + [(x.submitted_at, x.time_spent) for x in record.assignments]
    ):
        if moment in period:
            minutes[moment.date().isoformat()] += spent
    scale = scale_of(inputs.course)
    scores = [q["score"] for q in quizzes if q["score"] is not None]
    scores += [a["grade"] for a in assignments if a["grade"] is not None]
    letters = [scale.letter_for(score) for score in scores]
    return {
        "score_trend": trend,
        "time_by_day": [[day, round(total, 1)] for day, total in sorted(minutes.items())],
        "grade_distribution": [
            [band.letter, letters.count(band.letter)] for band in reversed(scale.bands)
        ],
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _titles(inputs: ReportInputs) -> dict[str, OutlineItem]:
    return {item.item_id: item for item in inputs.outline}


def _title(inputs: ReportInputs, item_id: str) -> str:
    item = _titles(inputs).get(item_id)
    return item.title if item else inputs.course.item_titles.get(item_id, item_id)


def _graded_weight_total(inputs: ReportInputs) -> float:
    return sum(i.weight for i in inputs.outline if i.kind in {"quiz", "assignment"})


def _weight_percentage(inputs: ReportInputs, item_id: str, graded_count: int) -> float:
    total = _graded_weight_total(inputs)
    item = _titles(inputs).get(item_id)
    if item is None or total == 0:
        return round(100 / graded_count, 1) if graded_count else 0.0
    return round(100 * item.weight / total, 1)


def _counted_attempts(inputs: ReportInputs) -> list[QuizAttempt]:
    return sorted(
        (
            a
            for a in inputs.record.attempts
            if not a.is_practice and a.completed_at in inputs.period
        ),
        key=lambda a: (a.completed_at, a.attempt_id),
    )


def _quizzes(inputs: ReportInputs) -> list[dict[str, Any]]:
    by_quiz: dict[str, list[QuizAttempt]] = defaultdict(list)
    for attempt in _counted_attempts(inputs):
        by_quiz[attempt.quiz_id].append(attempt)
    graded = len(by_quiz) + len({a.assignment_id for a in _assignment_work(inputs)})
    rows = []
    for quiz_id, attempts in sorted(by_quiz.items(), key=lambda kv: kv[1][-1].completed_at):
        scores = [a.score for a in attempts if a.score is not None]
        rows.append(
            {
                "id": quiz_id,
                "title": _title(inputs, quiz_id),
                "date": attempts[-1].completed_at,
                "score": _round(max(scores)) if scores else None,
                "weight": _weight_percentage(inputs, quiz_id, graded),
                "trend": trend_of(scores),
            }
        )
    return rows


def _assignment_work(inputs: ReportInputs) -> list[AssignmentWork]:
    return sorted(
        (
            w
            for w in inputs.record.assignments
            if w.status in SUBMITTED and w.submitted_at in inputs.period
        ),
        key=lambda w: (w.submitted_at, w.assignment_id),
    )


def _assignments(inputs: ReportInputs) -> list[dict[str, Any]]:
    summaries = inputs.teacher.get("feedback_summaries", {})
    rows = []
    for work in _assignment_work(inputs):
        due = inputs.course.due_dates.get(work.assignment_id)
        rows.append(
            {
                "id": work.assignment_id,
                "title": _title(inputs, work.assignment_id),
                "submitted": work.submitted_at,
                "grade": _round(work.grade),
                "feedback_summary": summaries.get(work.assignment_id),
                "late": due is not None and work.submitted_at > due,
            }
        )
    return rows


def _overall_percentage(
    inputs: ReportInputs, quizzes: list[dict[str, Any]], assignments: list[dict[str, Any]]
) -> float | None:
    weights = {item.item_id: item.weight for item in inputs.outline}
    scored = [(q["id"], q["score"]) for q in quizzes if q["score"] is not None]
    scored += [(a["id"], a["grade"]) for a in assignments if a["grade"] is not None]
    if not scored:
        return None
    total = sum(weights.get(item_id, 1.0) for item_id, _ in scored)
    return sum(weights.get(item_id, 1.0) * score for item_id, score in scored) / total


def _work_moments(inputs: ReportInputs) -> list[datetime]:
    record, period = inputs.record, inputs.period
    moments = [lesson.completed_at for lesson in record.lessons]
    moments += [a.completed_at for a in record.attempts]
    moments += [w.submitted_at for w in record.assignments]
    return [moment for moment in moments if moment in period]


def attendance_rate(moments: Sequence[datetime], period: Period) -> float:
    """Percentage of the period's weeks (7-day blocks from its start) with any work."""
    weeks = max(1, math.ceil((period.end - period.start).total_seconds() / (7 * 86400)))
    active = {int((m - period.start).total_seconds() // (7 * 86400)) for m in moments}
    return round(100 * len(active) / weeks, 1)


def _completion_rate(inputs: ReportInputs) -> float | None:
    required = [item for item in inputs.outline if item.required]
    if not required:
        return None
    lessons = {lesson.lesson_id for lesson in inputs.record.lessons}
    quizzes = {a.quiz_id for a in inputs.record.attempts if not a.is_practice}
    submitted = {w.assignment_id for w in inputs.record.assignments if w.status in SUBMITTED}
    done = sum(1 for item in required if item.item_id in lessons | quizzes | submitted)
    return round(100 * done / len(required), 1)


def _minutes_in_period(inputs: ReportInputs) -> float:
    record, period = inputs.record, inputs.period
    minutes = sum(x.time_spent for x in record.lessons if x.completed_at in period)
    minutes += sum(x.time_spent for x in record.attempts if x.completed_at in period)
    minutes += sum(x.time_spent for x in record.assignments if x.submitted_at in period)
    return minutes


def _summary(
    inputs: ReportInputs, quizzes: list[dict[str, Any]], assignments: list[dict[str, Any]]
) -> dict[str, Any]:
    scale = scale_of(inputs.course)
    percentage = _overall_percentage(inputs, quizzes, assignments)
    band = scale.band_for(percentage) if percentage is not None else None
    completed = inputs.record.course_completed_at is not None
    earned = inputs.course.credit_hours if completed and band and band.gpa_points > 0 else 0.0
    return {
        "overall_grade": band.letter if band else None,
        "overall_percentage": _round(percentage),
        "attendance_rate": attendance_rate(_work_moments(inputs), inputs.period),
        "completion_rate": _completion_rate(inputs),
        "behavior_score": inputs.teacher.get("behavior_score"),
        "effort_score": inputs.teacher.get("effort_score"),
        "total_time_spent": round(_minutes_in_period(inputs) / 60, 2),
        "assignments_completed": len(assignments),
        "quizzes_taken": len(quizzes),
        "gpa_contribution": (
            round(band.gpa_points * inputs.course.credit_hours, 2) if band else None
        ),
        "credit_hours": earned,
    }


def _skills(inputs: ReportInputs) -> list[dict[str, Any]]:
    """One academic skill per outline module with scored work; its items are sub-skills."""
    scores: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for attempt in _counted_attempts(inputs):
        if attempt.score is not None:
            scores[attempt.quiz_id].append((attempt.completed_at, attempt.score))
    for work in _assignment_work(inputs):
        if work.grade is not None:
            scores[work.assignment_id].append((work.submitted_at, work.grade))
    for lesson in inputs.record.lessons:
        if lesson.score is not None and lesson.completed_at in inputs.period:
            scores[lesson.lesson_id].append((lesson.completed_at, lesson.score))
    modules: dict[str, list[OutlineItem]] = defaultdict(list)
    for item in inputs.outline:
        if item.item_id in scores:
            modules[item.module_id].append(item)
    skills = []
    for items in modules.values():
        evidence = [entry for item in items for entry in scores[item.item_id]]
        average = sum(score for _, score in evidence) / len(evidence)
        skills.append(
            {
                "skill_name": items[0].module_title,
                "category": "academic",
                "mastery_level": mastery_level(average),
                "evidence_count": len(evidence),
                "last_demonstrated": max(moment for moment, _ in evidence),
                "sub_skills": [
                    {
                        "name": item.title,
                        "level": sub_skill_level(max(s for _, s in scores[item.item_id])),
                    }
                    for item in items
                ],
            }
        )
    return skills


def _feedback(
    inputs: ReportInputs,
    summary: dict[str, Any],
    quizzes: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    skills: list[dict[str, Any]],
) -> dict[str, Any]:
    lang = inputs.language
    strong = [s["skill_name"] for s in skills if s["mastery_level"] in {"proficient", "advanced"}]
    weak = [s["skill_name"] for s in skills if s["mastery_level"] in {"beginner", "developing"}]
    improvements = [say(lang, "phrase.improvement", skill=name) for name in weak]
    improvements += [
        say(lang, "phrase.declining", quiz=q["title"]) for q in quizzes if q["trend"] == "declining"
    ]
    achievements = []
    if inputs.record.course_completed_at is not None:
        achievements.append(say(lang, "phrase.completed"))
    if inputs.record.certificate_issued_at is not None:
        achievements.append(say(lang, "phrase.certificate"))
    achievements += [
        say(lang, "phrase.perfect", quiz=q["title"]) for q in quizzes if q["score"] == 100
    ]
    earned = sorted(
        (a for a in inputs.record.achievements if a.earned_at in inputs.period),
        key=lambda a: (a.earned_at, a.achievement_id),
    )
    achievements += [say(lang, "phrase.achievement", title=a.title) for a in earned]
    behavioral = []
    if summary["attendance_rate"] < 50:
        behavioral.append(say(lang, "phrase.weekly"))
    if any(a["late"] for a in assignments):
        behavioral.append(say(lang, "phrase.on_time"))
    percentage = summary["overall_percentage"]
    enrichment = (
        [say(lang, "phrase.enrichment")] if percentage is not None and percentage >= 90 else []
    )
    return {
        "strengths": [say(lang, "phrase.strength", skill=name) for name in strong],
        "improvements": improvements,
        "achievements": achievements,
        "teacher_comments": inputs.teacher.get("teacher_comments"),
        "action_items": [dict(item) for item in inputs.teacher.get("action_items", [])],
        "recommendations": {
            "academic": [say(lang, "phrase.review", skill=name) for name in weak],
            "behavioral": behavioral,
            "enrichment": enrichment,
        },
    }


def at_risk(risks: Sequence[RiskAssessment], period: Period) -> bool:
    """Whether analytics' latest assessment by the period's end, in any course, is medium
    or high (assessments arrive in any order: the latest ``assessed_at`` counts, and of
    two at the same moment the one at risk)."""
    latest: dict[str, RiskAssessment] = {}
    for risk in risks:
        if risk.assessed_at > period.end:
            continue
        kept = latest.get(risk.course_id)
        if kept is None or (risk.assessed_at, risk.level in AT_RISK) > (
            kept.assessed_at,
            kept.level in AT_RISK,
        ):
            latest[risk.course_id] = risk
    return any(risk.level in AT_RISK for risk in latest.values())


def _next_steps(
    inputs: ReportInputs,
    summary: dict[str, Any],
    skills: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
) -> dict[str, Any]:
    lang = inputs.language
    ranked = sorted(
        skills,
        key=lambda s: ["beginner", "developing", "proficient", "advanced"].index(
            s["mastery_level"]
        ),
    )
    weakest = (
        ranked[0] if ranked and ranked[0]["mastery_level"] in {"beginner", "developing"} else None
    )
    done = {lesson.lesson_id for lesson in inputs.record.lessons}
    done |= {a.quiz_id for a in inputs.record.attempts} | {a["id"] for a in assignments}
    unfinished = [i for i in inputs.outline if i.required and i.item_id not in done]
    if weakest is not None:
        focus = say(lang, "phrase.review", skill=weakest["skill_name"])
    elif unfinished:
        focus = say(lang, "phrase.finish", item=unfinished[0].title)
    else:
        focus = say(lang, "phrase.keep_pace")
    support = []
    percentage = summary["overall_percentage"]
    if percentage is not None and percentage < 70:
        support.append(say(lang, "phrase.tutoring"))
    if at_risk(inputs.record.risks, inputs.period):
        support.append(say(lang, "phrase.check_ins"))
    support += [s for s in inputs.teacher.get("support_services", []) if s not in support]
    parent_actions = []
    if inputs.for_parents:
        parent_actions.append(say(lang, "phrase.parent_review"))
        if any(a["late"] for a in assignments):
            parent_actions.append(say(lang, "phrase.parent_due_dates"))
    return {
        "immediate_focus": focus,
        "resources": [dict(r) for r in inputs.teacher.get("resources", [])],
        "support_services": support,
        "parent_actions": parent_actions,
    }
