"""The documented contract (marshmallow) and the hot path (msgspec) accept and refuse the
same records: both are fed the same generated JSON, valid and broken in every field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.activity.domain import ACTIVITY_TYPES, CATEGORIES, CONNECTION_TYPES, INPUT_METHODS
from services.activity.schemas import ActivityLogInSchema, InvalidRecord, decode_record

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=1095)


class _Missing:
    """A field left out of the record (named in test ids, the same in every process)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


def optional(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, valid, st.just(None), st.just(MISSING))


def without_missing(drawn: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in drawn.items() if value is not MISSING}


SMALL = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False))
REF = st.one_of(st.from_regex(r"\A[A-Z]{3}-[0-9]{1,4}\Z"), TEXT.filter(bool))
MOMENTS = st.one_of(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 3), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat()),
    st.sampled_from(
        [
            "2026-11-25T08:15:00Z",
            "2026-11-25 08:15:00+01:00",
            "2026-12-03T12:04:59Z",
            "2023-12-04T12:00:00Z",
        ]
    ),
)
DETAILS = st.fixed_dictionaries(
    {
        "action": optional(TEXT),
        "duration": optional(SMALL),
        "progress": optional(SMALL),
        "score": optional(SMALL),
        "input_method": optional(st.sampled_from(INPUT_METHODS)),
        "interaction_count": optional(st.integers(0, 1000)),
        "page_url": optional(st.just("https://lms.example/a?b=c")),
        "referrer_url": optional(st.just("/lessons/1")),
        "content_section": optional(TEXT),
        "load_time": optional(SMALL),
        "response_time": optional(SMALL),
        "custom_data": optional(st.dictionaries(TEXT, st.one_of(st.integers(), TEXT), max_size=3)),
    }
).map(without_missing)
DEVICE = st.fixed_dictionaries(
    {
        "type": optional(TEXT),
        "browser": optional(TEXT),
        "os": optional(TEXT),
        "screen_size": optional(st.just("1920x1080")),
        "connection_type": optional(st.sampled_from(CONNECTION_TYPES)),
    }
).map(without_missing)
VALID = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,10}\Z"),
        "student_id": REF,
        "timestamp": MOMENTS,
        "activity_type": st.sampled_from(ACTIVITY_TYPES),
        "activity_category": optional(st.sampled_from(CATEGORIES)),
        "course_id": optional(REF),
        "lesson_id": optional(REF),
        "quiz_id": optional(REF),
        "assignment_id": optional(REF),
        "resource_id": optional(REF),
        "details": optional(DETAILS),
        "device_info": optional(DEVICE),
        "session_id": optional(REF),
        "session_duration": optional(SMALL),
        "learning_path_id": optional(REF),
        "learning_objective_id": optional(REF),
        "success": optional(st.booleans()),
        "error_message": optional(TEXT),
    }
).map(without_missing)

