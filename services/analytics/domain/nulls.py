"""Why a field is null: a metric with too little data says so instead of inventing a number."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class NullReasons(dict[str, str]):
    """Dotted field path -> the reason it is null (``performance_metrics.quiz_average``)."""

    def scoped(self, section: str) -> Scoped:
        return Scoped(self, section)


class Scoped:
    def __init__(self, reasons: NullReasons, section: str) -> None:
        self.reasons = reasons
        self.section = section

    def null(self, field: str, reason: str) -> None:
        """Record why ``field`` is null, and return the null."""
        self.reasons[f"{self.section}.{field}"] = reason

    def value(self, field: str, value: T | None, reason: str) -> T | None:
        """``value``, or null with ``reason`` when it is None."""
        if value is None:
            self.null(field, reason)
        return value


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
