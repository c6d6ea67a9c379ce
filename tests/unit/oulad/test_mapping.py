"""OULAD rows as progress' outlines and enrollment records: ids, kinds, days, cuts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.oulad.mapping import (
    Calendar,
    Course,
    MappingError,
    batches,
    courses_of,
    outline_of,
    parse_start,
    records_of,
)
from shared.oulad.reading import read_dataset
from tests.support.oulad_folder import write_oulad_folder

pytestmark = pytest.mark.unit

CALENDAR = Calendar({})


@pytest.fixture
def courses(tmp_path: Path) -> dict[str, Course]:
    dataset = read_dataset(write_oulad_folder(tmp_path))
    return {course.course_id: course for course in courses_of(dataset)}


def record_of_student(records: list[dict[str, Any]], student: str) -> dict[str, Any]:
    [record] = [r for r in records if r["student_id"] == student]
    return record


def test_presentations_start_in_february_and_october_unless_told():
    assert CALENDAR.start("2013B") == datetime(2013, 2, 1, tzinfo=UTC)
    assert CALENDAR.start("2014J") == datetime(2014, 10, 1, tzinfo=UTC)
    moved = Calendar({"2013J": date(2013, 10, 5)})
    assert moved.start("2013J") == datetime(2013, 10, 5, tzinfo=UTC)
    assert moved.day("2013J", -2) == datetime(2013, 10, 3, 12, tzinfo=UTC)


def test_a_presentation_of_unknown_shape_needs_a_start():
    with pytest.raises(MappingError, match=r"give --start 2013X=YYYY-MM-DD"):
        CALENDAR.start("2013X")


def test_a_start_is_parsed_from_the_command_line():
    assert parse_start("2013J=2013-10-05") == ("2013J", date(2013, 10, 5))
    with pytest.raises(ValueError, match="PRESENTATION=YYYY-MM-DD"):
        parse_start("2013J:2013-10-05")


def test_courses_are_chosen_by_presentation_and_module(courses: dict[str, Course], tmp_path):
    dataset = read_dataset(tmp_path)
    assert [c.course_id for c in courses_of(dataset)] == ["OU-AAA-2013B", "OU-AAA-2013J"]
    assert [c.course_id for c in courses_of(dataset, ["2013J"])] == ["OU-AAA-2013J"]
    assert courses_of(dataset, modules=["BBB"]) == []


def test_the_outline_holds_each_assessment_with_kind_weight_and_due_moment(courses):
    outline = outline_of(courses["OU-AAA-2013B"], CALENDAR)

    [module] = outline["modules"]
    assert module["module_id"] == "OU-AAA-2013B"
    assert module["items"] == [
        {
            "item_id": "OU-101",
            "kind": "assignment",
            "title": "TMA 1 (due day 20)",
            "required": True,
            "weight": 50.0,
            "due_at": "2013-02-21T12:00:00Z",
        },
        {  # a CMA; weighted 0: formative, not required, weighing 1
            "item_id": "OU-102",
            "kind": "assignment",
            "title": "CMA 1 (due day 60)",
            "required": False,
            "weight": 1,
            "due_at": "2013-04-02T12:00:00Z",
        },
        {  # an exam without a date is due on the module's last day (199 of 200)
            "item_id": "OU-103",
            "kind": "assignment",
            "title": "Exam (due day 199)",
            "required": True,
            "weight": 100.0,
            "due_at": "2013-08-19T12:00:00Z",
        },
    ]
    assert outline["completion_criteria"] == {"requires_final_result": True}


def test_a_registration_becomes_a_record_with_its_work_and_result(courses):
    records = records_of(courses["OU-AAA-2013B"], CALENDAR, None)

    assert record_of_student(records, "OU-STU-1") == {
        "student_id": "OU-STU-1",
        "course_id": "OU-AAA-2013B",
        "enrolled_at": "2013-01-02T12:00:00Z",
        "time_zone": "Europe/London",
        "submissions": [
            {"item_id": "OU-101", "submitted_at": "2013-02-19T12:00:00Z", "score": 80.0},
            {"item_id": "OU-102", "submitted_at": "2013-03-28T12:00:00Z", "score": 90.0},
            {"item_id": "OU-103", "submitted_at": "2013-08-19T12:00:00Z", "score": 70.0},
        ],
        "final_result": {"result": "pass", "at": "2013-08-20T00:00:00Z"},
    }


def test_a_withdrawal_is_the_final_result_at_its_day(courses):
    records = records_of(courses["OU-AAA-2013B"], CALENDAR, None)

    withdrawn = record_of_student(records, "OU-STU-2")
    assert withdrawn["final_result"] == {"result": "withdrawn", "at": "2013-03-23T12:00:00Z"}


def test_without_a_registration_day_the_enrollment_starts_on_day_0(courses):
    records = records_of(courses["OU-AAA-2013B"], CALENDAR, None)

    unknown = record_of_student(records, "OU-STU-3")
    assert unknown["enrolled_at"] == "2013-02-01T12:00:00Z"
    assert unknown["submissions"] == [
        {"item_id": "OU-101", "submitted_at": "2013-02-20T12:00:00Z", "score": None}
    ]
    assert unknown["final_result"] == {"result": "fail", "at": "2013-08-20T00:00:00Z"}


def test_a_banked_mark_is_a_submission_the_day_before_the_start(courses):
    records = records_of(courses["OU-AAA-2013J"], CALENDAR, None)

    banked = record_of_student(records, "OU-STU-1")["submissions"][0]
    assert banked == {"item_id": "OU-201", "submitted_at": "2013-09-30T12:00:00Z", "score": 85.0}


def test_a_submission_before_the_registration_moves_the_start_back(courses):
    # student 4 registered on day 5 of 2013J; moving day 21's submission to day 3 of the
    # dataset makes the enrollment start on day 3
    course = courses["OU-AAA-2013J"]
    early = {**course.submissions}
    early["4"] = tuple(
        s if s.assessment_id != "201" else type(s)(s.assessment_id, s.student, 3, False, 55.0)
        for s in early["4"]
    )
    moved = Course(course.presentation, course.assessments, course.registrations, early, {})

    record = record_of_student(records_of(moved, CALENDAR, None), "OU-STU-4")
    assert record["enrolled_at"] == "2013-10-04T12:00:00Z"


def test_until_day_leaves_out_what_is_dated_from_that_day_on(courses):
    course = courses["OU-AAA-2013J"]

    at_5 = records_of(course, CALENDAR, 5)
    assert [r["student_id"] for r in at_5] == ["OU-STU-1", "OU-STU-5"]  # 4 registers on day 5
    at_30 = records_of(course, CALENDAR, 30)
    withdrawing = record_of_student(at_30, "OU-STU-5")
    assert withdrawing["final_result"] is None  # withdraws on day 30
    assert [s["item_id"] for s in withdrawing["submissions"]] == ["OU-201"]
    assert [s["item_id"] for s in record_of_student(at_30, "OU-STU-4")["submissions"]] == ["OU-201"]
    at_31 = records_of(course, CALENDAR, 31)
    assert record_of_student(at_31, "OU-STU-5")["final_result"] == {
        "result": "withdrawn",
        "at": "2013-10-31T12:00:00Z",
    }
    at_210 = records_of(course, CALENDAR, 210)
    assert record_of_student(at_210, "OU-STU-1")["final_result"] is None  # ends on day 210
    assert records_of(course, CALENDAR, 211) == records_of(course, CALENDAR, None)


def test_a_later_cut_only_adds_to_an_earlier_one(courses):
    course = courses["OU-AAA-2013J"]
    earlier = {r["student_id"]: r for r in records_of(course, CALENDAR, 30)}

    for later in records_of(course, CALENDAR, 60):
        before = earlier.get(later["student_id"])
        if before is None:
            continue
        assert later["enrolled_at"] == before["enrolled_at"]
        assert later["submissions"][: len(before["submissions"])] == before["submissions"]


def test_batches_hold_at_most_500_records_and_stay_under_the_byte_limit():
    records = [{"student_id": f"OU-STU-{i}", "padding": "x" * 100} for i in range(1_234)]

    by_count = list(batches(records))
    assert [len(b) for b in by_count] == [500, 500, 234]
    by_size = list(batches(records, max_bytes=2_000))
    assert all(len(json.dumps({"records": b}, separators=(",", ":"))) <= 2_000 for b in by_size)
    assert [r for b in by_size for r in b] == records