NUMBER_BREAKERS = ["12", True, [], {}, "", -0.5, 1e300, 10**30, None]
#: broken values by field ("details.x" inside details); MISSING removes the field
BROKEN: dict[str, list[Any]] = {
    "id": ["", "-x", "a\n", "a b", "i" * 129, 7, None, MISSING],
    "student_id": ["", "s" * 129, 12, None, MISSING],
    "timestamp": [
        "2026-11-25T08:15:00",
        "20261125T081500Z",
        "yesterday",
        "2026-12-03T12:05:01Z",
        "2023-12-03T11:59:59Z",
        "9999-12-31T23:59:59-05:00",
        1_700_000_000,
        None,
        MISSING,
    ],
    "activity_type": ["teleport", "LOGIN", "", 3, None, MISSING],
    "activity_category": ["fun", "", 1],
    "course_id": ["", 5, "c" * 129],
    "lesson_id": ["", [], None],
    "quiz_id": ["q" * 129, None],
    "resource_id": ["", None],
    "assignment_id": [1.5],
    "details": ["details", [], 0],
    "device_info": ["desktop", [1]],
    "session_duration": [*NUMBER_BREAKERS, 1441],
    "success": [1, 0, "true", "false"],
    "error_message": ["e" * 2001, 5],
    "colour": ["red"],
    "details.duration": [*NUMBER_BREAKERS, 86_401],
    "details.progress": [*NUMBER_BREAKERS, 100.0001],
    "details.score": [*NUMBER_BREAKERS, 101],
    "details.input_method": ["pen", 1],
    "details.interaction_count": [2.5, 1.0, "3", True, 1_000_001, -1],
    "details.page_url": ["x" * 2049, 5],
    "details.action": ["a" * 201, 3],
    "details.load_time": [*NUMBER_BREAKERS, 3_600_001],
    "details.custom_data": [{"big": "y" * 5000}, [1], "data"],
    "details.unknown": [1],
    "device_info.connection_type": ["5g", 1],
    "device_info.os": ["o" * 201, {}],
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record with up to two fields broken."""
    record = draw(VALID)
    for path in draw(st.lists(st.sampled_from(sorted(BROKEN)), max_size=2, unique=True)):
        value = draw(st.sampled_from(BROKEN[path]))
        target, _, name = path.rpartition(".")
        holder = record
        if target:
            if not isinstance(record.get(target), dict):
                record[target] = {}
            holder = record[target]
        holder.pop(name, None)
        if value is not MISSING:
            holder[name] = value
    return record


RECORDS = records()


def msgspec_accepts(body: bytes) -> bool:
    try:
        decode_record(body, now=NOW, oldest=NOW - RETENTION)
    except InvalidRecord:
        return False
    return True


def marshmallow_accepts(body: bytes) -> bool:
    try:
        ActivityLogInSchema(now=NOW, retention=RETENTION).load(json.loads(body))
    except ValidationError:
        return False
    return True


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_both_validators_accept_and_refuse_the_same_records(record: dict[str, Any]) -> None:
    body = json.dumps(record).encode()
    assert msgspec_accepts(body) == marshmallow_accepts(body), body


@pytest.mark.parametrize(
    "record",
    [
        {"id": "L-1", "student_id": "S", "timestamp": "2026-12-01T00:00:00Z",
         "activity_type": "login"},
        {"id": "L-1", "student_id": "S", "timestamp": "2026-12-01T00:00:00+02:00",
         "activity_type": "quiz_submit", "course_id": "C", "quiz_id": "Q",
         "details": {"score": 100, "duration": 0, "custom_data": {"k": [1, 2]}}},
    ],
)  # fmt: skip
def test_both_accept_good_records(record: dict[str, Any]) -> None:
    body = json.dumps(record).encode()
    assert msgspec_accepts(body) and marshmallow_accepts(body)


def test_generated_records_include_accepted_and_refused_ones() -> None:
    """The generator is not all-refused (a test of agreement that never accepts proves little)."""
    seen: set[bool] = set()

    @settings(max_examples=200, deadline=None, database=None)
    @given(RECORDS)
    def collect(record: dict[str, Any]) -> None:
        seen.add(msgspec_accepts(json.dumps(record).encode()))

    collect()
    assert seen == {True, False}


FULL_RECORD: dict[str, Any] = {
    "id": "LOG-1",
    "student_id": "USR-STU-1",
    "timestamp": "2026-12-01T10:00:00Z",
    "activity_type": "video_play",
    "activity_category": "learning",
    "course_id": "CRS-1",
    "lesson_id": "LSN-1",
    "quiz_id": "QZ-1",
    "assignment_id": "ASG-1",
    "resource_id": "RES-1",
    "details": {"duration": 30, "progress": 50, "input_method": "touch", "custom_data": {}},
    "device_info": {"type": "tablet", "connection_type": "cellular"},
    "session_id": "SES-1",
    "session_duration": 12.5,
    "learning_path_id": "LP-1",
    "learning_objective_id": "LO-1",
    "success": True,
    "error_message": None,
}
CASES = [(path, value) for path, values in BROKEN.items() for value in values]


def broken(path: str, value: Any) -> bytes:
    """FULL_RECORD with one field (``details.x`` inside details) replaced or removed."""
    record = json.loads(json.dumps(FULL_RECORD))
    target, _, name = path.rpartition(".")
    holder = record[target] if target else record
    holder.pop(name, None)
    if value is not MISSING:
        holder[name] = value
    return json.dumps(record).encode()


@pytest.mark.parametrize(("path", "value"), CASES, ids=[f"{p}={v!r}"[:40] for p, v in CASES])
def test_every_broken_value_is_judged_alike(path: str, value: Any) -> None:
    body = broken(path, value)
    assert msgspec_accepts(body) == marshmallow_accepts(body)


def test_the_full_record_is_accepted_and_every_broken_value_but_null_refused() -> None:
    assert msgspec_accepts(json.dumps(FULL_RECORD).encode())
    accepted = [(path, value) for path, value in CASES if msgspec_accepts(broken(path, value))]
    # null is allowed where a field is optional (a video needs no lesson or quiz)
    assert accepted and all(value is None for _, value in accepted), accepted
