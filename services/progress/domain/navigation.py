"""Where the student is: ``current_lesson_id``, ``current_module_id`` and the next thing to do.

The walk goes through modules in order and items in order, over the counted items
(required ones; every item when none is required), skipping what is done:

* ``next_unfinished_item``: the first counted item not done, of any kind, for a
  "continue" button;
* ``current_position``: ``current_lesson_id`` is the first counted lesson not done and
  ``current_module_id`` its module. When every counted lesson is done but a quiz or
  assignment is not, ``current_lesson_id`` is None and ``current_module_id`` is that
  item's module. Both are None when everything counted is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .outline import ItemKind, Outline, OutlinePosition
from .work import CourseWork


@dataclass(frozen=True)
class CurrentPosition:
    module_id: str | None
    lesson_id: str | None


def next_unfinished_item(outline: Outline, work: CourseWork) -> OutlinePosition | None:
    """The first counted item, in course order, that the student has not done."""
    return next(_unfinished(outline, work), None)


def current_position(outline: Outline, work: CourseWork) -> CurrentPosition:
    """The enrollment's ``current_module_id`` and ``current_lesson_id`` after recorded work."""
    first_unfinished = None
    for position in _unfinished(outline, work):
        if position.item.kind is ItemKind.LESSON:
            return CurrentPosition(position.module_id, position.item.item_id)
        first_unfinished = first_unfinished or position
    if first_unfinished is None:
        return CurrentPosition(None, None)
    return CurrentPosition(first_unfinished.module_id, None)


def _unfinished(outline: Outline, work: CourseWork) -> Iterator[OutlinePosition]:
    for position in outline.counted_positions:
        if not work.is_done(position.item):
            yield position
