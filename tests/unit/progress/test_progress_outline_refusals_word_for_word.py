# ruff: noqa: E501 (the table of refusals keeps one case a line)
"""What ``PUT /courses/{course_id}/outline`` refuses, by exact path and message, and what it
accepts at the bounds (outline_parsing)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from services.progress.domain import parse_outline
from services.progress.domain.outline import (
    CertificateCriteria,
    CompletionCriteria,
    ItemKind,
    Module,
    Outline,
    OutlineItem,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

BASE: dict[str, Any] = {
    "modules": [
        {
            "module_id": "MOD-1",
            "title": "Limits",
            "items": [
                {"item_id": "LSN-1", "kind": "lesson", "title": "Intro"},
                {"item_id": "QZ-1", "kind": "quiz", "title": "Quiz", "weight": 2.5},
            ],
        }
    ]
}


def outline(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    change(document)
    return document


def item(document: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = document["modules"][0]["items"][0]
    return first


def problems_of(raw: object) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as error:
        parse_outline(raw)
    return error.value.fields


def test_a_plain_outline_takes_every_default():
    assert parse_outline(BASE) == Outline(
        (
            Module(
                "MOD-1",
                "Limits",
                (
                    OutlineItem("LSN-1", ItemKind.LESSON, "Intro", True, 1.0),
                    OutlineItem("QZ-1", ItemKind.QUIZ, "Quiz", True, 2.5),
                ),
            ),
        ),
        CompletionCriteria(True, True, True, None, None),
        CertificateCriteria(True, None),
    )


def test_criteria_and_bounds_are_read_as_written():
    raw = outline(
        lambda d: d.update(
            completion_criteria={
                "all_required_lessons": False,
                "all_required_quizzes_passed": False,
                "all_required_assignments_submitted": False,
                "assignments_min_grade": 0,
                "min_progress_percentage": 100,
            },
            certificate_criteria={"requires_completion": False, "min_average_score": 100},
        )
    )
    item(raw).update(required=False, weight=1000, title="t" * 200, item_id="i" * 128)
    parsed = parse_outline(raw)
    assert parsed.completion == CompletionCriteria(False, False, False, 0.0, 100)
    assert parsed.certificate == CertificateCriteria(False, 100.0)
    assert parsed.modules[0].items[0] == OutlineItem(
        "i" * 128, ItemKind.LESSON, "t" * 200, False, 1000.0
    )
    lowest = outline(
        lambda d: d.update(
            completion_criteria={"assignments_min_grade": 100, "min_progress_percentage": 0},
            certificate_criteria={"min_average_score": 0},
        )
    )
    parsed = parse_outline(lowest)
    assert (parsed.completion.assignments_min_grade, parsed.completion.min_progress_percentage) == (
        100.0,
        0,
    )
    assert parsed.certificate.min_average_score == 0.0
    nulls = outline(
        lambda d: d.update(
            completion_criteria={"assignments_min_grade": None, "min_progress_percentage": None},
            certificate_criteria={"min_average_score": None},
        )
    )
    parsed = parse_outline(nulls)
    assert parsed.completion == CompletionCriteria()
    assert parsed.certificate == CertificateCriteria()


ITEM = "modules[0].items[0]"
ID = "must be a non-empty string without surrounding spaces"


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ([], {"outline": ["must be an object"]}),
        ({"modules": []}, {"modules": ["must be a non-empty list of modules"]}),
        ({"modules": {}}, {"modules": ["must be a non-empty list of modules"]}),
        ({"modules": ["MOD-1"]}, {"modules[0]": ["must be an object"]}),
        (outline(lambda d: d.update(extra=1)), {"extra": ["unknown field"]}),
        (outline(lambda d: d["modules"][0].update(extra=1)), {"modules[0].extra": ["unknown field"]}),
        (outline(lambda d: item(d).update(extra=1)), {f"{ITEM}.extra": ["unknown field"]}),
        (outline(lambda d: d["modules"][0].update(module_id=" M")), {"modules[0].module_id": [ID]}),
        (outline(lambda d: d["modules"][0].update(module_id="  ")), {"modules[0].module_id": [ID]}),
        (outline(lambda d: d["modules"][0].update(module_id=5)), {"modules[0].module_id": [ID]}),
        (
            outline(lambda d: d["modules"][0].update(module_id="m" * 129)),
            {"modules[0].module_id": ["must be at most 128 characters"]},
        ),
        (
            outline(lambda d: item(d).update(item_id="MOD-1")),
            {f"{ITEM}.item_id": ["'MOD-1' is already used at modules[0].module_id; ids must be unique"]},
        ),
        (outline(lambda d: d["modules"][0].update(title=" ")), {"modules[0].title": ["must be a non-empty string"]}),
        (outline(lambda d: d["modules"][0].update(title=None)), {"modules[0].title": ["must be a non-empty string"]}),
        (
            outline(lambda d: d["modules"][0].update(title="t" * 201)),
            {"modules[0].title": ["must be at most 200 characters"]},
        ),
        (outline(lambda d: d["modules"][0].update(items=[])), {"modules[0].items": ["must be a non-empty list of items"]}),
        (outline(lambda d: d["modules"][0].update(items="LSN")), {"modules[0].items": ["must be a non-empty list of items"]}),
        (outline(lambda d: d["modules"][0].update(items=[1])), {ITEM: ["must be an object"]}),
        (outline(lambda d: item(d).update(kind="video")), {f"{ITEM}.kind": ["must be one of lesson, quiz, assignment"]}),
        (outline(lambda d: item(d).update(kind=None)), {f"{ITEM}.kind": ["must be one of lesson, quiz, assignment"]}),
        (outline(lambda d: item(d).update(required="yes")), {f"{ITEM}.required": ["must be true or false"]}),
        (outline(lambda d: item(d).update(weight=0)), {f"{ITEM}.weight": ["must be a number above 0 and at most 1000"]}),
        (outline(lambda d: item(d).update(weight=1000.5)), {f"{ITEM}.weight": ["must be a number above 0 and at most 1000"]}),
        (outline(lambda d: item(d).update(weight=True)), {f"{ITEM}.weight": ["must be a number above 0 and at most 1000"]}),
        (outline(lambda d: d.update(completion_criteria=[])), {"completion_criteria": ["must be an object"]}),
        (outline(lambda d: d.update(certificate_criteria="yes")), {"certificate_criteria": ["must be an object"]}),
        (
            outline(lambda d: d.update(completion_criteria={"all_lessons": True})),
            {"completion_criteria.all_lessons": ["unknown field"]},
        ),
        (
            outline(lambda d: d.update(certificate_criteria={"min_score": 1})),
            {"certificate_criteria.min_score": ["unknown field"]},
        ),
        (
            outline(lambda d: d.update(completion_criteria={"all_required_lessons": 1})),
            {"completion_criteria.all_required_lessons": ["must be true or false"]},
        ),
        (
            outline(lambda d: d.update(certificate_criteria={"requires_completion": "no"})),
            {"certificate_criteria.requires_completion": ["must be true or false"]},
        ),
        (
            outline(lambda d: d.update(completion_criteria={"assignments_min_grade": 100.5})),
            {"completion_criteria.assignments_min_grade": ["must be a number from 0 to 100 or null"]},
        ),
        (
            outline(lambda d: d.update(certificate_criteria={"min_average_score": -1})),
            {"certificate_criteria.min_average_score": ["must be a number from 0 to 100 or null"]},
        ),
        (
            outline(lambda d: d.update(certificate_criteria={"min_average_score": "80"})),
            {"certificate_criteria.min_average_score": ["must be a number from 0 to 100 or null"]},
        ),
        (
            outline(lambda d: d.update(completion_criteria={"min_progress_percentage": 80.5})),
            {"completion_criteria.min_progress_percentage": ["must be a whole number from 0 to 100 or null"]},
        ),
        (
            outline(lambda d: d.update(completion_criteria={"min_progress_percentage": 101})),
            {"completion_criteria.min_progress_percentage": ["must be a whole number from 0 to 100 or null"]},
        ),
        (
            outline(lambda d: d.update(completion_criteria={"min_progress_percentage": -1})),
            {"completion_criteria.min_progress_percentage": ["must be a whole number from 0 to 100 or null"]},
        ),
        (
            outline(lambda d: d.update(completion_criteria={"min_progress_percentage": True})),
            {"completion_criteria.min_progress_percentage": ["must be a whole number from 0 to 100 or null"]},
        ),
    ],
)  # fmt: skip
def test_refusals_name_the_exact_path(raw: object, fields: dict[str, list[str]]):
    assert problems_of(raw) == fields


def test_every_problem_of_an_outline_is_reported_at_once():
    raw = {
        "modules": [
            {"module_id": "M", "title": "", "items": [{"item_id": "M", "kind": "x", "title": "t"}]},
            {"module_id": "M", "title": "T", "items": []},
        ],
        "completion_criteria": {"min_progress_percentage": 200},
    }
    assert problems_of(raw) == {
        "modules[0].title": ["must be a non-empty string"],
        "modules[0].items[0].item_id": [
            "'M' is already used at modules[0].module_id; ids must be unique"
        ],
        "modules[0].items[0].kind": ["must be one of lesson, quiz, assignment"],
        "modules[1].module_id": ["'M' is already used at modules[0].module_id; ids must be unique"],
        "modules[1].items": ["must be a non-empty list of items"],
        "completion_criteria.min_progress_percentage": [
            "must be a whole number from 0 to 100 or null"
        ],
    }


def test_ids_are_unique_across_modules_and_items():
    raw = outline(
        lambda d: d["modules"].append(
            {
                "module_id": "MOD-2",
                "title": "More",
                "items": [{"item_id": "QZ-1", "kind": "lesson", "title": "Again"}],
            }
        )
    )
    assert problems_of(raw) == {
        "modules[1].items[0].item_id": [
            "'QZ-1' is already used at modules[0].items[1].item_id; ids must be unique"
        ]
    }


def test_a_too_long_id_is_not_remembered_as_used():
    long_id = "x" * 129
    raw = outline(lambda d: d["modules"][0]["items"][1].update(item_id=long_id))
    item(raw).update(item_id=long_id)
    assert problems_of(raw) == {
        f"{ITEM}.item_id": ["must be at most 128 characters"],
        "modules[0].items[1].item_id": ["must be at most 128 characters"],
    }
