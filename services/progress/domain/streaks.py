"""Login streaks counted in calendar days of the student's own time zone.

A day is a calendar date in the student's IANA time zone, not a span of 24 hours:
around a daylight-saving change two activities 23 or 25 hours apart can still fall on
consecutive days, and two activities exactly 24 hours apart can skip one.

The streak is a function of the *set* of dates on which the student was active, so
late, out-of-order and redelivered activities give the same answer: adding a date
that is already there changes nothing. ``login_streak`` is the number of consecutive
active dates ending at the latest active date, and ``last_streak_date`` is that date;
whether the streak is still running today is a separate question
(``streak_is_running``), since the domain never reads the clock.

The stored set is bounded by ``active_dates_to_keep``: every date in the last
``window_days`` before the latest one, plus every run of consecutive dates that
reaches into that window. The current streak is therefore kept whole however long it
is, and the result is exact as long as no activity arrives more than ``window_days``
after the latest active date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import InvalidInput

from .values import require_aware

DEFAULT_WINDOW_DAYS = 90
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Streak:
    length: int
    last_date: date | None


def student_time_zone(name: str) -> ZoneInfo:
    """The IANA time zone named ``name`` (``Europe/Berlin``); InvalidInput on ``time_zone``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput.for_field("time_zone", f"unknown IANA time zone {name!r}") from None


def local_date_of(timestamp: datetime, time_zone: str) -> date:
    """The calendar date on which ``timestamp`` fell for a student in ``time_zone``."""
    require_aware(timestamp, "timestamp")
    return timestamp.astimezone(student_time_zone(time_zone)).date()


def streak_of(active_dates: Iterable[date]) -> Streak:
    """The run of consecutive active dates ending at the latest one."""
    dates = set(active_dates)
    if not dates:
        return Streak(0, None)
    latest = max(dates)
    length = 1
    while latest - length * ONE_DAY in dates:
        length += 1
    return Streak(length, latest)


def streak_is_running(streak: Streak, today: date) -> bool:
    """True when the streak can still grow: its last date is today or yesterday.

    ``today`` is the caller's current date in the student's time zone (see
    ``local_date_of``); a dashboard shows 0 for a streak that is not running.
    """
    return streak.last_date is not None and today - streak.last_date <= ONE_DAY


def active_dates_to_keep(
    active_dates: Iterable[date], window_days: int = DEFAULT_WINDOW_DAYS
) -> frozenset[date]:
    """The dates worth storing: the recent window and any run of days that reaches into it."""
    ordered = sorted(set(active_dates), reverse=True)
    if not ordered:
        return frozenset()
    horizon = ordered[0] - timedelta(days=window_days)
    kept: set[date] = set()
    for day in ordered:
        if day >= horizon or day + ONE_DAY in kept:
            kept.add(day)
    return frozenset(kept)
