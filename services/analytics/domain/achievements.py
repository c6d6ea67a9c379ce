"""Achievements and XP: declarative rules evaluated on a student's facts.

Each rule counts the moments at which the student did something (a quiz passed, a
lesson completed, a day of a streak...) and is earned at the moment its ``target``-th
one happened: the moment comes from the facts, never from when an event arrived, so
any order of events earns the same achievements at the same moments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.sessions import local

RECENT = 5
VELOCITY_WEEKS = 4


def _first_per_key(pairs: Sequence[tuple[str, datetime]]) -> list[datetime]:
    first: dict[str, datetime] = {}
    for key, moment in pairs:
        first[key] = min(first.get(key, moment), moment)
    return sorted(first.values())


def quizzes_passed(facts: StudentFacts) -> list[datetime]:
    return _first_per_key(
        [
            (f"{a.course_id}/{a.quiz_id}", a.completed_at)
            for a in facts.attempts
            if a.passed and not a.is_practice and a.completed_at is not None
        ]
    )


def perfect_scores(facts: StudentFacts) -> list[datetime]:
    return sorted(
        a.completed_at
        for a in facts.attempts
        if a.score == 100 and not a.is_practice and a.completed_at is not None
    )


def lessons_completed(facts: StudentFacts) -> list[datetime]:
    return _first_per_key([(f"{c.course_id}/{c.lesson_id}", c.completed_at) for c in facts.lessons])


def assignments_submitted(facts: StudentFacts) -> list[datetime]:
    return _first_per_key(
        [(f"{a.course_id}/{a.assignment_id}", a.first_submitted_at) for a in facts.assignments]
    )


def courses_completed(facts: StudentFacts) -> list[datetime]:
    return sorted(e.completed_at for e in facts.enrollments if e.completed_at is not None)


def streak_days(facts: StudentFacts) -> list[datetime]:
    """The first moment of each day of the student's longest run of consecutive active
    local days (earliest such run on a tie)."""
    firsts: dict[date, datetime] = {}
    for record in facts.activities:
        day = local(record.occurred_at, record.time_zone).date()
        firsts[day] = min(firsts.get(day, record.occurred_at), record.occurred_at)
    best: list[datetime] = []
    run: list[datetime] = []
    previous: date | None = None
    for day in sorted(firsts):
        if previous is not None and day - previous == timedelta(days=1):
            run.append(firsts[day])
        else:
            run = [firsts[day]]
        if len(run) > len(best):
            best = list(run)
        previous = day
    return best


@dataclass(frozen=True)
class Rule:
    achievement_id: str
    title: str
    xp: int
    measure: Callable[[StudentFacts], list[datetime]]
    target: int


RULES: tuple[Rule, ...] = (
    Rule("first-lesson", "First lesson completed", 10, lessons_completed, 1),
    Rule("ten-lessons", "Ten lessons completed", 50, lessons_completed, 10),
    Rule("first-quiz-passed", "First quiz passed", 20, quizzes_passed, 1),
    Rule("five-quizzes-passed", "Five quizzes passed", 60, quizzes_passed, 5),
    Rule("perfect-score", "Perfect score", 40, perfect_scores, 1),
    Rule("first-assignment", "First assignment submitted", 15, assignments_submitted, 1),
    Rule("streak-3", "Three-day streak", 15, streak_days, 3),
    Rule("streak-7", "Seven-day streak", 50, streak_days, 7),
    Rule("course-completed", "Course completed", 100, courses_completed, 1),
)

#: XP per thing done, besides the achievements' own XP
XP_PER = {"lesson": 10, "quiz_passed": 20, "assignment": 15, "active_day": 5}


@dataclass(frozen=True)
class Earned:
    achievement_id: str
    title: str
    xp: int
    earned_at: datetime


Measures = dict[Callable[[StudentFacts], list[datetime]], list[datetime]]


def measures_of(facts: StudentFacts) -> Measures:
    """What each rule measures of the facts, each measure taken once (two streak rules
    share one)."""
    measures: Measures = {}
    for rule in RULES:
        if rule.measure not in measures:
            measures[rule.measure] = rule.measure(facts)
    return measures


def earned(facts: StudentFacts, until: datetime, measures: Measures | None = None) -> list[Earned]:
    """Every achievement earned before ``until``, in order of earning (``measures``: the
    facts' ``measures_of``, when already taken)."""
    taken = measures_of(facts) if measures is None else measures
    won = []
    for rule in RULES:
        moments = [m for m in taken[rule.measure] if m < until]
        if len(moments) >= rule.target:
            won.append(Earned(rule.achievement_id, rule.title, rule.xp, moments[rule.target - 1]))
    return sorted(won, key=lambda e: (e.earned_at, e.achievement_id))


def next_achievement(
    facts: StudentFacts, until: datetime, measures: Measures | None = None
) -> str | None:
    """The unearned achievement the student is closest to (largest share of its target)."""
    taken = measures_of(facts) if measures is None else measures
    progress = []
    for rule in RULES:
        count = len([m for m in taken[rule.measure] if m < until])
        if count < rule.target:
            progress.append((-count / rule.target, rule.target, rule.achievement_id, rule.title))
    return min(progress)[3] if progress else None


def xp_of(facts: StudentFacts, until: datetime) -> int:
    active_days = {
        local(r.occurred_at, r.time_zone).date() for r in facts.activities if r.occurred_at < until
    }
    return (
        XP_PER["lesson"] * len([m for m in lessons_completed(facts) if m < until])
        + XP_PER["quiz_passed"] * len([m for m in quizzes_passed(facts) if m < until])
        + XP_PER["assignment"] * len([m for m in assignments_submitted(facts) if m < until])
        + XP_PER["active_day"] * len(active_days)
        + sum(e.xp for e in earned(facts, until))
    )


def achievements_section(facts: StudentFacts, until: datetime) -> dict[str, object]:
    measures = measures_of(facts)
    won = earned(facts, until, measures)
    recent_since = until - timedelta(weeks=VELOCITY_WEEKS)
    return {
        "total_earned": len(won),
        "recent_achievements": [e.title for e in reversed(won[-RECENT:])],
        "next_achievement": next_achievement(facts, until, measures),
        "achievement_velocity": round(
            len([e for e in won if e.earned_at >= recent_since]) / VELOCITY_WEEKS, 2
        ),
    }
