"""Grading scales: letter bands and GPA points, configurable per course."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidInput

#: the request field a refused scale is named by (``PUT /courses/{id}/settings``)
SCALE_FIELD = "grading_scale"


@dataclass(frozen=True)
class GradeBand:
    letter: str
    min_percentage: float
    gpa_points: float


@dataclass(frozen=True)
class GradingScale:
    """Bands ordered from the highest minimum down; the last band starts at 0."""

    bands: tuple[GradeBand, ...]

    def band_for(self, percentage: float) -> GradeBand:
        for band in self.bands:
            if percentage >= band.min_percentage:
                return band
        return self.bands[-1]

    def letter_for(self, percentage: float) -> str:
        return self.band_for(percentage).letter

    def gpa_points_for(self, percentage: float) -> float:
        return self.band_for(percentage).gpa_points

    def to_dict(self) -> list[dict[str, Any]]:
        return [
            {"letter": b.letter, "min_percentage": b.min_percentage, "gpa_points": b.gpa_points}
            for b in self.bands
        ]


DEFAULT_SCALE = GradingScale(
    tuple(
        GradeBand(letter, minimum, points)
        for letter, minimum, points in [
            ("A", 93, 4.0),
            ("A-", 90, 3.7),
            ("B+", 87, 3.3),
            ("B", 83, 3.0),
            ("B-", 80, 2.7),
            ("C+", 77, 2.3),
            ("C", 73, 2.0),
            ("C-", 70, 1.7),
            ("D+", 67, 1.3),
            ("D", 60, 1.0),
            ("F", 0, 0.0),
        ]
    )
)


def grading_scale_from(bands: Sequence[Mapping[str, Any]]) -> GradingScale:
    """A scale from its bands as a client sends them; refuses overlapping or gapped scales."""
    if not bands:
        raise InvalidInput.for_field(SCALE_FIELD, "must have at least one band")
    parsed = sorted(
        (
            GradeBand(str(b["letter"]), float(b["min_percentage"]), float(b["gpa_points"]))
            for b in bands
        ),
        key=lambda band: band.min_percentage,
        reverse=True,
    )
    letters = [band.letter for band in parsed]
    if len(set(letters)) != len(letters):
        raise InvalidInput.for_field(SCALE_FIELD, "letters must be distinct")
    minimums = [band.min_percentage for band in parsed]
    if len(set(minimums)) != len(minimums):
        raise InvalidInput.for_field(SCALE_FIELD, "min_percentage values must be distinct")
    if parsed[-1].min_percentage != 0:
        raise InvalidInput.for_field(SCALE_FIELD, "the lowest band must start at 0")
    points = [band.gpa_points for band in parsed]
    if points != sorted(points, reverse=True):
        raise InvalidInput.for_field(SCALE_FIELD, "gpa_points must not rise as the minimum falls")
    return GradingScale(tuple(parsed))
