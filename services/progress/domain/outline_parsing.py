"""Turn the raw JSON of ``PUT /courses/{course_id}/outline`` into an ``Outline``, or say why not.

Every problem is collected with its exact path (``modules[1].items[0].weight``) and
raised together as one ``InvalidInput``, so an author fixes an outline in one round.
Unknown keys are refused: a misspelt criterion silently ignored would change who
completes the course.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from shared.time import parse_iso

from .outline import CertificateCriteria, CompletionCriteria, ItemKind, Module, Outline, OutlineItem
from .values import FieldProblems, is_number

MAX_ID_LENGTH = 128
MAX_TITLE_LENGTH = 200
MAX_WEIGHT = 1000
_KINDS = {kind.value for kind in ItemKind}
_ROOT_KEYS = {"modules", "completion_criteria", "certificate_criteria"}
_MODULE_KEYS = {"module_id", "title", "items"}
_ITEM_KEYS = {"item_id", "kind", "title", "required", "weight", "due_at"}
_COMPLETION_KEYS = {
    "all_required_lessons",
    "all_required_quizzes_passed",
    "all_required_assignments_submitted",
    "assignments_min_grade",
    "min_progress_percentage",
    "requires_final_result",
}
_CERTIFICATE_KEYS = {"requires_completion", "min_average_score"}


def parse_outline(raw: object) -> Outline:
    """Validate a raw outline document and build the ``Outline`` it describes."""
    problems = FieldProblems("outline")
    if not isinstance(raw, Mapping):
        problems.add("outline", "must be an object")
        problems.raise_if_any()
    assert isinstance(raw, Mapping)
    _refuse_unknown_keys(raw, _ROOT_KEYS, "", problems)
    modules = _parse_modules(raw.get("modules"), problems)
    completion = _parse_completion(raw.get("completion_criteria"), problems)
    certificate = _parse_certificate(raw.get("certificate_criteria"), problems)
    problems.raise_if_any()
    return Outline(modules, completion, certificate)


def _parse_modules(raw: object, problems: FieldProblems) -> tuple[Module, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add("modules", "must be a non-empty list of modules")
        return ()
    seen: dict[str, str] = {}
    modules = []
    for m, raw_module in enumerate(raw):
        path = f"modules[{m}]"
        if not isinstance(raw_module, Mapping):
            problems.add(path, "must be an object")
            continue
        _refuse_unknown_keys(raw_module, _MODULE_KEYS, f"{path}.", problems)
        module_id = _unique_id(raw_module.get("module_id"), f"{path}.module_id", seen, problems)
        title = _title(raw_module.get("title"), f"{path}.title", problems)
        items = _parse_items(raw_module.get("items"), f"{path}.items", seen, problems)
        modules.append(Module(module_id, title, items))
    return tuple(modules)


def _parse_items(
    raw: object, path: str, seen: dict[str, str], problems: FieldProblems
) -> tuple[OutlineItem, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add(path, "must be a non-empty list of items")
        return ()
    items = []
    for i, raw_item in enumerate(raw):
        item_path = f"{path}[{i}]"
        if not isinstance(raw_item, Mapping):
            problems.add(item_path, "must be an object")
            continue
        _refuse_unknown_keys(raw_item, _ITEM_KEYS, f"{item_path}.", problems)
        item_id = _unique_id(raw_item.get("item_id"), f"{item_path}.item_id", seen, problems)
        kind = raw_item.get("kind")
        if not isinstance(kind, str) or kind not in _KINDS:
            problems.add(f"{item_path}.kind", "must be one of lesson, quiz, assignment")
            kind = ItemKind.LESSON
        title = _title(raw_item.get("title"), f"{item_path}.title", problems)
        required = raw_item.get("required", True)
        if not isinstance(required, bool):
            problems.add(f"{item_path}.required", "must be true or false")
            required = True
        weight = raw_item.get("weight", 1)
        if not is_number(weight) or not 0 < weight <= MAX_WEIGHT:
            problems.add(
                f"{item_path}.weight", f"must be a number above 0 and at most {MAX_WEIGHT}"
            )
            weight = 1
        due_at = _moment(raw_item.get("due_at"), f"{item_path}.due_at", problems)
        items.append(OutlineItem(item_id, ItemKind(kind), title, required, float(weight), due_at))
    return tuple(items)


def _parse_completion(raw: object, problems: FieldProblems) -> CompletionCriteria:
    path = "completion_criteria"
    defaults = CompletionCriteria()
    if raw is None:
        return defaults
    if not isinstance(raw, Mapping):
        problems.add(path, "must be an object")
        return defaults
    _refuse_unknown_keys(raw, _COMPLETION_KEYS, f"{path}.", problems)
    return CompletionCriteria(
        all_required_lessons=_flag(raw, "all_required_lessons", path, problems),
        all_required_quizzes_passed=_flag(raw, "all_required_quizzes_passed", path, problems),
        all_required_assignments_submitted=_flag(
            raw, "all_required_assignments_submitted", path, problems
        ),
        assignments_min_grade=_percent(raw, "assignments_min_grade", path, problems),
        min_progress_percentage=_whole_percent(raw, "min_progress_percentage", path, problems),
        requires_final_result=_flag(raw, "requires_final_result", path, problems, default=False),
    )


def _parse_certificate(raw: object, problems: FieldProblems) -> CertificateCriteria:
    path = "certificate_criteria"
    if raw is None:
        return CertificateCriteria()
    if not isinstance(raw, Mapping):
        problems.add(path, "must be an object")
        return CertificateCriteria()
    _refuse_unknown_keys(raw, _CERTIFICATE_KEYS, f"{path}.", problems)
    return CertificateCriteria(
        requires_completion=_flag(raw, "requires_completion", path, problems),
        min_average_score=_percent(raw, "min_average_score", path, problems),
    )


def _flag(
    raw: Mapping[str, object],
    name: str,
    path: str,
    problems: FieldProblems,
    *,
    default: bool = True,
) -> bool:
    """The boolean at ``name``; the item criteria's flags default to true when absent."""
    value = raw.get(name, default)
    if not isinstance(value, bool):
        problems.add(f"{path}.{name}", "must be true or false")
        return default
    return value


