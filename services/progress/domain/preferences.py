"""Notification preferences: three switches, all on by default, changed one at a time.

A student opts out rather than in: reminders, achievements and deadline notices
are on until turned off. ``PATCH`` sends only the switches it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

from .values import FieldProblems


@dataclass(frozen=True)
class NotificationPreferences:
    reminders: bool = True
    achievements: bool = True
    deadlines: bool = True

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


_SWITCHES = frozenset(NotificationPreferences.__dataclass_fields__)


def notification_preferences_after(
    current: NotificationPreferences | None, changes: object
) -> NotificationPreferences:
    """``current`` (or the defaults) with the switches in ``changes`` set.

    Unknown keys and non-boolean values are refused, each named by its path
    (``notification_preferences.reminders``).
    """
    base = current if current is not None else NotificationPreferences()
    problems = FieldProblems("notification_preferences")
    if not isinstance(changes, Mapping):
        problems.add("notification_preferences", "must be an object of true/false switches")
        problems.raise_if_any()
    assert isinstance(changes, Mapping)
    updates: dict[str, bool] = {}
    for key, value in changes.items():
        path = f"notification_preferences.{key}"
        if key not in _SWITCHES:
            problems.add(path, "unknown field; expected reminders, achievements or deadlines")
        elif not isinstance(value, bool):
            problems.add(path, "must be true or false")
        else:
            updates[key] = value
    problems.raise_if_any()
    return replace(base, **updates)
