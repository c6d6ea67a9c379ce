"""Running one row of a role table: a fresh, uniquely named course (and quiz) per row, so
every role's request is made on its own records in an app shared by the whole table.

A table is a test module that names its service (``SERVICE_UNDER_TEST``) and its
``ROWS``, and imports the three tests at the end of this module; ``conftest.py`` gives
them the module's app (on SQLite and on PostgreSQL) and one case per row.

A row names one endpoint of the app's ``url_map`` (method and rule), how to prepare
the records it needs (as an admin or a teacher of the course would), the request, and
the status every role of ``stride_http.ROLES`` must get.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from shared.auth import KeyPair, mint_token
from shared.config import Settings, load_settings
from tests.support.stride_http import (
    ADMIN,
    OTHER_STUDENT,
    OTHER_TEACHER,
    PARENT,
    ROLES,
    SERVICE,
    STUDENT,
    TEACHER,
    Caller,
    database_of,
    make_app,
    scratch_postgres_database,
)

#: Expected outcome of one role: a status, or a status and how many items a list shows.
Expected = int | tuple[int, int]


@dataclass
class World:
    """The records of one row: a course, a quiz, and callers by role scoped to them."""

    app: Flask
    settings: Settings
    course: str = field(default_factory=lambda: f"CRS-{uuid.uuid4().hex[:12].upper()}")
    other_course: str = field(default_factory=lambda: f"CRS-{uuid.uuid4().hex[:12].upper()}")
    quiz: str = field(default_factory=lambda: f"QZ-{uuid.uuid4().hex[:12].upper()}")
    ids: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str | None:
        claims: dict[str, dict[str, Any]] = {
            "student": {"sub": STUDENT, "role": "student"},
            "other_student": {"sub": OTHER_STUDENT, "role": "student"},
            "parent": {"sub": PARENT, "role": "parent", "students": [STUDENT]},
            "teacher": {"sub": TEACHER, "role": "teacher", "courses": [self.course]},
            "other_teacher": {
                "sub": OTHER_TEACHER,
                "role": "teacher",
                "courses": [self.other_course],
            },
            "admin": {"sub": ADMIN, "role": "admin"},
            "service": {"sub": SERVICE, "role": "service"},
        }
        if role == "none":
            return None
        return mint_token(self.settings, **claims[role])

    def as_(self, role: str) -> Caller:
        return Caller(self.app.test_client(), self.token(role))

    def ok(self, response: TestResponse, *statuses: int) -> dict[str, Any]:
        body = response.get_json(silent=True)
        assert response.status_code in (statuses or (200, 201)), body
        return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class Request:
    path: str
    json: Any = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Row:
    """One endpoint (``method`` and the url_map ``rule``) and what each role gets."""

    method: str
    rule: str
    label: str
    prepare: Callable[[World], Request]
    expected: dict[str, Expected]

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule} {self.label}".strip()


def all_roles(status: Expected, **exceptions: Expected) -> dict[str, Expected]:
    """``status`` for every role but ``exceptions`` (and 401 for no token unless named)."""
    table: dict[str, Expected] = {role: status for role in ROLES}
    table["none"] = 401
    table.update(exceptions)
    return table


#: platform endpoints need no token
PUBLIC = {role: 200 for role in ROLES}

#: the endpoints every service's app serves the same way (``shared/web.py``)
PLATFORM_ROWS = [
    Row("GET", "/healthz", "", lambda w: Request("/healthz"), PUBLIC),
    Row("GET", "/readyz", "", lambda w: Request("/readyz"), PUBLIC),
    Row("GET", "/metrics", "", lambda w: Request("/metrics"), PUBLIC),
    Row("GET", "/openapi.json", "", lambda w: Request("/openapi.json"), PUBLIC),
    Row("GET", "/docs", "", lambda w: Request("/docs"), PUBLIC),
    Row(
        "GET",
        "/docs-assets/<path:filename>",
        "",
        lambda w: Request("/docs-assets/swagger-ui.css"),
        PUBLIC,
    ),
    # Flask's own route; the services ship no static files
    Row("GET", "/static/<path:filename>", "", lambda w: Request("/static/x.css"), all_roles(404)),
]


def check_every_endpoint_has_a_row(app: Flask, rows: list[Row]) -> None:
    """Every endpoint the app serves has a row, and every row an endpoint."""
    served = rules_of(app)
    tabled = {(row.method, row.rule) for row in rows}
    assert served - tabled == set(), "endpoints without a row in the role table"
    assert tabled - served == set(), "rows of endpoints the app does not serve"


def send(world: World, row: Row, role: str) -> TestResponse:
    request = row.prepare(world)
    kwargs: dict[str, Any] = {}
    if request.json is not None:
        kwargs["json"] = request.json
    if request.query is not None:
        kwargs["query_string"] = request.query
    if request.headers is not None:
        kwargs["headers"] = request.headers
    return world.as_(role).request(row.method, request.path, **kwargs)


def outcome(response: TestResponse, expected: Expected) -> Expected:
    """What the response shows, in the form ``expected`` is written in."""
    if isinstance(expected, tuple):
        body = response.get_json(silent=True) or {}
        return (response.status_code, len(body.get("items", [])))
    return response.status_code


def rules_of(app: Flask) -> set[tuple[str, str]]:
    """Every (method, rule) the app serves, HEAD and OPTIONS aside."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def role_table_settings(var_dir: Path, jwt_keys: KeyPair) -> Settings:
    """Settings of a role table's app: embedded defaults under ``var_dir``."""
    return load_settings(
        {
            "STRIDE_VAR_DIR": str(var_dir),
            "STRIDE_JWT_PRIVATE_KEY": jwt_keys.private_pem,
            "STRIDE_JWT_PUBLIC_KEY": jwt_keys.public_pem,
            "STRIDE_LOG_LEVEL": "WARNING",
        }
    )


def app_on_backend(
    service: str,
    backend: str,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,
) -> Iterator[Flask]:
    """One app of ``service`` on ``backend`` (sqlite or postgresql) for a whole table."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(f'{service}-db')}/{service}.db"
        flask_app = make_app(service, settings, url)
        yield flask_app
        database_of(flask_app).dispose()
        return
    with scratch_postgres_database(postgres_server, service) as url:
        flask_app = make_app(service, settings, url)
        yield flask_app
        database_of(flask_app).dispose()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_rules_say(
    app: Flask, role_settings: Settings, row: Row, role: str
) -> None:
    world = World(app, role_settings)
    response = send(world, row, role)
    expected = row.expected[role]
    assert outcome(response, expected) == expected, response.get_json(silent=True)


def test_every_endpoint_has_a_row_and_every_row_an_endpoint(
    app: Flask, request: pytest.FixtureRequest
) -> None:
    check_every_endpoint_has_a_row(app, request.module.ROWS)


def test_every_row_names_every_role(request: pytest.FixtureRequest) -> None:
    for row in request.module.ROWS:
        assert set(row.expected) == set(ROLES), row.id
