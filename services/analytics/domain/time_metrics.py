"""``time_metrics``: minutes of activity in the period, by kind, by local day and hour.

Minutes are the records' ``details.duration`` (seconds / 60), counted on the record's
start moment: a record belongs to the period, the day and the part of the day in which
it started. Days and hours are local to the student's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from services.analytics.domain.periods import Period
from services.analytics.domain.projections import ActivityFact, Kind
from services.analytics.domain.sessions import local, sessions_of

#: local hours [from, to) of each part of the day
PARTS_OF_DAY = {"morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (0, 6)}


def _minutes(records: Sequence[ActivityFact], kind: Kind | None = None) -> float:
    return round(sum(r.minutes for r in records if kind is None or r.kind is kind), 2)


def part_of_day(hour: int) -> str:
    for name, (first, last) in PARTS_OF_DAY.items():
        if first <= hour < last:
            return name
    raise ValueError(hour)


def time_metrics(records: Sequence[ActivityFact], period: Period, time_zone: str) -> dict[str, Any]:
    """``records`` are the student's records in the period."""
    first_day = local(period.start, time_zone).date()
    last_day = local(period.end - timedelta(microseconds=1), time_zone).date()
    by_day = {first_day + timedelta(days=n): 0.0 for n in range((last_day - first_day).days + 1)}
    parts = dict.fromkeys(PARTS_OF_DAY, 0.0)
    for record in records:
        moment = local(record.occurred_at, time_zone)
        by_day[moment.date()] = by_day.get(moment.date(), 0.0) + record.minutes
        parts[part_of_day(moment.hour)] += record.minutes
    idle = _minutes(records, Kind.IDLE) + sum(s.idle_minutes for s in sessions_of(records))
    return {
        "total_time": _minutes(records),
        "lesson_time": _minutes(records, Kind.LESSON),
        "quiz_time": _minutes(records, Kind.QUIZ),
        "assignment_time": _minutes(records, Kind.ASSIGNMENT),
        "resource_time": _minutes(records, Kind.RESOURCE),
        "idle_time": round(idle, 2),
        "time_by_day": [
            {"date": day.isoformat(), "minutes": round(minutes, 2)}
            for day, minutes in sorted(by_day.items())
        ],
        "peak_hours": {name: round(minutes, 2) for name, minutes in parts.items()},
    }
