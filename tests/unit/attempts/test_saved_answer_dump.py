"""The answer save responds through a compiled dumper; marshmallow's dump is the reference."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.attempts.schemas import SAVED_ANSWER_DUMPER, SavedAnswerSchema

pytestmark = pytest.mark.unit


def saved(answer: Any, **fields: Any) -> dict[str, Any]:
    return {
        "attempt_id": "QZAT-1",
        "question_id": "q1",
        "question_type": "multiple_choice",
        "answer": answer,
        "time_spent": 30.5,
        "attempts_before_answer": 0,
        "confidence_level": 4,
        "question_order": ["q1", "q2", "q3"],
        **fields,
    }


@pytest.mark.parametrize(
    "document",
    [
        saved("a"),
        saved(["2", "3"], question_type="multiple_response", confidence_level=None),
        saved(True, question_type="true_false", time_spent=12),
        saved(3.14, question_type="numeric", attempts_before_answer=3),
        saved({"1/2": "0.5"}, question_type="matching"),
        saved(["1/8", "1/4", "1/2", "1"], question_type="ordering", question_order=[]),
        saved("Équivalentes.", question_type="essay", time_spent=0),
    ],
)
def test_the_saved_answer_is_what_its_schema_dumps(document: dict[str, Any]):
    expected = SavedAnswerSchema().dump(document)
    assert json.dumps(SAVED_ANSWER_DUMPER.dump(document)) == json.dumps(expected)
