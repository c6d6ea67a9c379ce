"""achievements, worked out by hand: rules earned at the moment of their deciding fact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.analytics.domain.achievements import (
    RULES,
    achievements_section,
    earned,
    next_achievement,
    xp_of,
)
from services.analytics.store import student_facts
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    activity,
    analytics_document,
    analytics_session,
    apply,
    assignment,
    at,
    facts_of,
    lesson_completed,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def stream() -> list:
    days = [record(f"D{n}", "login", at(n)) for n in (0, 1, 2, 4)]  # a 3-day streak
    return [
        activity(days),
        submitted("AT-1", "QZ-1", at(0, 2), 40.0),  # failed
        submitted("AT-2", "QZ-1", at(1, 2), 100.0, number=2),  # first pass, perfect
        lesson_completed("LSN-1", at(2, 3)),
    ]


def test_each_achievement_is_earned_at_its_deciding_fact():
    with analytics_session() as session:
        apply(session, stream())
        facts = student_facts(session, STUDENT, COURSE)
    won = {e.achievement_id: e.earned_at for e in earned(facts, at(30))}
    assert won == {
        "first-quiz-passed": at(1, 2),
        "perfect-score": at(1, 2),
        "first-lesson": at(2, 3),
        "streak-3": at(2),
    }
    # XP: 1 lesson x 10 + 1 quiz passed x 20 + 4 active days x 5 + achievements
    # (20 + 40 + 10 + 15)
    assert xp_of(facts, at(30)) == 10 + 20 + 20 + 85


def test_the_achievements_section():
    section = analytics_document(stream(), now=at(10))["achievements"]
    assert section["total_earned"] == 4
    # latest first
    assert section["recent_achievements"] == [
        "First lesson completed",
        "Three-day streak",
        "Perfect score",
        "First quiz passed",
    ]
    # closest share of its target: Five quizzes passed is 1/5, Seven-day streak 3/7
    assert section["next_achievement"] == "Seven-day streak"
    assert section["achievement_velocity"] == 1.0  # 4 in the last 4 weeks


def test_an_achievement_later_than_the_period_is_not_counted():
    section = analytics_document(stream(), period_type="daily", start=at(0))["achievements"]
    assert section["total_earned"] == 0
    assert at(0) + timedelta(days=1) > at(0, 2)


def test_a_lesson_done_twice_counts_from_its_first_completion():
    facts = facts_of(
        [
            lesson_completed("LSN-1", at(1), completion_id="a"),
            lesson_completed("LSN-1", at(3), completion_id="b"),
        ]
    )
    won = {e.achievement_id: e.earned_at for e in earned(facts, at(30))}
    assert won == {"first-lesson": at(1)}


def test_an_achievement_earned_at_the_moment_itself_is_not_earned_yet():
    facts = facts_of([lesson_completed("LSN-1", at(1))])
    assert earned(facts, at(1)) == []
    assert [e.achievement_id for e in earned(facts, at(1, 0, 1))] == ["first-lesson"]


def test_a_streak_day_counts_from_its_first_record_and_the_earliest_longest_run_wins():
    days = [record(f"D{n}", "login", at(n)) for n in (0, 1, 5, 6, 7)]
    # day 2 has two records, the later one listed first
    days += [record("D2-late", "login", at(2, 3)), record("D2-early", "login", at(2, 1))]
    facts = facts_of([activity(days)])
    won = {e.achievement_id: e.earned_at for e in earned(facts, at(30))}
    assert won == {"streak-3": at(2, 1)}


def test_xp_counts_each_thing_done_before_the_moment():
    facts = facts_of(
        [
            lesson_completed("LSN-1", at(0)),
            lesson_completed("LSN-2", at(0, 1)),
            submitted("AT-1", "QZ-1", at(0, 2), 80.0),
            submitted("AT-2", "QZ-2", at(0, 3), 80.0),
            assignment("TMA-1", "submit", at(0, 4), occurred=at(0, 4)),
            assignment("TMA-2", "submit", at(0, 5), occurred=at(0, 5)),
            activity([record("R1", "login", at(0)), record("R2", "login", at(5))]),
        ]
    )
    # 2 lessons x 10 + 2 quizzes x 20 + 2 assignments x 15 + 1 active day x 5 (the login
    # at the moment itself is not before it) + first lesson 10, first quiz 20, first
    # assignment 15
    assert xp_of(facts, at(5)) == 20 + 40 + 30 + 5 + 45


def test_velocity_is_achievements_per_week_over_four_weeks():
    facts = facts_of([lesson_completed("LSN-1", at(1))])
    assert achievements_section(facts, at(2))["achievement_velocity"] == 0.25


def test_the_next_achievement_is_the_one_with_the_largest_share_of_its_target_done():
    # two days in a row: 2 of 3 for the three-day streak, 2 of 7 for the seven-day one
    facts = facts_of([activity([record(f"D{n}", "login", at(n)) for n in (0, 1)])])
    assert next_achievement(facts, at(5)) == "Three-day streak"


def test_no_next_achievement_once_every_one_is_earned():
    facts = facts_of([])
    every = {rule.measure: [at(n) for n in range(rule.target)] for rule in RULES}
    assert len(earned(facts, at(30), every)) == len(RULES)
    assert next_achievement(facts, at(30), every) is None
