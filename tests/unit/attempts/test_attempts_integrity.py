from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.attempts.domain import (
    AttemptStateConflict,
    AttemptStatus,
    IntegrityFlag,
    IntegrityFlagType,
    add_integrity_flag,
    count_flags_by_type,
    count_interruptions,
    ensure_integrity_flag_accepted,
    parse_integrity_flag,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

TAB = IntegrityFlagType.TAB_SWITCH
BLUR = IntegrityFlagType.WINDOW_BLUR
PASTE = IntegrityFlagType.COPY_PASTE
FULLSCREEN = IntegrityFlagType.FULLSCREEN_EXIT


def flag(kind: IntegrityFlagType, start: datetime, seconds: float) -> IntegrityFlag:
    return IntegrityFlag(kind, start + timedelta(seconds=seconds))


def test_parses_a_flag_with_an_iso_timestamp(start: datetime) -> None:
    parsed = parse_integrity_flag(
        {"type": "tab_switch", "timestamp": "2026-03-02T09:00:00Z", "details": "to chat"}
    )

    assert parsed == IntegrityFlag(TAB, start, "to chat")


def test_parses_a_flag_with_a_datetime_and_no_details(start: datetime) -> None:
    assert parse_integrity_flag({"type": "devtools_open", "timestamp": start}) == IntegrityFlag(
        IntegrityFlagType.DEVTOOLS_OPEN, start
    )


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ({"type": "screenshot", "timestamp": "2026-03-02T09:00:00Z"}, {"type"}),
        ({"type": "other", "timestamp": "2026-03-02T09:00:00"}, {"timestamp"}),
        ({"type": "other", "timestamp": "yesterday"}, {"timestamp"}),
        ({"type": "other"}, {"timestamp"}),
        ({"type": "other", "timestamp": "2026-03-02T09:00Z", "details": "x" * 1001}, {"details"}),
        ({"type": "other", "timestamp": "2026-03-02T09:00Z", "details": 5}, {"details"}),
        ({"type": "other", "timestamp": "2026-03-02T09:00Z", "details": 0}, {"details"}),
        ({"type": "other", "timestamp": "2026-03-02T09:00Z", "ip": "1.2.3.4"}, {"ip"}),
        ({}, {"type", "timestamp"}),
    ],
)
def test_rejects_invalid_flags_naming_each_field(raw: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_integrity_flag(raw)

    assert set(caught.value.fields) == fields


def test_rejects_a_flag_that_is_not_an_object() -> None:
    with pytest.raises(InvalidInput):
        parse_integrity_flag(["tab_switch"])


@pytest.mark.parametrize(
    ("existing", "new", "kept_seconds"),
    [
        ([(TAB, 0)], (TAB, 0.4), [0]),
        ([(TAB, 0)], (TAB, 1.0), [0]),
        ([(TAB, 0)], (TAB, 1.001), [0, 1.001]),
        ([(TAB, 0)], (BLUR, 0.1), [0, 0.1]),
        ([(TAB, 5)], (TAB, 4.5), [5]),
        ([(TAB, 5)], (PASTE, 2), [2, 5]),
        ([], (TAB, 3), [3]),
    ],
)
def test_repeats_of_one_type_within_a_second_fold_into_one(
    start: datetime,
    existing: list[tuple[IntegrityFlagType, float]],
    new: tuple[IntegrityFlagType, float],
    kept_seconds: list[float],
) -> None:
    flags = [flag(kind, start, seconds) for kind, seconds in existing]

    result = add_integrity_flag(flags, flag(new[0], start, new[1]))

    assert [(f.timestamp - start).total_seconds() for f in result] == kept_seconds


def test_a_burst_keeps_about_one_flag_per_second(start: datetime) -> None:
    flags: tuple[IntegrityFlag, ...] = ()
    for half_seconds in range(7):
        flags = add_integrity_flag(flags, flag(TAB, start, half_seconds / 2))

    assert [(f.timestamp - start).total_seconds() for f in flags] == [0, 1.5, 3.0]


def test_adding_the_same_flag_twice_changes_nothing(start: datetime) -> None:
    once = add_integrity_flag([flag(BLUR, start, 0)], flag(TAB, start, 10))

    assert add_integrity_flag(once, flag(TAB, start, 10)) == once


@pytest.mark.parametrize(
    ("flags", "reconnects", "expected"),
    [
        ([], 0, 0),
        ([(TAB, 0), (BLUR, 0.2)], 0, 1),
        ([(TAB, 0), (BLUR, 5)], 0, 2),
        ([(BLUR, 0), (FULLSCREEN, 0.5), (TAB, 1.2)], 0, 1),
        ([(PASTE, 0), (IntegrityFlagType.DEVTOOLS_OPEN, 3)], 0, 0),
        ([(BLUR, 0)], 2, 3),
    ],
)
def test_interruptions_group_leave_events_and_add_reconnects(
    start: datetime,
    flags: list[tuple[IntegrityFlagType, float]],
    reconnects: int,
    expected: int,
) -> None:
    built = [flag(kind, start, seconds) for kind, seconds in flags]

    assert count_interruptions(built, reconnects=reconnects) == expected


@pytest.mark.parametrize("reconnects", [-1, 1.5, True])
def test_rejects_an_invalid_reconnect_count(reconnects: Any) -> None:
    with pytest.raises(InvalidInput):
        count_interruptions([], reconnects=reconnects)


def test_counts_flags_by_type(start: datetime) -> None:
    flags = [flag(TAB, start, 0), flag(TAB, start, 5), flag(PASTE, start, 9)]

    assert count_flags_by_type(flags) == {"tab_switch": 2, "copy_paste": 1}


def test_open_attempt_accepts_any_flag(start: datetime) -> None:
    ensure_integrity_flag_accepted(
        AttemptStatus.IN_PROGRESS, flag(TAB, start, 99999), completed_at=None
    )


def test_closed_attempt_accepts_only_flags_raised_before_it_closed(start: datetime) -> None:
    completed = start + timedelta(minutes=10)

    ensure_integrity_flag_accepted(
        AttemptStatus.GRADED, flag(TAB, start, 599), completed_at=completed
    )
    with pytest.raises(AttemptStateConflict):
        ensure_integrity_flag_accepted(
            AttemptStatus.PENDING_GRADING, flag(TAB, start, 601), completed_at=completed
        )
