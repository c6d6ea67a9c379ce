from __future__ import annotations

from typing import Any

import pytest

from services.progress.domain import (
    CertificateCriteria,
    CompletionCriteria,
    ItemKind,
    OutlineItem,
    parse_outline,
    require_item_in_outline,
)
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import item, outline, raw_outline

pytestmark = pytest.mark.unit


def with_item_field(name: str, value: Any) -> dict[str, Any]:
    raw = raw_outline([item("L1")], [item("L2")])
    raw["modules"][1]["items"][0][name] = value
    return raw


def test_outline_keeps_modules_and_items_in_the_given_order() -> None:
    parsed = outline([item("L1"), item("Q1", "quiz")], [item("A1", "assignment"), item("L2")])

    assert [m.module_id for m in parsed.modules] == ["MOD-1", "MOD-2"]
    assert [i.item_id for i in parsed.items()] == ["L1", "Q1", "A1", "L2"]
    assert parsed.modules[0].items[1] == OutlineItem("Q1", ItemKind.QUIZ, "Title of Q1", True, 1.0)


def test_item_is_required_with_weight_one_unless_told_otherwise() -> None:
    raw = raw_outline([{"item_id": "L1", "kind": "lesson", "title": "Intro"}])

    (only,) = parse_outline(raw).items()

    assert only.required is True
    assert only.weight == 1.0


def test_criteria_take_their_defaults_when_absent() -> None:
    parsed = outline([item("L1")])

    assert parsed.completion == CompletionCriteria(
        all_required_lessons=True,
        all_required_quizzes_passed=True,
        all_required_assignments_submitted=True,
        assignments_min_grade=None,
        min_progress_percentage=None,
    )
    assert parsed.certificate == CertificateCriteria(
        requires_completion=True, min_average_score=None
    )


def test_criteria_are_read_from_the_document() -> None:
    parsed = outline(
        [item("L1")],
        completion_criteria={
            "all_required_quizzes_passed": False,
            "assignments_min_grade": 60,
            "min_progress_percentage": 80,
        },
        certificate_criteria={"requires_completion": False, "min_average_score": 75.5},
    )

    assert parsed.completion.all_required_quizzes_passed is False
    assert parsed.completion.all_required_lessons is True
    assert parsed.completion.assignments_min_grade == 60.0
    assert parsed.completion.min_progress_percentage == 80
    assert parsed.certificate == CertificateCriteria(False, 75.5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("weight", 0, "above 0"),
        ("weight", -2, "above 0"),
        ("weight", True, "above 0"),
        ("weight", "2", "above 0"),
        ("weight", float("nan"), "above 0"),
        ("weight", 1001, "at most 1000"),
        ("kind", "video", "one of lesson, quiz, assignment"),
        ("kind", ["lesson"], "one of lesson, quiz, assignment"),
        ("required", "yes", "true or false"),
        ("title", "   ", "non-empty"),
        ("title", "T" * 201, "at most 200"),
        ("item_id", "", "non-empty"),
        ("item_id", " L9", "surrounding spaces"),
        ("item_id", "L" * 129, "at most 128"),
        ("colour", "red", "unknown field"),
    ],
)
def test_bad_item_field_is_named_by_its_exact_path(name: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_outline(with_item_field(name, value))

    path = f"modules[1].items[0].{name}"
    assert list(raised.value.fields) == [path]
    assert message in raised.value.fields[path][0]
    assert raised.value.message.startswith(f"outline is invalid: {path}: ")


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (["not", "an", "object"], "outline"),
        ({"modules": []}, "modules"),
        ({"modules": "MOD-1"}, "modules"),
        ({"modules": [{"module_id": "M", "title": "T", "items": []}]}, "modules[0].items"),
        ({"modules": [{"module_id": "M", "title": "T", "items": ["L1"]}]}, "modules[0].items[0]"),
        ({"modules": [7]}, "modules[0]"),
        (raw_outline([item("L1")], audience="adults"), "audience"),
        (raw_outline([item("L1")], completion_criteria=[]), "completion_criteria"),
        (
            raw_outline([item("L1")], completion_criteria={"all_required_lesons": True}),
            "completion_criteria.all_required_lesons",
        ),
        (
            raw_outline([item("L1")], completion_criteria={"assignments_min_grade": 101}),
            "completion_criteria.assignments_min_grade",
        ),
        (
            raw_outline([item("L1")], completion_criteria={"min_progress_percentage": 50.5}),
            "completion_criteria.min_progress_percentage",
        ),
        (
            raw_outline([item("L1")], completion_criteria={"all_required_lessons": "no"}),
            "completion_criteria.all_required_lessons",
        ),
        (
            raw_outline([item("L1")], certificate_criteria={"min_average_score": -1}),
            "certificate_criteria.min_average_score",
        ),
    ],
)
def test_bad_document_shape_is_named_by_its_path(raw: Any, path: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_outline(raw)

    assert path in raised.value.fields


def test_item_id_used_twice_across_modules_is_refused_where_it_repeats() -> None:
    raw = raw_outline([item("L1"), item("L2")], [item("Q1", "quiz"), item("L2")])

    with pytest.raises(InvalidInput) as raised:
        parse_outline(raw)

    assert raised.value.fields == {
        "modules[1].items[1].item_id": [
            "'L2' is already used at modules[0].items[1].item_id; ids must be unique"
        ]
    }


def test_module_and_item_ids_share_one_namespace() -> None:
    raw = raw_outline([item("MOD-2")], [item("L1")])

    with pytest.raises(InvalidInput) as raised:
        parse_outline(raw)

    assert list(raised.value.fields) == ["modules[1].module_id"]


def test_every_problem_is_reported_in_one_error() -> None:
    raw = raw_outline([item("L1", weight=0), item("L1")], [item("Q1", "essay")])

    with pytest.raises(InvalidInput) as raised:
        parse_outline(raw)

    assert set(raised.value.fields) == {
        "modules[0].items[0].weight",
        "modules[0].items[1].item_id",
        "modules[1].items[0].kind",
    }
    assert raised.value.message.endswith("(and 2 more fields)")


def test_progress_counts_required_items_only() -> None:
    parsed = outline([item("L1"), item("L2", required=False), item("Q1", "quiz")])

    assert [i.item_id for i in parsed.counted_items()] == ["L1", "Q1"]


def test_course_without_required_items_counts_every_item() -> None:
    parsed = outline([item("L1", required=False), item("L2", required=False)])

    assert [i.item_id for i in parsed.counted_items()] == ["L1", "L2"]


def test_named_lesson_is_found_with_its_module() -> None:
    parsed = outline([item("L1")], [item("Q1", "quiz"), item("L2")])

    position = require_item_in_outline(parsed, "L2", ItemKind.LESSON, field="lesson_id")

    assert (position.module_id, position.item.item_id) == ("MOD-2", "L2")


@pytest.mark.parametrize(
    ("item_id", "message"),
    [("L9", "no lesson 'L9' in this course"), ("Q1", "'Q1' is a quiz, not a lesson")],
)
def test_naming_an_item_that_is_not_such_a_lesson_is_invalid(item_id: str, message: str) -> None:
    parsed = outline([item("L1"), item("Q1", "quiz")])

    with pytest.raises(InvalidInput) as raised:
        require_item_in_outline(parsed, item_id, ItemKind.LESSON, field="current_lesson_id")

    assert raised.value.fields == {"current_lesson_id": [message]}
