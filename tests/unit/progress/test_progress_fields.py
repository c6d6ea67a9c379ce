from __future__ import annotations

from typing import Any

import pytest

from services.progress.domain import (
    NotificationPreferences,
    notification_preferences_after,
    validate_custom_fields,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit


def test_every_notification_is_on_by_default() -> None:
    assert NotificationPreferences().as_dict() == {
        "reminders": True,
        "achievements": True,
        "deadlines": True,
    }


def test_changing_one_switch_keeps_the_others() -> None:
    current = NotificationPreferences(deadlines=False)

    after = notification_preferences_after(current, {"reminders": False})

    assert after == NotificationPreferences(reminders=False, achievements=True, deadlines=False)


def test_preferences_start_from_the_defaults_when_none_are_stored() -> None:
    after = notification_preferences_after(None, {"achievements": False})

    assert after == NotificationPreferences(achievements=False)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"reminders": "no"}, ["notification_preferences.reminders"]),
        ({"sms": True}, ["notification_preferences.sms"]),
        (
            {"reminders": 0, "deadline": True},
            [
                "notification_preferences.reminders",
                "notification_preferences.deadline",
            ],
        ),
        (["reminders"], ["notification_preferences"]),
    ],
)
def test_bad_preference_is_named_by_its_path(changes: object, fields: list[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        notification_preferences_after(None, changes)

    assert list(raised.value.fields) == fields


def test_plain_custom_fields_are_accepted_as_a_copy() -> None:
    raw: dict[str, Any] = {
        "house": "Gryffindor",
        "sis-id": 12345,
        "grade_level": 9.5,
        "iep": False,
        "advisor": None,
        "clubs": ["chess", {"name": "robotics"}],
        "guardian": {"contact": {"phone": "555-0100"}},
    }

    accepted = validate_custom_fields(raw)

    assert accepted == raw
    assert accepted is not raw and accepted["clubs"] is not raw["clubs"]


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ([1, 2], "custom_fields"),
        ("text", "custom_fields"),
        ({"a": {"b": {"c": {"d": 1}}}}, "custom_fields.a.b.c"),
        ({"a": {"b": {"c": [1]}}}, "custom_fields.a.b.c"),
        ({"a": [[[1]]]}, "custom_fields.a[0][0]"),
        ({"": 1}, "custom_fields."),
        ({"has.dot": 1}, "custom_fields.has.dot"),
        ({"k" * 65: 1}, f"custom_fields.{'k' * 20}..."),
        ({"a": {"b": float("nan")}}, "custom_fields.a.b"),
        ({"a": [1, float("inf")]}, "custom_fields.a[1]"),
        ({"a": 2**53}, "custom_fields.a"),
        ({"a": {1, 2}}, "custom_fields.a"),
        ({"a": (1, 2)}, "custom_fields.a"),
        ({f"k{n}": n for n in range(51)}, "custom_fields"),
        ({f"k{n}": {"x": n} for n in range(26)}, "custom_fields"),
        ({"blob": "é" * 4091}, "custom_fields"),  # 2 bytes each: 8,193 bytes in all
    ],
)
def test_bad_custom_fields_name_the_offending_path(raw: object, path: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_custom_fields(raw)

    assert path in raised.value.fields


@pytest.mark.parametrize(
    "raw",
    [
        {"a": {"b": {"c": 1}}},
        {"a": {"b": [1, 2]}},
        {f"k{n}": n for n in range(50)},
        {"a": 2**53 - 1, "b": -(2**53 - 1)},
        {"blob": "x" * (8192 - len('{"blob":""}'))},
    ],
    ids=["three-levels", "list-at-level-three", "fifty-keys", "safe-integers", "exactly-8KiB"],
)
def test_custom_fields_at_the_limits_are_accepted(raw: dict[str, Any]) -> None:
    assert validate_custom_fields(raw) == raw
