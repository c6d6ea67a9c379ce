"""Calendar months: the partitions of the log on PostgreSQL and the unit of archiving."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_of(moment: datetime) -> date:
    """The first day of the UTC month of ``moment``."""
    utc = moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date, count: int = 1) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def month_range(month: date) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's first moment, in UTC."""
    following = next_month(month)
    return (
        datetime(month.year, month.month, 1, tzinfo=UTC),
        datetime(following.year, following.month, 1, tzinfo=UTC),
    )


def months_ahead(now: datetime, count: int) -> list[date]:
    """The current month and the ``count`` months after it."""
    months = [month_of(now)]
    for _ in range(count):
        months.append(next_month(months[-1]))
    return months


def months_to_archive(months: Iterable[date], now: datetime, after_months: int) -> list[date]:
    """The months, oldest first, that ended more than ``after_months`` whole months ago."""
    newest_kept = previous_month(month_of(now), after_months)
    return sorted(month for month in set(months) if month < newest_kept)


def partition_name(month: date) -> str:
    return f"activity_logs_y{month.year:04d}m{month.month:02d}"


def parse_month(text: str) -> date:
    """``2026-01`` -> the first day of that month; ``ValueError`` otherwise."""
    match = MONTH.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"month {text!r} is not YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)
