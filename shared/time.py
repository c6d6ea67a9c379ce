"""Time helpers used by every service: the current moment and ISO 8601 in UTC.

Stride stores and exchanges moments as timezone-aware UTC; a naive datetime is a bug,
so these helpers refuse it rather than guess a zone.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """``2026-01-31T12:00:00Z``: UTC, with ``Z`` rather than ``+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """A timezone-aware ISO 8601 moment, converted to UTC.

    Raises ``ValueError`` for text that is not ISO 8601, for a moment without a zone,
    and for one that falls outside the years 1-9999 once converted to UTC (which
    ``astimezone`` would otherwise raise as ``OverflowError``).
    """
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"timestamp {value!r} is out of range in UTC") from exc


def in_utc(moment: datetime) -> datetime:
    """The same moment in UTC (event payloads carry ``...Z``); a naive one is refused."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)
