"""Counting what a request makes an app's engine do: the transactions it commits and
the statements it runs through SQLAlchemy (statements on the driver's own cursor, the
hot paths', are not seen here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask

T = TypeVar("T")


def counting(app: Flask, event: str, call: Callable[[], T]) -> tuple[T, int]:
    """What ``call`` returned and how many times the engine's ``event`` fired meanwhile
    (``commit``: transactions committed; ``before_cursor_execute``: statements run
    through SQLAlchemy)."""
    engine = app.extensions["stride"].database.engine
    seen: list[object] = []

    def count(*args: object) -> None:
        seen.append(args)

    sa.event.listen(engine, event, count)
    try:
        response = call()
    finally:
        sa.event.remove(engine, event, count)
    return response, len(seen)


def with_commits(app: Flask, call: Callable[[], T]) -> tuple[T, int]:
    return counting(app, "commit", call)


def sqlalchemy_statements(app: Flask, call: Callable[[], T]) -> tuple[T, int]:
    return counting(app, "before_cursor_execute", call)
