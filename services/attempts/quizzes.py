"""Publishing quiz definitions and reading back the version an attempt runs on.

Every PUT that changes a definition adds a version; versions are never changed or
deleted, so an attempt is always scored against the definition it started on. A PUT
of the definition already current changes nothing (a retried request is harmless).
A quiz stays in the course it was first published in.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.attempts.domain import (
    QuestionType,
    Quiz,
    option_order_for,
    parse_quiz_definition,
    seeded_shuffle,
)
from services.attempts.models import QuizRecord, QuizVersion
from shared.errors import Conflict, InvalidInput


def publish_quiz(
    session: Session, quiz_id: str, raw: Mapping[str, Any], *, by: str, now: datetime
) -> tuple[QuizRecord, QuizVersion, Quiz]:
    """Validate ``raw`` and make it the current version of ``quiz_id``."""
    if raw.get("quiz_id", quiz_id) != quiz_id:
        raise InvalidInput.for_field("quiz_id", "must match the quiz id of the path")
    definition = {**raw, "quiz_id": quiz_id}
    quiz = parse_quiz_definition(definition)
    record = session.get(QuizRecord, quiz_id, with_for_update=True)
    if record is None:
        record = QuizRecord(
            quiz_id=quiz_id, course_id=quiz.course_id, current_version=0, updated_at=now,
            updated_by=by,
        )  # fmt: skip
        session.add(record)
    elif record.course_id != quiz.course_id:
        raise Conflict(f"quiz {quiz_id} belongs to course {record.course_id}; it cannot move")
    else:
        current = session.get(QuizVersion, (quiz_id, record.current_version))
        if current is not None and current.definition == definition:
            return record, current, quiz
    version = QuizVersion(
        quiz_id=quiz_id,
        version=record.current_version + 1,
        definition=definition,
        published_at=now,
        published_by=by,
    )
    record.current_version = version.version
    record.updated_at, record.updated_by = now, by
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another publication of the same quiz committed first; the client may retry.
        raise Conflict(f"quiz {quiz_id} was published concurrently; send it again") from exc
    return record, version, quiz


def quiz_record(session: Session, quiz_id: str, *, lock: bool = False) -> QuizRecord | None:
    return session.get(QuizRecord, quiz_id, with_for_update=lock or None)


def quiz_version(session: Session, quiz_id: str, version: int) -> tuple[QuizVersion, Quiz]:
    """A stored version and its parsed definition (stored versions were validated)."""
    row = session.get(QuizVersion, (quiz_id, version))
    if row is None:
        raise LookupError(f"quiz {quiz_id} has no version {version}")
    return row, parse_quiz_definition(row.definition)


#: Parsed definitions by (database, quiz, version). A stored version never changes, so
#: a parsed copy stays right for the life of the process; the bound keeps memory small.
_PARSED: OrderedDict[tuple[str, str, int], Quiz] = OrderedDict()
_PARSED_LIMIT = 512


def parsed_quiz(session: Session, quiz_id: str, version: int) -> Quiz:
    """The parsed definition of a stored version, read and parsed once per process."""
    key = (str(session.get_bind().engine.url), quiz_id, version)
    quiz = _PARSED.get(key)
    if quiz is None:
        quiz = quiz_version(session, quiz_id, version)[1]
        _PARSED[key] = quiz
        while len(_PARSED) > _PARSED_LIMIT:
            _PARSED.popitem(last=False)
    return quiz


def quizzes_of_versions(
    session: Session, keys: set[tuple[str, int]]
) -> dict[tuple[str, int], Quiz]:
    """The parsed definitions of several versions at once (for the sweep and listings)."""
    return {key: parsed_quiz(session, *key) for key in sorted(keys)}


def presented_questions(
    quiz: Quiz, seed: str, question_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Questions as a student sees them: no answer key, options in the order ``seed`` gives.

    ``seed`` is the attempt id (the attempt's own seeded order) or the quiz id (a
    preview). Matching questions show their left items and the right-hand choices;
    choices taken from the key itself are always shuffled, so their order never pairs
    them. Ordering questions show their items shuffled, never in the answer's order.
    """
    shown = []
    for question_id in quiz.question_ids if question_ids is None else question_ids:
        question = quiz.question(question_id)
        texts = {option.option_id: option.text for option in question.options}
        order = option_order_for(quiz, question, seed)
        if question.type is QuestionType.MATCHING and not question.options:
            order = seeded_shuffle(order, f"{seed}/choices/{question_id}")
        entry: dict[str, Any] = {
            "question_id": question_id,
            "type": question.type.value,
            "prompt": question.prompt,
            "points": question.points,
            "tags": list(question.tags),
        }
        if not quiz.adaptive:
            # In an adaptive quiz the difficulty of the next question tells whether the
            # last answer was right; its authors read it in the definition.
            entry["difficulty"] = question.difficulty
        if question.type is QuestionType.MATCHING:
            entry["left_items"] = list(question.matching_left_items)
        if order:
            entry["options"] = [{"id": item, "text": texts.get(item, item)} for item in order]
        shown.append(entry)
    return shown
