"""Half-up rounding of scores and points, so results do not depend on float quirks."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

POINT_PLACES = 4
SCORE_PLACES = 2


def round_half_up(value: float, places: int) -> float:
    """Round ``value`` to ``places`` decimals, halves away from zero (69.995 -> 70.0)."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def percentage_half_up(part: float, whole: float, places: int = SCORE_PLACES) -> float:
    """``100 * part / whole`` computed in decimal, rounded half-up to ``places`` decimals.

    Decimal arithmetic on the values as written keeps 0.69995 of 1 at 69.995 -> 70.0,
    where float arithmetic would give 69.99499... -> 69.99.
    """
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(repr(part)) * 100 / Decimal(repr(whole))
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def round_points(value: float) -> float:
    """Points are kept to 4 decimals: enough for 1/3 credit, free of 0.30000000000000004."""
    return round_half_up(value, POINT_PLACES)


def round_score(value: float) -> float:
    """Scores (0-100) are kept to 2 decimals."""
    return round_half_up(value, SCORE_PLACES)
