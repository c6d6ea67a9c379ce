"""Engagement figures from activity logs: ``last_accessed``, ``total_time_spent``, the streak.

Any activity in the course counts as access for the day it happened in the student's
time zone: a login alone is not required, since sessions outlive a day.

Idempotency rule: an activity's duration is counted once per ``activity_id``. The
caller keeps the ids it has counted (a unique key per enrollment and activity id)
and passes only new ones (``activities_not_yet_counted``); within one call a
repeated id is counted once. ``last_accessed`` (a maximum) and the active dates (a
set) need no such care: applying them again changes nothing.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .streaks import DEFAULT_WINDOW_DAYS, active_dates_to_keep, local_date_of, streak_of
from .values import add_seconds, require_aware, require_duration, require_identifier

SECONDS_PER_MINUTE = 60


@dataclass(frozen=True)
class ActivityRecord:
    """One activity log as the activity service reports it (duration in seconds, optional)."""

    activity_id: str
    occurred_at: datetime
    duration_seconds: float | None = None

    def __post_init__(self) -> None:
        require_identifier(self.activity_id, "activity_id")
        require_aware(self.occurred_at, "occurred_at")
        if self.duration_seconds is not None:
            require_duration(self.duration_seconds, "duration_seconds")


@dataclass(frozen=True)
class Engagement:
    last_accessed: datetime | None = None
    total_seconds: float = 0
    active_dates: frozenset[date] = frozenset()

    @property
    def total_time_spent(self) -> float:
        """Minutes in the course, to 0.01 minute, as the spec's ``total_time_spent``."""
        return round(self.total_seconds / SECONDS_PER_MINUTE, 2)

    @property
    def login_streak(self) -> int:
        return streak_of(self.active_dates).length

    @property
    def last_streak_date(self) -> date | None:
        return streak_of(self.active_dates).last_date


def activities_not_yet_counted(
    activities: Iterable[ActivityRecord], counted_ids: Container[str]
) -> list[ActivityRecord]:
    """The activities whose ids were never counted, each id once (first occurrence wins)."""
    fresh: dict[str, ActivityRecord] = {}
    for activity in activities:
        if activity.activity_id not in counted_ids and activity.activity_id not in fresh:
            fresh[activity.activity_id] = activity
    return list(fresh.values())


def record_activities(
    engagement: Engagement,
    activities: Iterable[ActivityRecord],
    time_zone: str,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Engagement:
    """The engagement once ``activities`` (not counted before) are counted.

    ``time_zone`` is the student's IANA zone ("UTC" when unknown); each activity's
    date is fixed when it is recorded, so a later change of zone does not rewrite past
    days.
    """
    fresh = activities_not_yet_counted(activities, ())
    if not fresh:
        return engagement
    total_seconds = engagement.total_seconds
    for activity in fresh:
        total_seconds = add_seconds(total_seconds, activity.duration_seconds or 0)
    latest = max(activity.occurred_at for activity in fresh)
    dates = {local_date_of(activity.occurred_at, time_zone) for activity in fresh}
    return Engagement(
        last_accessed=latest
        if engagement.last_accessed is None
        else max(engagement.last_accessed, latest),
        total_seconds=total_seconds,
        active_dates=active_dates_to_keep(engagement.active_dates | dates, window_days),
    )
