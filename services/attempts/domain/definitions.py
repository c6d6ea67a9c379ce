"""Turning a raw quiz definition (a JSON object) into a validated :class:`Quiz`."""

from __future__ import annotations

from collections.abc import Mapping

from .answer_key_parsing import MAX_ID_LENGTH, parse_answer_key
from .errors import InvalidQuizDefinition
from .field_checks import (
    Problems,
    as_list,
    field_path,
    read_bool,
    read_int,
    read_number,
    read_optional_int,
    read_optional_text,
    read_text,
    reject_unknown_keys,
)
from .question_types import QuestionType
from .quizzes import DEFAULT_DIFFICULTY, DEFAULT_GRACE_SECONDS, Question, Quiz

MAX_QUESTIONS = 500
MAX_TITLE_LENGTH = 300
MAX_PROMPT_LENGTH = 20_000
MAX_POINTS = 1_000.0
MAX_TIME_LIMIT_MINUTES = 24 * 60.0
MAX_ATTEMPTS_ALLOWED = 1_000
MAX_GRACE_SECONDS = 300
MIN_DIFFICULTY = 1
MAX_DIFFICULTY = 5

QUIZ_FIELDS = frozenset(
    {
        "quiz_id",
        "course_id",
        "lesson_id",
        "title",
        "questions",
        "passing_score",
        "time_limit_minutes",
        "attempts_allowed",
        "randomize_questions",
        "randomize_options",
        "allow_practice",
        "adaptive",
        "allow_review",
        "grace_seconds",
    }
)
QUESTION_FIELDS = frozenset(
    {
        "question_id",
        "type",
        "prompt",
        "points",
        "answer_key",
        "options",
        "tags",
        "difficulty",
        "tolerance",
        "case_sensitive",
    }
)


def parse_quiz_definition(raw: object) -> Quiz:
    """Validate a raw quiz definition and return it as a :class:`Quiz`.

    Every problem is collected and raised at once as :class:`InvalidQuizDefinition`,
    whose ``fields`` maps exact paths (``questions[3].answer_key``,
    ``questions[0].options[2].id``) to messages. Unknown fields are problems too, so a
    misspelt setting is never silently ignored.
    """
    if not isinstance(raw, Mapping):
        raise InvalidQuizDefinition.for_field("quiz", "must be a JSON object")
    problems = Problems()
    reject_unknown_keys(problems, raw, QUIZ_FIELDS, "")
    time_limit: float | None = None
    if raw.get("time_limit_minutes") is not None:
        time_limit = read_number(
            problems,
            raw,
            "time_limit_minutes",
            "",
            minimum=0.0,
            maximum=MAX_TIME_LIMIT_MINUTES,
            above_minimum=True,
        )
    quiz = Quiz(
        quiz_id=read_text(problems, raw, "quiz_id", "", max_length=MAX_ID_LENGTH),
        course_id=read_text(problems, raw, "course_id", "", max_length=MAX_ID_LENGTH),
        lesson_id=read_optional_text(problems, raw, "lesson_id", "", max_length=MAX_ID_LENGTH),
        title=read_text(problems, raw, "title", "", max_length=MAX_TITLE_LENGTH),
        questions=_parse_questions(problems, raw.get("questions")),
        passing_score=read_number(problems, raw, "passing_score", "", minimum=0.0, maximum=100.0),
        time_limit_minutes=time_limit,
        attempts_allowed=read_optional_int(
            problems, raw, "attempts_allowed", "", minimum=1, maximum=MAX_ATTEMPTS_ALLOWED
        ),
        randomize_questions=read_bool(problems, raw, "randomize_questions", "", default=False),
        randomize_options=read_bool(problems, raw, "randomize_options", "", default=False),
        allow_practice=read_bool(problems, raw, "allow_practice", "", default=False),
        adaptive=read_bool(problems, raw, "adaptive", "", default=False),
        allow_review=read_bool(problems, raw, "allow_review", "", default=False),
        grace_seconds=read_int(
            problems,
            raw,
            "grace_seconds",
            "",
            minimum=0,
            maximum=MAX_GRACE_SECONDS,
            default=DEFAULT_GRACE_SECONDS,
        ),
    )
    problems.raise_if_any("quiz definition", InvalidQuizDefinition)
    return quiz


def _parse_questions(problems: Problems, value: object) -> tuple[Question, ...]:
    raw_questions = as_list(value)
    if raw_questions is None:
        problems.add("questions", "is required and must be a list")
        return ()
    if not 1 <= len(raw_questions) <= MAX_QUESTIONS:
        problems.add("questions", f"must hold between 1 and {MAX_QUESTIONS} questions")
    questions: list[Question] = []
    first_index: dict[str, int] = {}
    for index, raw_question in enumerate(raw_questions):
        path = f"questions[{index}]"
        question = _parse_question(problems, raw_question, path)
        if question is None:
            continue
        if question.question_id in first_index:
            earlier = first_index[question.question_id]
            problems.add(
                f"{path}.question_id",
                f"{question.question_id!r} duplicates questions[{earlier}].question_id",
            )
            continue
        first_index[question.question_id] = index
        questions.append(question)
    return tuple(questions)


def _parse_question(problems: Problems, raw: object, path: str) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.add(path, "must be a JSON object")
        return None
    reject_unknown_keys(problems, raw, QUESTION_FIELDS, path)
    question_id = read_text(problems, raw, "question_id", path, max_length=MAX_ID_LENGTH)
    prompt = read_text(problems, raw, "prompt", path, max_length=MAX_PROMPT_LENGTH)
    points = read_number(
        problems, raw, "points", path, minimum=0.0, maximum=MAX_POINTS, above_minimum=True
    )
    tags = _parse_tags(problems, raw.get("tags"), field_path(path, "tags"))
    difficulty = read_int(
        problems,
        raw,
        "difficulty",
        path,
        minimum=MIN_DIFFICULTY,
        maximum=MAX_DIFFICULTY,
        default=DEFAULT_DIFFICULTY,
    )
    question_type = _question_type(raw.get("type"))
    if question_type is None:
        allowed = ", ".join(t.value for t in QuestionType)
        problems.add(field_path(path, "type"), f"must be one of: {allowed}")
        return None
    answer_key, options = parse_answer_key(problems, question_type, raw, path)
    if not question_id:
        return None
    return Question(question_id, prompt, points, answer_key, options, tags, difficulty)


def _question_type(value: object) -> QuestionType | None:
    if isinstance(value, str) and value in {t.value for t in QuestionType}:
        return QuestionType(value)
    return None


def _parse_tags(problems: Problems, value: object, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    raw_tags = as_list(value)
    if raw_tags is None:
        problems.add(path, "must be a list of skill names")
        return ()
    tags: list[str] = []
    for index, tag in enumerate(raw_tags):
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_ID_LENGTH:
            problems.add(f"{path}[{index}]", "must be a non-empty skill name")
        elif tag.strip() not in tags:
            tags.append(tag.strip())
    return tuple(tags)
