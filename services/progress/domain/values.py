"""Checks on the plain values every progress rule accepts: scores, durations, timestamps.

Each check returns the value it accepted (normalized where that is unambiguous) or
raises ``InvalidInput`` naming the field, so callers can write
``score = require_score(raw, "score")`` and move on. ``FieldProblems`` collects
several problems of one document and raises them together.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TypeGuard

from shared.errors import InvalidInput


class FieldProblems:
    """Problems found in one document, by field path, raised together as one InvalidInput."""

    def __init__(self, document: str) -> None:
        self.document = document
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if not self.fields:
            return
        path, messages = next(iter(self.fields.items()))
        more = len(self.fields) - 1
        suffix = f" (and {more} more field{'s' if more > 1 else ''})" if more else ""
        raise InvalidInput(
            f"{self.document} is invalid: {path}: {messages[0]}{suffix}", self.fields
        )


def is_number(value: object) -> TypeGuard[int | float]:
    """True for ints and finite floats; False for bools, NaN, infinities and the rest."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def require_score(value: object, field: str) -> float:
    """A score or grade on the 0-100 scale."""
    if not is_number(value):
        raise InvalidInput.for_field(field, "must be a number from 0 to 100")
    if not 0 <= value <= 100:
        raise InvalidInput.for_field(field, f"must be from 0 to 100, got {value}")
    return float(value)


def require_optional_score(value: object, field: str) -> float | None:
    """A score on the 0-100 scale, or None when there is none."""
    return None if value is None else require_score(value, field)


def require_duration(value: object, field: str) -> float:
    """A time spent (minutes or seconds, as the field says): a finite number >= 0."""
    if not is_number(value):
        raise InvalidInput.for_field(field, "must be a number of at least 0")
    if value < 0:
        raise InvalidInput.for_field(field, f"must be at least 0, got {value}")
    return float(value)


def require_aware(value: object, field: str) -> datetime:
    """A datetime that carries its UTC offset: naive times are ambiguous and refused."""
    if not isinstance(value, datetime):
        raise InvalidInput.for_field(field, "must be a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.for_field(field, "must include a time zone offset (UTC)")
    return value


#: how far ahead of the service's clock a caller's clock may be
CLOCK_SKEW = timedelta(minutes=5)


def require_past(value: object, field: str, *, now: datetime) -> datetime:
    """A moment with its offset that is not in the future (beyond ``CLOCK_SKEW``)."""
    moment = require_aware(value, field)
    if moment > now + CLOCK_SKEW:
        seconds = int(CLOCK_SKEW.total_seconds())
        raise InvalidInput.for_field(
            field, f"must not be in the future (more than {seconds} seconds ahead of now)"
        )
    return moment


def require_identifier(value: object, field: str, *, max_length: int = 128) -> str:
    """An id: a non-empty string without surrounding whitespace, at most ``max_length``."""
    if not isinstance(value, str) or not value:
        raise InvalidInput.for_field(field, "must be a non-empty string")
    if value != value.strip():
        raise InvalidInput.for_field(field, "must not start or end with whitespace")
    if len(value) > max_length:
        raise InvalidInput.for_field(field, f"must be at most {max_length} characters")
    return value


def add_minutes(total: float, more: float) -> float:
    """``total + more`` kept to hundredths of a minute, so sums do not depend on order.

    Floating-point addition is not associative (0.1 + 0.2 + 0.3 differs from
    0.3 + 0.2 + 0.1); quantizing each addend and each sum to two decimals makes every
    order of the same durations give the same total.
    """
    return round(total + round(more, 2), 2)


def add_seconds(total: float, more: float) -> float:
    """``total + more`` kept to milliseconds, for the same reason as ``add_minutes``."""
    return round(total + round(more, 3), 3)
