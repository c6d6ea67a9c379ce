"""``learning_patterns``: how the student learns, from the period's records and submissions."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from services.analytics.domain.nulls import NullReasons, rounded
from services.analytics.domain.periods import Period
from services.analytics.domain.projections import CONTENT_TYPES, ActivityFact, StudentFacts
from services.analytics.domain.sessions import active_dates, sessions_of

#: items finished per 7 days: at least FAST is fast, at least MODERATE moderate, else slow
FAST, MODERATE = 5.0, 2.0
#: a session is productive when it holds one of these
PRODUCTIVE = frozenset({"lesson_complete", "quiz_submit", "video_complete", "assignment_submit"})
MIN_SESSIONS = 3
MIN_ACTIVE_DAYS = 3
CRAMMING_WINDOW = timedelta(hours=24)
CRAMMING_SHARE = 0.5
CRAMMING_MIN_MINUTES = 60.0
REVIEW_OFTEN = 0.2


def content_minutes(records: Sequence[ActivityFact]) -> dict[str, float]:
    minutes = dict.fromkeys(CONTENT_TYPES, 0.0)
    for record in records:
        if record.content_type is not None:
            minutes[record.content_type] += record.minutes
    return minutes


def submissions_in(facts: StudentFacts, period: Period) -> list[datetime]:
    """Moments of the period's quiz submissions and assignment submissions."""
    moments = [a.completed_at for a in facts.attempts if period.contains(a.completed_at)]
    moments += [a.submitted_at for a in facts.assignments if period.contains(a.submitted_at)]
    return sorted(m for m in moments if m is not None)


def items_finished(facts: StudentFacts, period: Period) -> int:
    lessons = sum(1 for c in facts.lessons if period.contains(c.completed_at))
    return lessons + len(submissions_in(facts, period))


def learning_pace(facts: StudentFacts, period: Period) -> str:
    per_week = items_finished(facts, period) * 7 / period.days
    if per_week >= FAST:
        return "fast"
    return "moderate" if per_week >= MODERATE else "slow"


def cramming(records: Sequence[ActivityFact], submissions: Sequence[datetime]) -> bool:
    """At least an hour of study, half of it or more in the 24 hours before a submission."""
    total = sum(r.minutes for r in records)
    if total < CRAMMING_MIN_MINUTES:
        return False
    crammed = sum(
        r.minutes
        for r in records
        if any(s - CRAMMING_WINDOW <= r.occurred_at < s for s in submissions)
    )
    return crammed >= CRAMMING_SHARE * total


def consistent(records: Sequence[ActivityFact], time_zone: str) -> bool | None:
    """Active days evenly spread: the gaps between consecutive active days vary by at
    most one day (population standard deviation <= 1)."""
    days = active_dates(records, time_zone)
    if len(days) < MIN_ACTIVE_DAYS:
        return None
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(days)]
    return statistics.pstdev(gaps) <= 1.0


def review_frequency(records: Sequence[ActivityFact], facts: StudentFacts) -> str | None:
    """Share of lesson records about a lesson completed before them: 0 never, under 20%
    rarely, else often."""
    lesson_records = [r for r in records if r.lesson_id is not None]
    if not lesson_records:
        return None
    first_done: dict[tuple[str, str], datetime] = {}
    for c in facts.lessons:
        key = (c.course_id, c.lesson_id)
        first_done[key] = min(first_done.get(key, c.completed_at), c.completed_at)
    reviews = sum(
        1
        for r in lesson_records
        if r.course_id is not None
        and (done := first_done.get((r.course_id, r.lesson_id or ""))) is not None
        and done < r.occurred_at
    )
    if reviews == 0:
        return "never"
    return "often" if reviews / len(lesson_records) >= REVIEW_OFTEN else "rarely"


def learning_patterns(
    records: Sequence[ActivityFact],
    facts: StudentFacts,
    period: Period,
    time_zone: str,
    reasons: NullReasons,
) -> dict[str, Any]:
    nulls = reasons.scoped("learning_patterns")
    minutes = content_minutes(records)
    typed = sum(minutes.values())
    preferred = None
    preferences: dict[str, float | None] = {f"{t}_preference": None for t in CONTENT_TYPES}
    if typed > 0:
        preferred = max(("video", "text", "interactive"), key=lambda t: (minutes[t], t))
        if minutes[preferred] == 0:
            preferred = None
            nulls.null("preferred_content_type", "no video, text or interactive time")
        preferences = {f"{t}_preference": rounded(100 * minutes[t] / typed) for t in CONTENT_TYPES}
    else:
        reason = "no time on content of a known type in the period"
        nulls.null("preferred_content_type", reason)
        for name in preferences:
            nulls.null(f"content_preferences.{name}", reason)
    productive = [
        s for s in sessions_of(records) if any(r.activity_type in PRODUCTIVE for r in s.records)
    ]
    optimal = None
    if len(productive) >= MIN_SESSIONS:
        optimal = statistics.median(s.minutes for s in productive)
    submissions = submissions_in(facts, period)
    schedule = consistent(records, time_zone)
    if schedule is None:
        nulls.null("study_patterns.consistent_schedule", "fewer than 3 active days in the period")
    crammed = None
    if submissions:
        crammed = cramming(records, submissions)
    else:
        nulls.null("study_patterns.cramming_detected", "no submission in the period")
    review = review_frequency(records, facts)
    if review is None:
        nulls.null("study_patterns.review_frequency", "no lesson activity in the period")
    nulls.null("preferred_difficulty", "the consumed events carry no difficulty of content")
    return {
        "preferred_content_type": preferred,
        "learning_pace": learning_pace(facts, period),
        "optimal_session_length": nulls.value(
            "optimal_session_length",
            rounded(optimal),
            "fewer than 3 productive sessions in the period",
        ),
        "preferred_difficulty": None,
        "content_preferences": preferences,
        "study_patterns": {
            "consistent_schedule": schedule,
            "cramming_detected": crammed,
            "review_frequency": review,
        },
    }
