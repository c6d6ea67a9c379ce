"""The enrollment's ``progress_percentage``: the weighted share of counted items done.

``floor(100 * weight of counted items done / weight of counted items)``, an integer
0-100. Counted items are the outline's required items (every item when none is
required, see ``Outline.counted_items``); optional items neither add nor penalize.
Rounding down means 100 is shown only when every counted item is done, and the value
never goes up by rounding. Weights are summed as exact fractions of their decimal
form, so 0.1 + 0.2 weighs exactly 0.3: as integers over their common denominator
(``Outline.counted_weights``), which the share divides out.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from .outline import Outline
from .work import CourseWork


def progress_percentage(outline: Outline, work: CourseWork) -> int:
    """How far the student is through the course, 0-100, as the current outline weighs it."""
    weights = outline.counted_weights
    total = sum(weights)
    if total == 0:
        return 0
    done = sum(
        weight
        for item, weight in zip(outline.counted_items(), weights, strict=True)
        if work.is_done(item)
    )
    return 100 * done // total


@lru_cache(maxsize=4096)
def exact_decimal(value: float) -> Fraction:
    """The exact fraction of a number's decimal form (``0.1`` is 1/10), remembered:
    parsing it is the costly part, and weights and scores repeat."""
    return Fraction(str(value))
