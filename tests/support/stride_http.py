"""Progress and attempts driven only through what they offer to the outside: their HTTP
APIs (``create_app`` and Flask's test client), their event handlers as the consumer
finds them (``shared.cli.registry_of``), and the platform tables of ``shared.db``.

Tests built on this module import no module of a service but ``app`` and ``domain/``,
so a service can reorganize its internals without touching them.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared.auth import mint_token
from shared.cli import registry_of
from shared.config import Settings
from shared.db import Database, audit_table, outbox_table
from shared.events import Envelope

COURSE = "CRS-MATH-1001"
OTHER_COURSE = "CRS-BIO-2001"
STUDENT = "USR-STU-1"
OTHER_STUDENT = "USR-STU-2"
PARENT = "USR-PAR-1"
TEACHER = "USR-TEA-1"
OTHER_TEACHER = "USR-TEA-2"
ADMIN = "USR-ADM-1"
SERVICE = "USR-SVC-LMS"

#: Every kind of caller the access rules distinguish, by the name tests use for it.
ROLES = (
    "student",
    "other_student",
    "parent",
    "teacher",
    "other_teacher",
    "admin",
    "service",
    "none",
)


def make_app(service: str, settings: Settings, database_url: str | None = None) -> Flask:
    """The service's app as ``create_app`` builds it, on ``database_url`` if given."""
    create_app = importlib.import_module(f"services.{service}.app").create_app
    config: dict[str, Any] = {"STRIDE_SETTINGS": settings, "TESTING": True}
    if database_url is not None:
        config["DATABASE_URL"] = database_url
    app: Flask = create_app(config)
    return app


def database_of(app: Flask) -> Database:
    database: Database = app.extensions["stride"].database
    return database


class Caller:
    """A test client acting with one bearer token (or none)."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response: TestResponse = self.client.open(path, method=method, headers=headers, **kwargs)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


def token_of(settings: Settings, role: str) -> str | None:
    """A token for one of ``ROLES`` (None for ``none``)."""
    claims: dict[str, dict[str, Any]] = {
        "student": {"sub": STUDENT, "role": "student"},
        "other_student": {"sub": OTHER_STUDENT, "role": "student"},
        "parent": {"sub": PARENT, "role": "parent", "students": [STUDENT]},
        "teacher": {"sub": TEACHER, "role": "teacher", "courses": [COURSE]},
        "other_teacher": {"sub": OTHER_TEACHER, "role": "teacher", "courses": [OTHER_COURSE]},
        "admin": {"sub": ADMIN, "role": "admin"},
        "service": {"sub": SERVICE, "role": "service"},
    }
    if role == "none":
        return None
    return mint_token(settings, **claims[role])


def caller_of(app: Flask, settings: Settings, role: str) -> Caller:
    return Caller(app.test_client(), token_of(settings, role))


def deliver(app: Flask, service: str, events: Sequence[Envelope]) -> None:
    """Apply ``events`` as the service's consumer does: read back from their JSON wire
    form, given to its registered handler for their type (one batch for a batch
    handler), in one transaction of the service's database."""
    registry = registry_of(service)
    events = [Envelope.from_json(event.to_json()) for event in events]
    event_type = events[0].type
    assert all(event.type == event_type for event in events)
    with database_of(app).unit_of_work() as session:
        batch_handler = registry.batch_handler_for(event_type)
        if batch_handler is not None:
            batch_handler(list(events), session)
        else:
            handler = registry.handler_for(event_type)
            assert handler is not None, f"{service} does not handle {event_type}"
            for event in events:
                handler(event, session)
        session.commit()


def outbox_bodies(app: Flask, event_type: str | None = None) -> list[str]:
    query = sa.select(outbox_table.c.body).order_by(outbox_table.c.created_at)
    if event_type is not None:
        query = query.where(outbox_table.c.event_type == event_type)
    with database_of(app).engine.connect() as connection:
        return [str(body) for body in connection.execute(query).scalars()]


def audit_outcomes(app: Flask) -> list[tuple[str, str, str]]:
    """(role, action, outcome) of every audit row, oldest first."""
    query = sa.select(audit_table.c.role, audit_table.c.action, audit_table.c.outcome).order_by(
        audit_table.c.id
    )
    with database_of(app).engine.connect() as connection:
        return [(row.role, row.action, row.outcome) for row in connection.execute(query)]


@contextmanager
def scratch_postgres_database(server_url: str, service: str) -> Iterator[str]:
    """A uniquely named PostgreSQL database for a module's tests, dropped afterwards."""
    name = f"stride_test_{service}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
