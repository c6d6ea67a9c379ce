"""The JSON types of a dumped document, to tell 5 from 5.0 where equality cannot."""

from __future__ import annotations

from typing import Any


def json_types(value: Any) -> Any:
    """``value`` with every leaf replaced by its type's name."""
    if isinstance(value, dict):
        return {key: json_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_types(item) for item in value]
    return type(value).__name__
