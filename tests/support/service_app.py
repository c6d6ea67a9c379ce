"""A service's app on each backend, callers by role, and readers of its platform tables.

The callers and ids are those of ``tests.support.stride_http``.

Every service's test support module builds on these, so that "an app on SQLite and on
PostgreSQL, called with one role's token" is written once::

    app = app_on_each_backend("progress", create_app)

and imports the fixtures ``caller``, ``admin``, ``teacher``, ``student``, ``parent`` and
``service`` from here (pytest finds a fixture in the module that imports it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from shared.config import Settings
from shared.db import audit_table, outbox_table
from tests.support.stride_http import (
    ADMIN,
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    PARENT,
    SERVICE,
    STUDENT,
    TEACHER,
    Caller,
)

__all__ = ["COURSE", "OTHER_COURSE", "OTHER_STUDENT", "STUDENT", "Caller"]

AppFactory = Callable[[dict[str, Any]], Flask]


def make_service_app(create_app: AppFactory, settings: Settings, database_url: str) -> Flask:
    return create_app({"STRIDE_SETTINGS": settings, "DATABASE_URL": database_url, "TESTING": True})


def app_on_each_backend(service: str, create_app: AppFactory) -> Any:
    """A fixture ``app``: the service's app on SQLite (embedded mode), then on the real
    PostgreSQL (a database of its own)."""

    @pytest.fixture(params=["sqlite", "postgresql"])
    def app(request: pytest.FixtureRequest, settings: Settings, tmp_path: Any) -> Iterator[Flask]:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/{service}.db"
        else:
            url = request.getfixturevalue("make_postgres_database")(service)
        flask_app = make_service_app(create_app, settings, url)
        yield flask_app
        flask_app.extensions["stride"].database.dispose()

    return app


@pytest.fixture
def caller(app: Flask, token_for: Callable[..., str]) -> Callable[..., Caller]:
    def build(role: str, sub: str, **claims: list[str]) -> Caller:
        return Caller(app.test_client(), token_for(role, sub, **claims))

    return build


@pytest.fixture
def admin(caller: Callable[..., Caller]) -> Caller:
    return caller("admin", ADMIN)


@pytest.fixture
def teacher(caller: Callable[..., Caller]) -> Caller:
    """The teacher of COURSE."""
    return caller("teacher", TEACHER, courses=[COURSE])


@pytest.fixture
def student(caller: Callable[..., Caller]) -> Caller:
    return caller("student", STUDENT)


@pytest.fixture
def parent(caller: Callable[..., Caller]) -> Caller:
    """STUDENT's parent."""
    return caller("parent", PARENT, students=[STUDENT])


@pytest.fixture
def service(caller: Callable[..., Caller]) -> Caller:
    return caller("service", SERVICE)


def engine_of(app: Flask) -> sa.Engine:
    engine: sa.Engine = app.extensions["stride"].database.engine
    return engine


def outbox_events(app: Flask, event_type: str | None = None) -> list[dict[str, Any]]:
    """The envelopes in the app's outbox, oldest first (of one type when given)."""
    query = sa.select(outbox_table.c.body).order_by(outbox_table.c.created_at, outbox_table.c.id)
    if event_type is not None:
        query = query.where(outbox_table.c.event_type == event_type)
    with engine_of(app).connect() as connection:
        return [json.loads(body) for body in connection.execute(query).scalars()]


def audit_rows(app: Flask) -> list[Any]:
    """The app's audit log, oldest first (rows with attribute access: ``row.outcome``)."""
    with engine_of(app).connect() as connection:
        return list(connection.execute(sa.select(audit_table).order_by(audit_table.c.id)))
