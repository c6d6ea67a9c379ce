"""``custom_fields``: a school's own key-value data on an enrollment, kept small and plain.

Rules (each violation named by its path, ``custom_fields.house.colours[2]``):

* a JSON object whose values are strings, numbers, booleans, null, lists or objects;
* at most 3 levels deep: the top object is level 1, so ``{"a": {"b": {"c": 1}}}`` is
  the deepest accepted;
* at most 50 keys in all, counted over every level; keys of 1-64 characters made of
  ASCII letters, digits, ``_`` and ``-`` (so a path is never ambiguous);
* integers within +/- (2**53 - 1), which every JSON client reads exactly; no NaN or
  infinity;
* at most 8 KiB (8,192 bytes) as compact UTF-8 JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .values import FieldProblems

MAX_BYTES = 8 * 1024
MAX_DEPTH = 3
MAX_KEYS = 50
MAX_KEY_LENGTH = 64
MAX_SAFE_INTEGER = 2**53 - 1
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


def validate_custom_fields(raw: object) -> dict[str, Any]:
    """The custom fields as a plain dict, or InvalidInput naming every offending path."""
    problems = FieldProblems("custom_fields")
    if not isinstance(raw, Mapping):
        problems.add("custom_fields", "must be a JSON object")
        problems.raise_if_any()
    assert isinstance(raw, Mapping)
    key_count = _check(raw, "custom_fields", 1, problems)
    if key_count > MAX_KEYS:
        problems.add("custom_fields", f"must hold at most {MAX_KEYS} keys in all, got {key_count}")
    problems.raise_if_any()
    plain = _plain(raw)
    size = len(json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_BYTES:
        problems.add("custom_fields", f"must be at most {MAX_BYTES:,} bytes as JSON, got {size:,}")
    problems.raise_if_any()
    assert isinstance(plain, dict)
    return plain


def _check(value: object, path: str, depth: int, problems: FieldProblems) -> int:
    """Check ``value`` at ``path``; return how many object keys it holds, at every level."""
    if isinstance(value, Mapping | list) and depth > MAX_DEPTH:
        problems.add(path, f"nests too deep: at most {MAX_DEPTH} levels")
        return 0
    if isinstance(value, Mapping):
        keys = 0
        for key, item in value.items():
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                shown = str(key) if len(str(key)) <= MAX_KEY_LENGTH else f"{str(key)[:20]}..."
                problems.add(
                    f"{path}.{shown}",
                    f"key must be 1-{MAX_KEY_LENGTH} ASCII letters, digits, '_' or '-'",
                )
                continue
            keys += 1 + _check(item, f"{path}.{key}", depth + 1, problems)
        return keys
    if isinstance(value, list):
        return sum(
            _check(item, f"{path}[{i}]", depth + 1, problems) for i, item in enumerate(value)
        )
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return 0
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            problems.add(path, "integer is too large to be read exactly by every client")
        return 0
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.add(path, "must be a finite number")
        return 0
    problems.add(path, f"must be a JSON value, not {type(value).__name__}")
    return 0


def _plain(value: object) -> object:
    """A copy made of dicts and lists only, detached from the caller's objects."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
