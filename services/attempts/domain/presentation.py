"""The order in which an attempt presents questions and options.

Shuffles are seeded from the attempt id with SHA-256 (never Python's ``hash()``, which
is salted per process) and use a fully specified Fisher-Yates shuffle, so the same
attempt shows the same order on every server, process and Python version. Nothing needs
storing beyond the attempt id, though ``question_order`` is recorded for analytics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TypeVar

from .question_types import QuestionType
from .quizzes import Question, Quiz

T = TypeVar("T")

_UINT64_RANGE = 2**64


def seeded_shuffle(items: Sequence[T], seed: str) -> tuple[T, ...]:
    """A permutation of ``items`` determined entirely by ``seed``."""
    shuffled = list(items)
    stream = _uint64_stream(seed)
    for last in range(len(shuffled) - 1, 0, -1):
        chosen = _uniform_below(last + 1, stream)
        shuffled[last], shuffled[chosen] = shuffled[chosen], shuffled[last]
    return tuple(shuffled)


def question_order_for(quiz: Quiz, attempt_id: str) -> tuple[str, ...]:
    """The question ids in the order the attempt presents them.

    Definition order, or a shuffle seeded by the attempt id when the quiz randomizes
    questions. (Adaptive quizzes choose questions one at a time, see ``adaptive``; this
    order then only breaks ties between equally suitable questions.)
    """
    if not quiz.randomize_questions:
        return quiz.question_ids
    return seeded_shuffle(quiz.question_ids, f"{attempt_id}/questions")


def option_order_for(quiz: Quiz, question: Question, attempt_id: str) -> tuple[str, ...]:
    """The option (or item) ids of ``question`` in the order this attempt shows them.

    * multiple_choice, multiple_response and matching (its right-hand choices): the
      author's order, or a seeded shuffle when the quiz randomizes options.
    * ordering: the author's display order when ``options`` were given (shuffled when
      options are randomized); otherwise always a seeded shuffle, which is rotated by
      one when it happens to equal the answer, so the answer is never shown as given.
    * other types have no options: an empty tuple.
    """
    seed = f"{attempt_id}/options/{question.question_id}"
    if question.type is QuestionType.ORDERING and not question.options:
        items = question.ordering_items
        shuffled = seeded_shuffle(items, seed)
        return shuffled[1:] + shuffled[:1] if shuffled == items else shuffled
    if question.type is QuestionType.MATCHING:
        choices = question.matching_choices
        return seeded_shuffle(choices, seed) if quiz.randomize_options else choices
    if quiz.randomize_options:
        return seeded_shuffle(question.option_ids, seed)
    return question.option_ids


def option_orders_for(quiz: Quiz, attempt_id: str) -> dict[str, tuple[str, ...]]:
    """:func:`option_order_for` of every question that has options or items."""
    orders = {
        question.question_id: option_order_for(quiz, question, attempt_id)
        for question in quiz.questions
    }
    return {question_id: order for question_id, order in orders.items() if order}


def _uint64_stream(seed: str) -> Iterator[int]:
    counter = 0
    while True:
        digest = hashlib.sha256(f"{seed}#{counter}".encode()).digest()
        for offset in range(0, len(digest), 8):
            yield int.from_bytes(digest[offset : offset + 8], "big")
        counter += 1


def _uniform_below(bound: int, stream: Iterator[int]) -> int:
    """A uniform integer in ``[0, bound)``; rejection sampling avoids modulo bias."""
    limit = _UINT64_RANGE - _UINT64_RANGE % bound
    while True:
        value = next(stream)
        if value < limit:
            return value % bound
