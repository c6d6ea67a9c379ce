"""Per question type: reading the answer key, options and type-specific settings.

Problems are collected (not raised) under exact field paths such as
``questions[3].answer_key[1]``; ``definitions.parse_quiz_definition`` raises them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from .field_checks import (
    Problems,
    as_list,
    as_number,
    field_path,
    read_bool,
    read_number,
    read_text,
    reject_unknown_keys,
)
from .question_types import (
    AnswerKey,
    EssayKey,
    MatchingKey,
    MultipleChoiceKey,
    MultipleResponseKey,
    NumericKey,
    Option,
    OrderingKey,
    QuestionType,
    ShortTextKey,
    TrueFalseKey,
)
from .text_matching import normalize_text_answer

MAX_ID_LENGTH = 128
MAX_OPTION_TEXT_LENGTH = 2_000
MAX_MODEL_ANSWER_LENGTH = 20_000

_OPTIONS_REQUIRED = frozenset({QuestionType.MULTIPLE_CHOICE, QuestionType.MULTIPLE_RESPONSE})
_OPTIONS_ALLOWED = _OPTIONS_REQUIRED | {QuestionType.MATCHING, QuestionType.ORDERING}

KeyParser = Callable[[Problems, Mapping[str, object], str, tuple[Option, ...]], AnswerKey]


def parse_answer_key(
    problems: Problems, question_type: QuestionType, raw: Mapping[str, object], prefix: str
) -> tuple[AnswerKey, tuple[Option, ...]]:
    """The answer key and options of one raw question of ``question_type``."""
    _reject_settings_unused_by(problems, question_type, raw, prefix)
    options: tuple[Option, ...] = ()
    if question_type in _OPTIONS_ALLOWED:
        options = _parse_options(problems, raw, prefix, required=question_type in _OPTIONS_REQUIRED)
    return _KEY_PARSERS[question_type](problems, raw, prefix, options), options


def _reject_settings_unused_by(
    problems: Problems, question_type: QuestionType, raw: Mapping[str, object], prefix: str
) -> None:
    if raw.get("options") is not None and question_type not in _OPTIONS_ALLOWED:
        problems.add(field_path(prefix, "options"), f"is not used by {question_type} questions")
    if "tolerance" in raw and question_type is not QuestionType.NUMERIC:
        problems.add(field_path(prefix, "tolerance"), "is only used by numeric questions")
    if "case_sensitive" in raw and question_type is not QuestionType.SHORT_TEXT:
        problems.add(field_path(prefix, "case_sensitive"), "is only used by short_text questions")


def _parse_options(
    problems: Problems, raw: Mapping[str, object], prefix: str, *, required: bool
) -> tuple[Option, ...]:
    path = field_path(prefix, "options")
    raw_options = raw.get("options")
    if raw_options is None:
        if required:
            problems.add(path, "is required for this question type")
        return ()
    value = as_list(raw_options)
    if value is None:
        problems.add(path, "must be a list")
        return ()
    if required and len(value) < 2:
        problems.add(path, "must offer at least 2 options")
    options: list[Option] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(value):
        option = _parse_option(problems, item, f"{path}[{index}]")
        if option is None:
            continue
        if option.option_id in first_index:
            id_path = f"{path}[{index}]" + (".id" if isinstance(item, Mapping) else "")
            earlier = first_index[option.option_id]
            problems.add(id_path, f"{option.option_id!r} duplicates the id of {path}[{earlier}]")
            continue
        first_index[option.option_id] = index
        options.append(option)
    return tuple(options)


def _parse_option(problems: Problems, item: object, path: str) -> Option | None:
    if isinstance(item, str):
        if item.strip() and len(item) <= MAX_ID_LENGTH:
            return Option(item, item)
        problems.add(path, f"must be a non-empty string of at most {MAX_ID_LENGTH} characters")
        return None
    if not isinstance(item, Mapping):
        problems.add(path, "must be a string or an object with id and text")
        return None
    reject_unknown_keys(problems, item, frozenset({"id", "text"}), path)
    option_id = read_text(problems, item, "id", path, max_length=MAX_ID_LENGTH)
    text = option_id
    if "text" in item:
        text = read_text(problems, item, "text", path, max_length=MAX_OPTION_TEXT_LENGTH)
    return Option(option_id, text) if option_id else None


def _string_list(problems: Problems, value: object, path: str, *, minimum: int) -> list[str]:
    """A list of unique non-empty strings with at least ``minimum`` items."""
    values = as_list(value)
    if values is None or len(values) < minimum:
        problems.add(path, f"must be a list of at least {minimum} item(s)")
        return []
    items: list[str] = []
    for index, item in enumerate(values):
        if not isinstance(item, str) or not item.strip():
            problems.add(f"{path}[{index}]", "must be a non-empty string")
        elif item in items:
            problems.add(f"{path}[{index}]", f"duplicates {path}[{items.index(item)}]")
        else:
            items.append(item)
    return items


def _check_among_options(
    problems: Problems, path: str, value: str, options: tuple[Option, ...]
) -> None:
    if options and value not in {option.option_id for option in options}:
        problems.add(path, f"{value!r} is not among the options")


def _multiple_choice_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    path = field_path(prefix, "answer_key")
    value = raw.get("answer_key")
    if not isinstance(value, str) or not value:
        problems.add(path, "must be the id of the one correct option")
        return MultipleChoiceKey("")
    _check_among_options(problems, path, value, options)
    return MultipleChoiceKey(value)


def _multiple_response_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    path = field_path(prefix, "answer_key")
    option_ids = _string_list(problems, raw.get("answer_key"), path, minimum=1)
    for index, option_id in enumerate(option_ids):
        _check_among_options(problems, f"{path}[{index}]", option_id, options)
    return MultipleResponseKey(tuple(option_ids))


def _true_false_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    value = raw.get("answer_key")
    if not isinstance(value, bool):
        problems.add(field_path(prefix, "answer_key"), "must be true or false")
        return TrueFalseKey(False)
    return TrueFalseKey(value)


def _numeric_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    value = as_number(raw.get("answer_key"))
    if value is None:
        problems.add(field_path(prefix, "answer_key"), "must be a finite number")
    tolerance = read_number(
        problems, raw, "tolerance", prefix, minimum=0.0, maximum=math.inf, default=0.0
    )
    return NumericKey(value or 0.0, tolerance)


def _short_text_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    path = field_path(prefix, "answer_key")
    case_sensitive = read_bool(problems, raw, "case_sensitive", prefix, default=False)
    value = raw.get("answer_key")
    if isinstance(value, str):
        value = [value]
    accepted = _string_list(problems, value, path, minimum=1)
    for index, answer in enumerate(accepted):
        if not normalize_text_answer(answer, case_sensitive=case_sensitive):
            problems.add(f"{path}[{index}]", "is empty once normalized (only punctuation)")
    return ShortTextKey(tuple(accepted), case_sensitive)


def _matching_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    path = field_path(prefix, "answer_key")
    value = raw.get("answer_key")
    if not isinstance(value, Mapping) or not value:
        problems.add(path, "must map each left item to its right item (at least one pair)")
        return MatchingKey(())
    pairs: list[tuple[str, str]] = []
    for left, right in value.items():
        pair_path = f"{path}.{left}"
        if not isinstance(left, str) or not left.strip():
            problems.add(pair_path, "left item must be a non-empty string")
        elif not isinstance(right, str) or not right.strip():
            problems.add(pair_path, "must be a non-empty string (the matching right item)")
        else:
            _check_among_options(problems, pair_path, right, options)
            pairs.append((left, right))
    return MatchingKey(tuple(pairs))


def _ordering_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    path = field_path(prefix, "answer_key")
    order = _string_list(problems, raw.get("answer_key"), path, minimum=2)
    if options and order and {o.option_id for o in options} != set(order):
        problems.add(field_path(prefix, "options"), "must list exactly the items of answer_key")
    return OrderingKey(tuple(order))


def _essay_key(
    problems: Problems, raw: Mapping[str, object], prefix: str, options: tuple[Option, ...]
) -> AnswerKey:
    value = raw.get("answer_key")
    if value is None:
        return EssayKey(None)
    if not isinstance(value, str) or len(value) > MAX_MODEL_ANSWER_LENGTH:
        problems.add(
            field_path(prefix, "answer_key"),
            f"must be a model answer of at most {MAX_MODEL_ANSWER_LENGTH} characters, or null",
        )
        return EssayKey(None)
    return EssayKey(value)


_KEY_PARSERS: dict[QuestionType, KeyParser] = {
    QuestionType.MULTIPLE_CHOICE: _multiple_choice_key,
    QuestionType.MULTIPLE_RESPONSE: _multiple_response_key,
    QuestionType.TRUE_FALSE: _true_false_key,
    QuestionType.NUMERIC: _numeric_key,
    QuestionType.SHORT_TEXT: _short_text_key,
    QuestionType.MATCHING: _matching_key,
    QuestionType.ORDERING: _ordering_key,
    QuestionType.ESSAY: _essay_key,
}
