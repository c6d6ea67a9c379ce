"""Quizzes and questions as validated, immutable value objects.

Build them from raw input with :func:`parse_quiz_definition` (``definitions``), which
checks every rule; constructing them directly is for code and tests that already hold
valid values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import QuestionNotFound
from .question_types import (
    AnswerKey,
    AnswerValue,
    MatchingKey,
    Option,
    OrderingKey,
    QuestionType,
)

DEFAULT_DIFFICULTY = 3
DEFAULT_GRACE_SECONDS = 30


@dataclass(frozen=True)
class Question:
    """One question: what is asked, what it is worth, and how to recognize a right answer.

    ``options`` are the choices of multiple_choice / multiple_response, the right-hand
    choices of matching, or the items of ordering (when the author fixed their display).
    ``tags`` name the skills the question exercises; ``difficulty`` (1-5) drives
    adaptive quizzes.
    """

    question_id: str
    prompt: str
    points: float
    answer_key: AnswerKey
    options: tuple[Option, ...] = ()
    tags: tuple[str, ...] = ()
    difficulty: int = DEFAULT_DIFFICULTY

    @property
    def type(self) -> QuestionType:
        return self.answer_key.question_type

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.option_id for option in self.options)

    @property
    def is_auto_scored(self) -> bool:
        return self.type is not QuestionType.ESSAY

    @property
    def correct_answer(self) -> AnswerValue | None:
        """The answer key in the shape of an answer of this type."""
        return self.answer_key.as_json()

    @property
    def matching_left_items(self) -> tuple[str, ...]:
        """The left-hand items of a matching question, in the author's order."""
        if isinstance(self.answer_key, MatchingKey):
            return self.answer_key.left_items
        return ()

    @property
    def matching_choices(self) -> tuple[str, ...]:
        """The right-hand items a matching answer may use: the options, else the key's."""
        if self.options:
            return self.option_ids
        if isinstance(self.answer_key, MatchingKey):
            return tuple(dict.fromkeys(right for _, right in self.answer_key.pairs))
        return ()

    @property
    def ordering_items(self) -> tuple[str, ...]:
        """The items an ordering answer must arrange, in correct order."""
        if isinstance(self.answer_key, OrderingKey):
            return self.answer_key.order
        return ()


@dataclass(frozen=True)
class Quiz:
    """A quiz definition and its attempt policy.

    ``passing_score`` is a percentage (0-100). ``time_limit_minutes`` None means no
    limit; ``attempts_allowed`` None means unlimited graded attempts. ``grace_seconds``
    is slack added after the time limit to absorb network latency before anything is
    refused or closed. ``allow_review`` lets students (and parents) see correct answers
    once an attempt is submitted.
    """

    quiz_id: str
    course_id: str
    title: str
    questions: tuple[Question, ...]
    passing_score: float
    lesson_id: str | None = None
    time_limit_minutes: float | None = None
    attempts_allowed: int | None = None
    randomize_questions: bool = False
    randomize_options: bool = False
    allow_practice: bool = False
    adaptive: bool = False
    allow_review: bool = False
    grace_seconds: int = DEFAULT_GRACE_SECONDS
    _by_id: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {q.question_id: q for q in self.questions})

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(question.question_id for question in self.questions)

    @property
    def points_possible(self) -> float:
        return sum(question.points for question in self.questions)

    def has_question(self, question_id: str) -> bool:
        return question_id in self._by_id

    def question(self, question_id: str) -> Question:
        """The question with this id; raises :class:`QuestionNotFound` otherwise."""
        try:
            return self._by_id[question_id]
        except KeyError:
            raise QuestionNotFound(
                f"question {question_id!r} is not part of quiz {self.quiz_id!r}"
            ) from None