def _moment(value: object, path: str, problems: FieldProblems) -> datetime | None:
    """An ISO 8601 moment with its offset (stored as written), in UTC; or None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    problems.add(path, "must be an ISO 8601 date and time with its offset, or null")
    return None


def _percent(
    raw: Mapping[str, object], name: str, path: str, problems: FieldProblems
) -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    if not is_number(value) or not 0 <= value <= 100:
        problems.add(f"{path}.{name}", "must be a number from 0 to 100 or null")
        return None
    return float(value)


def _whole_percent(
    raw: Mapping[str, object], name: str, path: str, problems: FieldProblems
) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        problems.add(f"{path}.{name}", "must be a whole number from 0 to 100 or null")
        return None
    return value


def _unique_id(value: object, path: str, seen: dict[str, str], problems: FieldProblems) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        problems.add(path, "must be a non-empty string without surrounding spaces")
        return ""
    if len(value) > MAX_ID_LENGTH:
        problems.add(path, f"must be at most {MAX_ID_LENGTH} characters")
    elif value in seen:
        problems.add(path, f"{value!r} is already used at {seen[value]}; ids must be unique")
    else:
        seen[value] = path
    return value


def _title(value: object, path: str, problems: FieldProblems) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "must be a non-empty string")
        return ""
    if len(value) > MAX_TITLE_LENGTH:
        problems.add(path, f"must be at most {MAX_TITLE_LENGTH} characters")
    return value


def _refuse_unknown_keys(
    raw: Mapping[str, object], known: set[str], prefix: str, problems: FieldProblems
) -> None:
    for key in raw:
        if key not in known:
            problems.add(f"{prefix}{key}", "unknown field")
