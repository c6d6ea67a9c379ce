"""School terms: the periods end-of-term reports cover.

Three terms a year: January-May, June-August, September-December (UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.reports.domain.work import Period

TERM_STARTS = ((1, 1), (6, 1), (9, 1))


def _moment(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def term_ended_before(day: date) -> Period:
    """The last term that ended before ``day`` (on the day after a term, that term)."""
    starts = [
        _moment(year, month, d) for year in (day.year - 1, day.year) for month, d in TERM_STARTS
    ]
    today = _moment(day.year, day.month, day.day)
    ends = [start for start in starts if start <= today]
    end = ends[-1]
    start = starts[starts.index(end) - 1]
    return Period(start, end)
