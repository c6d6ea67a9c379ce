"""Periods of a LearningAnalytics document: daily, weekly, monthly or custom, in UTC.

A period is ``[start, end)``. Daily is the UTC day containing ``start_date``; weekly
the ISO week (Monday to Monday) containing it; monthly its calendar month; custom is
exactly ``[start_date, end_date)``, at most ``MAX_CUSTOM_DAYS`` long. Without a
``start_date`` the period is the one containing now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.errors import InvalidInput

MAX_CUSTOM_DAYS = 366


class PeriodType(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    type: PeriodType
    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> float:
        return self.length.total_seconds() / 86400

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def previous(self) -> Period:
        """The period of the same type just before this one (the previous calendar month
        for a monthly period)."""
        if self.type is PeriodType.MONTHLY:
            last_month = self.start - timedelta(days=1)
            return Period(self.type, last_month.replace(day=1), self.start)
        return Period(self.type, self.start - self.length, self.start)


def _midnight(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def period_of(
    period_type: PeriodType,
    start_date: datetime | None,
    end_date: datetime | None,
    now: datetime,
) -> Period:
    """The period a request names; ``InvalidInput`` naming the field when it names none."""
    if period_type is PeriodType.CUSTOM:
        if start_date is None:
            raise InvalidInput.for_field("start_date", "is required for a custom period")
        if end_date is None:
            raise InvalidInput.for_field("end_date", "is required for a custom period")
        start, end = start_date.astimezone(UTC), end_date.astimezone(UTC)
        if end <= start:
            raise InvalidInput.for_field("end_date", "must be after start_date")
        if end - start > timedelta(days=MAX_CUSTOM_DAYS):
            raise InvalidInput.for_field(
                "end_date", f"a custom period is at most {MAX_CUSTOM_DAYS} days long"
            )
        return Period(period_type, start, end)
    if end_date is not None:
        raise InvalidInput.for_field(
            "end_date", f"is only for custom periods; a {period_type.value} period ends itself"
        )
    day = _midnight(start_date or now)
    if period_type is PeriodType.DAILY:
        return Period(period_type, day, day + timedelta(days=1))
    if period_type is PeriodType.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return Period(period_type, monday, monday + timedelta(days=7))
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(period_type, first, following)
