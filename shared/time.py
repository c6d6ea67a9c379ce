"""Time helpers used by every service: the current moment and ISO 8601 in UTC.

Stride stores and exchanges moments as timezone-aware UTC; a naive datetime is a bug,
so these helpers refuse it rather than guess a zone.
"""

from __future__ import annotations

import re
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


#: ISO 8601 in UTC as ``datetime.isoformat`` writes it (microseconds all six or none),
#: with ``Z`` or ``+00:00``
_UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?(?:Z|\+00:00)")


def utc_iso_text(value: str) -> str:
    """``parse_iso(value).isoformat()``: the moment in UTC as Python writes it.

    Text already in that form (what ``to_iso`` stored, ``Z`` aside) is only checked by
    its shape, not parsed and written again: a document's entries carry dozens.
    """
    if _UTC_ISO.fullmatch(value):
        return value[:-1] + "+00:00" if value[-1] == "Z" else value
    return parse_iso(value).isoformat()


def in_utc(moment: datetime) -> datetime:
    """The same moment in UTC (event payloads carry ``...Z``); a naive one is refused."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)
