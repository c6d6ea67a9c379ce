"""Score trends: whether a sequence of scores is improving, stable or declining."""

from __future__ import annotations

from collections.abc import Sequence

#: points per attempt the least-squares slope must exceed to count as a change
TREND_THRESHOLD = 2.0


def trend_of(scores: Sequence[float]) -> str:
    """``improving``, ``stable`` or ``declining``: the slope of the scores in order.

    Fewer than two scores show no trend (``stable``).
    """
    count = len(scores)
    if count < 2:
        return "stable"
    mean_x = (count - 1) / 2
    mean_y = sum(scores) / count
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(scores))
    denominator = sum((x - mean_x) ** 2 for x in range(count))
    slope = numerator / denominator
    if slope > TREND_THRESHOLD:
        return "improving"
    if slope < -TREND_THRESHOLD:
        return "declining"
    return "stable"


def mastery_level(average_score: float) -> str:
    """The spec's mastery levels from an average score (0-100)."""
    if average_score >= 90:
        return "advanced"
    if average_score >= 75:
        return "proficient"
    if average_score >= 60:
        return "developing"
    return "beginner"


def sub_skill_level(score: float) -> int:
    """A 1-5 level from a score: 0-19 is 1, ..., 80-100 is 5."""
    return 1 + min(4, int(score // 20))
