"""A session's length, derived from the records that carry its ``session_id``."""

from __future__ import annotations

from datetime import datetime


def session_duration_minutes(first: datetime, last: datetime) -> float:
    """Minutes from the session's first record to its last, to the hundredth."""
    return round(max((last - first).total_seconds(), 0.0) / 60.0, 2)
