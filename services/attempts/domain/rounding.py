"""Half-up rounding of scores and points, so results do not depend on float quirks."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

POINT_PLACES = 4
SCORE_PLACES = 2


def round_half_up(value: float, places: int) -> float:
    """Round ``value`` to ``places`` decimals, halves away from zero (69.995 -> 70.0)."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def round_points(value: float) -> float:
    """Points are kept to 4 decimals: enough for 1/3 credit, free of 0.30000000000000004."""
    return round_half_up(value, POINT_PLACES)


def round_score(value: float) -> float:
    """Scores (0-100) are kept to 2 decimals."""
    return round_half_up(value, SCORE_PLACES)
