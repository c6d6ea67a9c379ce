"""The course outline: modules of ordered items, and the criteria for completion and certificate.

An outline is replaced as a whole (``PUT /courses/{course_id}/outline``). Nothing a
student did is stored in it, so replacing it never loses work: items that disappear
are ignored by the computations, items that appear count as not done yet.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

from shared.errors import InvalidInput


class ItemKind(StrEnum):
    LESSON = "lesson"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"


@dataclass(frozen=True)
class OutlineItem:
    """One lesson, quiz or assignment. Only required items count toward progress.

    ``due_at`` is when the work is due (None: no due moment); progress only carries it
    to the outline's event, for analytics' missed and late work.
    """

    item_id: str
    kind: ItemKind
    title: str
    required: bool = True
    weight: float = 1.0
    due_at: datetime | None = None


@dataclass(frozen=True)
class Module:
    module_id: str
    title: str
    items: tuple[OutlineItem, ...]


@dataclass(frozen=True)
class CompletionCriteria:
    """What a student must have done for the enrollment to become ``completed``.

    ``assignments_min_grade`` None means a required assignment only has to be
    submitted (when ``all_required_assignments_submitted``); a number means each
    required assignment must also be graded at least that much.

    ``requires_final_result``: the course is decided by the final result an institution
    records (``final_results``), never by the items alone.
    """

    all_required_lessons: bool = True
    all_required_quizzes_passed: bool = True
    all_required_assignments_submitted: bool = True
    assignments_min_grade: float | None = None
    min_progress_percentage: int | None = None
    requires_final_result: bool = False


@dataclass(frozen=True)
class CertificateCriteria:
    """What earns a certificate.

    ``min_average_score`` is the weighted average of the best score of every counted
    quiz and the grade of every counted assignment (an item without a score counts 0).
    """

    requires_completion: bool = True
    min_average_score: float | None = None


@dataclass(frozen=True)
class OutlinePosition:
    """Where an item sits: its module and the item itself."""

    module_id: str
    item: OutlineItem


@dataclass(frozen=True)
class Outline:
    modules: tuple[Module, ...]
    completion: CompletionCriteria = field(default_factory=CompletionCriteria)
    certificate: CertificateCriteria = field(default_factory=CertificateCriteria)

    def positions(self) -> Iterator[OutlinePosition]:
        """Every item with its module, in course order (modules, then items)."""
        for module in self.modules:
            for item in module.items:
                yield OutlinePosition(module.module_id, item)

    def items(self) -> Iterator[OutlineItem]:
        for position in self.positions():
            yield position.item

    def counted_items(self) -> tuple[OutlineItem, ...]:
        """The items progress is measured on: the required ones.

        A course with no required item at all measures progress on every item, so
        an all-optional course still shows progress instead of a permanent 0.
        """
        return self._counted_items

    @cached_property
    def _counted_items(self) -> tuple[OutlineItem, ...]:
        # Computed once per outline: every derivation of progress asks for it.
        required = tuple(item for item in self.items() if item.required)
        return required or tuple(self.items())

    @cached_property
    def counted_positions(self) -> tuple[OutlinePosition, ...]:
        """The counted items with their modules, in course order (computed once)."""
        counted = {item.item_id for item in self.counted_items()}
        return tuple(position for position in self.positions() if position.item.item_id in counted)

    @cached_property
    def counted_weights(self) -> tuple[int, ...]:
        """The counted items' weights, in ``counted_items`` order, as integers.

        Each weight is the exact fraction of its decimal form (0.1 is 1/10) times the
        weights' common denominator, so sums and shares of weights are exact integer
        arithmetic. Computed once per outline: every derivation of progress adds them.
        """
        fractions = [Fraction(str(item.weight)) for item in self.counted_items()]
        if not fractions:
            return ()
        common = math.lcm(*(fraction.denominator for fraction in fractions))
        return tuple(
            fraction.numerator * (common // fraction.denominator) for fraction in fractions
        )

    def position_of(self, item_id: str) -> OutlinePosition | None:
        for position in self.positions():
            if position.item.item_id == item_id:
                return position
        return None


def require_item_in_outline(
    outline: Outline, item_id: str, kind: ItemKind, *, field: str
) -> OutlinePosition:
    """The position of an item the caller names, or InvalidInput on ``field``.

    For example a note's ``lesson_id`` or a PATCHed ``current_lesson_id`` must name a
    lesson of the current outline.
    """
    position = outline.position_of(item_id)
    if position is None:
        raise InvalidInput.for_field(field, f"no {kind.value} {item_id!r} in this course")
    if position.item.kind is not kind:
        raise InvalidInput.for_field(
            field, f"{item_id!r} is a {position.item.kind.value}, not a {kind.value}"
        )
    return position
