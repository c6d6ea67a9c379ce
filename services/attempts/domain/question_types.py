"""Question types and their answer keys.

Each question type has its own frozen answer-key class, so a question's type follows
from its key and the two can never disagree. ``as_json()`` gives the key in the shape
an answer of that type takes, which is what an attempt reports as ``correct_answer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

#: The value of a normalized answer (and of a ``correct_answer``), as JSON would carry it.
AnswerValue = str | bool | float | list[str] | dict[str, str]


class QuestionType(StrEnum):
    MULTIPLE_CHOICE = "multiple_choice"
    MULTIPLE_RESPONSE = "multiple_response"
    TRUE_FALSE = "true_false"
    NUMERIC = "numeric"
    SHORT_TEXT = "short_text"
    MATCHING = "matching"
    ORDERING = "ordering"
    ESSAY = "essay"


@dataclass(frozen=True)
class Option:
    """One choice shown to the student: a stable id and the text displayed."""

    option_id: str
    text: str


@dataclass(frozen=True)
class MultipleChoiceKey:
    option_id: str
    question_type: ClassVar[QuestionType] = QuestionType.MULTIPLE_CHOICE

    def as_json(self) -> AnswerValue | None:
        return self.option_id


@dataclass(frozen=True)
class MultipleResponseKey:
    option_ids: tuple[str, ...]
    question_type: ClassVar[QuestionType] = QuestionType.MULTIPLE_RESPONSE

    def as_json(self) -> AnswerValue | None:
        return list(self.option_ids)


@dataclass(frozen=True)
class TrueFalseKey:
    value: bool
    question_type: ClassVar[QuestionType] = QuestionType.TRUE_FALSE

    def as_json(self) -> AnswerValue | None:
        return self.value


@dataclass(frozen=True)
class NumericKey:
    """The expected number; an answer within ``tolerance`` (absolute) is correct."""

    value: float
    tolerance: float = 0.0
    question_type: ClassVar[QuestionType] = QuestionType.NUMERIC

    def as_json(self) -> AnswerValue | None:
        return self.value


@dataclass(frozen=True)
class ShortTextKey:
    """Accepted answers, compared after normalization (see ``text_matching``)."""

    accepted_answers: tuple[str, ...]
    case_sensitive: bool = False
    question_type: ClassVar[QuestionType] = QuestionType.SHORT_TEXT

    def as_json(self) -> AnswerValue | None:
        return list(self.accepted_answers)


@dataclass(frozen=True)
class MatchingKey:
    """Correct (left item, right item) pairs, in the order the author gave them."""

    pairs: tuple[tuple[str, str], ...]
    question_type: ClassVar[QuestionType] = QuestionType.MATCHING

    @property
    def left_items(self) -> tuple[str, ...]:
        return tuple(left for left, _ in self.pairs)

    def as_json(self) -> AnswerValue | None:
        return dict(self.pairs)


@dataclass(frozen=True)
class OrderingKey:
    """The items in their correct order."""

    order: tuple[str, ...]
    question_type: ClassVar[QuestionType] = QuestionType.ORDERING

    def as_json(self) -> AnswerValue | None:
        return list(self.order)


@dataclass(frozen=True)
class EssayKey:
    """An optional model answer or rubric for the teacher; essays are never auto-scored."""

    model_answer: str | None = None
    question_type: ClassVar[QuestionType] = QuestionType.ESSAY

    def as_json(self) -> AnswerValue | None:
        return self.model_answer


AnswerKey = (
    MultipleChoiceKey
    | MultipleResponseKey
    | TrueFalseKey
    | NumericKey
    | ShortTextKey
    | MatchingKey
    | OrderingKey
    | EssayKey
)
