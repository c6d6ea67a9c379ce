"""What a read computes from the whole class is remembered with the course's facts, and
gives the same documents as computing it again."""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.analytics.domain.classmates import (
    REMEMBERED,
    REMEMBERED_EACH,
    Classmates,
    _moment_fields,
    latest_moment,
    remembered_each,
)
from services.analytics.domain.document import learning_analytics
from services.analytics.domain.periods import PeriodType, period_of
from services.analytics.domain.risk_model import PRIOR
from services.analytics.store import catalog_of, facts_of
from tests.unit.analytics.streams import (
    COURSE,
    T0,
    activity,
    analytics_session,
    apply,
    at,
    enrolled,
    lesson_completed,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def class_of_three() -> tuple[dict, set]:
    events = []
    for n, student in enumerate(["USR-STU-1", "USR-STU-2", "USR-STU-3"]):
        events.append(enrolled(at(0), student=student))
        events.append(
            activity(
                [
                    record(f"R-{student}-{d}", "lesson_start", at(d), student=student)
                    for d in (1, 8)
                ],
                student=student,
            )
        )
        for q in range(3):  # quizzes passed at different days by each student
            moment = at(2 + 6 * q + n)
            events.append(
                submitted(
                    f"AT-{student}-{q}", f"QZ-{q}", moment, 50.0 + 15 * n + q, student=student
                )
            )
            events.append(lesson_completed(f"LSN-{q}", at(1 + 6 * q + 2 * n), student=student))
    with analytics_session() as session:
        apply(session, events)
        return facts_of(session, None, COURSE), catalog_of(session, [COURSE])


def document(classmates, catalog, moment: datetime) -> dict:
    period = period_of(PeriodType.WEEKLY, T0, None, moment)
    facts = classmates["USR-STU-1"]
    return learning_analytics(facts, classmates, catalog, COURSE, period, PRIOR, moment).document


def test_documents_from_remembered_answers_equal_those_computed_afresh():
    students, catalog = class_of_three()
    remembered = Classmates(students)
    # before, between and after the facts, then back: each moment its own answer
    for moment in [at(3), at(9), at(15), at(40), at(41), at(9), at(3), at(40)]:
        assert document(remembered, catalog, moment) == document(students, catalog, moment)


def test_a_moment_after_every_fact_is_computed_once_and_earlier_ones_each_once():
    students, _catalog = class_of_three()
    classmates = Classmates(students)
    calls: list[datetime] = []

    def ask(moment: datetime) -> int:
        return classmates.remembered("answer", moment, lambda: calls.append(moment) or len(calls))

    assert [ask(at(30)), ask(at(31)), ask(at(400))] == [1, 1, 1]
    assert [ask(at(5)), ask(at(6)), ask(at(5))] == [2, 3, 2]
    assert calls == [at(30), at(5), at(6)]


def test_a_class_without_facts_remembers_one_answer():
    classmates = Classmates({})
    assert len(classmates) == 0 and list(classmates) == []
    assert classmates.remembered("answer", at(1), lambda: 1) == 1
    assert classmates.remembered("answer", at(2), lambda: 2) == 1


def test_the_moment_of_the_latest_fact_is_not_after_it_and_has_its_own_answer():
    classmates = Classmates(class_of_three()[0])
    latest = at(17)  # USR-STU-3's last lesson completed (day 1 + 6 * 2 + 2 * 2)
    answers = iter(range(3))

    def ask(moment: datetime) -> int:
        return classmates.remembered("answer", moment, lambda: next(answers))

    # at the latest fact only the facts before it count; a moment after it sees them all
    assert [ask(latest), ask(latest + timedelta(seconds=1)), ask(latest)] == [0, 1, 0]


def test_at_most_remembered_answers_are_kept_then_all_are_forgotten():
    classmates = Classmates(class_of_three()[0])
    calls: list[int] = []

    def ask(hour: int) -> int:
        return classmates.remembered(
            "answer", at(0, hours=hour), lambda: calls.append(hour) or hour
        )

    for hour in range(REMEMBERED):
        ask(hour)
    ask(0)  # still remembered
    assert len(calls) == REMEMBERED
    ask(REMEMBERED)  # one more: the answers remembered so far are forgotten
    ask(0)
    assert calls[REMEMBERED:] == [REMEMBERED, 0]


def test_the_latest_moment_is_found_wherever_the_facts_hold_one():
    facts = class_of_three()[0]["USR-STU-1"]
    # day 12 of USR-STU-1's last quiz submission (day 2 + 6 * 2 + 0); nothing later
    assert latest_moment(facts) == at(14)
    later = at(40)
    paused = dataclasses.replace(
        facts.enrollments[0], status_changes=((later, "paused"),), status="paused"
    )
    assert latest_moment(dataclasses.replace(facts, enrollments=(paused,))) == later
    assert latest_moment(()) is None and latest_moment("no moment") is None


def test_an_updated_class_has_the_new_facts_and_their_latest_moment():
    students, _catalog = class_of_three()
    classmates = Classmates({s: f for s, f in students.items() if s != "USR-STU-3"})
    answers = iter(range(4))

    def ask(group: Classmates, moment: datetime) -> int:
        return group.remembered("answer", moment, lambda: next(answers))

    # day 16 is after every fact of USR-STU-1 and -2: the answer "after the latest fact"
    assert ask(classmates, at(16)) == ask(classmates, at(30)) == 0
    updated = classmates.updated({"USR-STU-3": students["USR-STU-3"]})
    assert dict(updated) == students
    assert dict(classmates) != students  # the class it came from is unchanged
    # with USR-STU-3's lesson of day 17, day 16 is no longer after the latest fact
    assert [ask(updated, at(16)), ask(updated, at(30)), ask(updated, at(30))] == [1, 2, 2]


@dataclasses.dataclass(frozen=True)
class Inner:
    at: datetime


def every_kind() -> type:
    """A dataclass with a field of every kind, made afresh on each call: the fields of a
    class are worked out once and remembered, so each test sees them worked out."""

    @dataclasses.dataclass(frozen=True)
    class EveryKind:
        name: str
        count: int
        at: datetime
        maybe: datetime | None
        union: typing.Union[datetime, None]  # noqa: UP007 (the older spelling is read too)
        moments: tuple[datetime, ...]
        pair: tuple[str, datetime]
        names: tuple[str, ...]
        inner: Inner
        inner_or_none: Inner | None
        anything: Any
        thing: object
        maybe_name: str | None

    return EveryKind


MOMENT_FIELDS = (
    "at",
    "maybe",
    "union",
    "moments",
    "pair",
    "inner",
    "inner_or_none",
    "anything",
    "thing",
)


def test_latest_moment_looks_through_the_fields_whose_type_can_hold_one():
    assert _moment_fields(every_kind()) == MOMENT_FIELDS
    assert _moment_fields(Inner) == ("at",)
    assert _moment_fields(str) == ()


@pytest.mark.parametrize("field", MOMENT_FIELDS)
def test_a_latest_moment_is_found_in_every_field_that_can_hold_one(field: str):
    early, late = at(1), at(9)
    values: dict[str, object] = {
        "name": "a",
        "count": 1,
        "at": early,
        "maybe": early,
        "union": None,
        "moments": (early, early),
        "pair": ("a", early),
        "names": ("a",),
        "inner": Inner(early),
        "inner_or_none": None,
        "anything": early,
        "thing": "no moment",
        "maybe_name": None,
    }
    latest = {
        "moments": (early, late),
        "pair": ("a", late),
        "inner": Inner(late),
        "inner_or_none": Inner(late),
    }.get(field, late)
    assert latest_moment(every_kind()(**{**values, field: latest})) == late


def test_a_student_whose_facts_changed_has_the_latest_moment_of_the_new_facts():
    students, _catalog = class_of_three()
    classmates = Classmates(students)
    answers = iter(range(4))

    def ask(group: Classmates, moment: datetime) -> int:
        return group.remembered("answer", moment, lambda: next(answers))

    # day 30 is after every fact (the latest is day 17): one answer from then on
    assert ask(classmates, at(30)) == ask(classmates, at(50)) == 0
    facts = students["USR-STU-1"]
    paused = dataclasses.replace(
        facts.enrollments[0], status_changes=((at(40), "paused"),), status="paused"
    )
    updated = classmates.updated({"USR-STU-1": dataclasses.replace(facts, enrollments=(paused,))})
    # USR-STU-1 paused on day 40: day 30 is before that fact, day 50 after it
    assert [ask(updated, at(30)), ask(updated, at(50)), ask(updated, at(45))] == [1, 2, 2]


def test_an_updated_class_computes_each_answer_again_only_for_the_students_that_changed():
    students, _catalog = class_of_three()
    classmates = Classmates(students)
    calls: list[tuple[str, datetime]] = []

    def each(group: Classmates, moment: datetime) -> dict[str, int]:
        def compute(facts: Any) -> int:
            calls.append((facts.student_id, moment))
            return len(facts.attempts) + len(calls)

        return group.each("answer", moment, compute)

    first = each(classmates, at(30))
    assert sorted(first) == sorted(students) and len(calls) == 3
    assert each(classmates, at(40)) == first and len(calls) == 3  # after every fact: the same
    facts = students["USR-STU-2"]
    paused = dataclasses.replace(
        facts.enrollments[0], status_changes=((at(35), "paused"),), status="paused"
    )
    updated = classmates.updated({"USR-STU-2": dataclasses.replace(facts, enrollments=(paused,))})
    again = each(updated, at(30))
    assert calls[3:] == [("USR-STU-2", at(30))]  # only the student whose facts changed
    assert {s: v for s, v in again.items() if s != "USR-STU-2"} == {
        s: v for s, v in first.items() if s != "USR-STU-2"
    }
    # day 30 is now before USR-STU-2's latest fact (day 35) but after the others': only
    # USR-STU-2's answer depends on the moment
    each(updated, at(32))
    assert calls[4:] == [("USR-STU-2", at(32))]


def test_each_answer_of_a_plain_mapping_is_computed_for_every_student():
    students, _catalog = class_of_three()
    assert remembered_each(students, "answer", at(30), lambda f: f.student_id) == {
        s: s for s in students
    }
    classmates = Classmates(students)
    assert remembered_each(classmates, "answer", at(30), lambda f: f.student_id) == {
        s: s for s in students
    }


def test_each_answer_at_a_students_latest_moment_is_its_own():
    students, _catalog = class_of_three()
    classmates = Classmates(students)
    latest = latest_moment(students["USR-STU-3"])
    assert latest is not None
    calls: list[datetime] = []

    def each(moment: datetime) -> dict[str, int]:
        return classmates.each("answer", moment, lambda facts: calls.append(moment) or 0)

    each(latest + timedelta(days=1))
    each(latest)  # at their latest fact only the facts before it count: asked again
    assert calls.count(latest) == 1


def test_at_most_remembered_each_answers_are_kept_per_student_then_forgotten():
    students, _catalog = class_of_three()
    classmates = Classmates({"USR-STU-1": students["USR-STU-1"]})
    calls: list[int] = []

    def ask(hour: int) -> None:
        classmates.each("answer", at(0, hours=hour), lambda facts: calls.append(hour) or hour)

    for hour in range(REMEMBERED_EACH):
        ask(hour)
    assert len(calls) == REMEMBERED_EACH
    classmates._answers.clear()  # the whole class's answers: ask each student again
    ask(0)
    assert len(calls) == REMEMBERED_EACH  # still remembered for the student
    ask(REMEMBERED_EACH)  # one more: the student's answers are forgotten
    classmates._answers.clear()
    ask(0)
    assert calls[REMEMBERED_EACH:] == [REMEMBERED_EACH, 0]
