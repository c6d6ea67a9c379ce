"""Builders of outlines and student work for the progress domain's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.progress.domain import (
    Outline,
    parse_outline,
)

T0 = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """A UTC time ``minutes`` after the test epoch T0."""
    return T0 + timedelta(minutes=minutes)


def item(
    item_id: str, kind: str = "lesson", *, required: bool = True, weight: float = 1
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "kind": kind,
        "title": f"Title of {item_id}",
        "required": required,
        "weight": weight,
    }


def raw_outline(*modules: list[dict[str, Any]], **criteria: Any) -> dict[str, Any]:
    """A raw outline: each positional argument is one module's list of items."""
    raw: dict[str, Any] = {
        "modules": [
            {"module_id": f"MOD-{m + 1}", "title": f"Module {m + 1}", "items": items}
            for m, items in enumerate(modules)
        ]
    }
    raw.update(criteria)
    return raw


def outline(*modules: list[dict[str, Any]], **criteria: Any) -> Outline:
    return parse_outline(raw_outline(*modules, **criteria))
