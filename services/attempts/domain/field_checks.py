"""Reading fields of raw (JSON-like) documents while collecting every problem found.

Each reader returns a harmless placeholder when the value is wrong and records the
problem under its field path; the caller raises once, naming all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from shared.errors import InvalidInput

MISSING: object = object()


class Problems:
    """The problems found in one raw document, keyed by field path."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self, subject: str, error: type[InvalidInput] = InvalidInput) -> None:
        """Raise ``error`` naming every problem, or return when there is none."""
        if not self.by_field:
            return
        summary = "; ".join(
            f"{field}: {message}"
            for field, messages in self.by_field.items()
            for message in messages
        )
        raise error(f"invalid {subject}: {summary}", self.by_field)


def field_path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def as_number(value: object) -> float | None:
    """The value as a float if it is a finite int or float, else ``None``.

    ``bool`` is not a number here, even though Python says ``True == 1``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def as_list(value: object) -> list[object] | None:
    """The value as a list if it is a JSON array (a sequence but not a string), else ``None``."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return None


def reject_unknown_keys(
    problems: Problems, raw: Mapping[str, object], allowed: frozenset[str], prefix: str
) -> None:
    for key in sorted(set(raw) - allowed, key=str):
        problems.add(field_path(prefix, str(key)), "is not a known field")


def read_text(
    problems: Problems, raw: Mapping[str, object], key: str, prefix: str, *, max_length: int
) -> str:
    """A required, non-blank string of at most ``max_length`` characters."""
    path = field_path(prefix, key)
    value = raw.get(key, MISSING)
    if value is MISSING or value is None:
        problems.add(path, "is required")
    elif not isinstance(value, str) or not value.strip():
        problems.add(path, "must be a non-empty string")
    elif len(value) > max_length:
        problems.add(path, f"must be at most {max_length} characters")
    else:
        return value
    return ""


def read_optional_text(
    problems: Problems, raw: Mapping[str, object], key: str, prefix: str, *, max_length: int
) -> str | None:
    """Like :func:`read_text`, but absent or null gives ``None``."""
    if raw.get(key) is None:
        return None
    return read_text(problems, raw, key, prefix, max_length=max_length) or None


def read_bool(
    problems: Problems, raw: Mapping[str, object], key: str, prefix: str, *, default: bool
) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    problems.add(field_path(prefix, key), "must be true or false")
    return default


def read_number(
    problems: Problems,
    raw: Mapping[str, object],
    key: str,
    prefix: str,
    *,
    minimum: float,
    maximum: float,
    above_minimum: bool = False,
    default: float | None = None,
) -> float:
    """A number in ``[minimum, maximum]`` (or ``(minimum, maximum]`` with ``above_minimum``)."""
    path = field_path(prefix, key)
    value = raw.get(key, MISSING)
    if value is MISSING or value is None:
        if default is not None:
            return default
        problems.add(path, "is required")
        return minimum
    number = as_number(value)
    if number is None:
        problems.add(path, "must be a number")
        return minimum
    low_ok = number > minimum if above_minimum else number >= minimum
    if not low_ok or number > maximum:
        rule = f"greater than {minimum:g}" if above_minimum else f"at least {minimum:g}"
        if math.isfinite(maximum):
            rule += f" and at most {maximum:g}"
        problems.add(path, f"must be {rule}")
    return number


def read_int(
    problems: Problems,
    raw: Mapping[str, object],
    key: str,
    prefix: str,
    *,
    minimum: int,
    maximum: int,
    default: int,
) -> int:
    """An integer in ``[minimum, maximum]``; absent or null gives ``default``."""
    value = read_optional_int(problems, raw, key, prefix, minimum=minimum, maximum=maximum)
    return default if value is None else value


def read_optional_int(
    problems: Problems,
    raw: Mapping[str, object],
    key: str,
    prefix: str,
    *,
    minimum: int,
    maximum: int,
) -> int | None:
    """An integer in ``[minimum, maximum]``, or ``None`` when absent or null."""
    path = field_path(prefix, key)
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        problems.add(path, "must be a whole number")
        return None
    if not minimum <= value <= maximum:
        problems.add(path, f"must be between {minimum} and {maximum}")
    return value
