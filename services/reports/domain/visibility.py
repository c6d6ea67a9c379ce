"""Who may see a report, by the ``configuration.visibility`` its author chose."""

from __future__ import annotations

from collections.abc import Mapping

VISIBILITY_KEY = {
    "student": "student",
    "parent": "parents",
    "teacher": "teachers",
    "admin": "administrators",
}


def visible_to(role: str, visibility: Mapping[str, bool], *, is_author: bool = False) -> bool:
    """The author always sees the report; others if their role's switch is on."""
    if is_author:
        return True
    key = VISIBILITY_KEY.get(role)
    return key is not None and bool(visibility.get(key, False))
