"""Schemathesis against the OpenAPI of every service, in-process (WSGI).

Every operation of the five services gets a bounded number of generated requests
(``FUZZ_EXAMPLES`` each, seeded, so a run is repeatable), sent with the token of each of
two roles (a student and an admin). The run fails on any 5xx and on any response that
does not match its documented schema or content type (problem+json for errors).
``STRIDE_FUZZ_EXAMPLES`` raises the bound for a longer, local run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
)

from shared.config import SERVICES, Settings
from shared.gateway import create_service_app_by_name

pytestmark = pytest.mark.security

FUZZ_EXAMPLES = int(os.environ.get("STRIDE_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
#: Operations with rules OpenAPI 3.0 cannot express, so a schema-valid request may
#: still be refused (422): everything else the schema promises, the service accepts.
INEXPRESSIBLE = {
    "PUT /courses/{course_id}/outline": "ids unique across modules and items",
    "GET /enrollments": "a cursor must be one the API issued",
    "GET /attempts": "a cursor must be one the API issued",
    "POST /enrollments": "time_zone must be a known IANA zone",
    "POST /enrollments/{enrollment_id}/lessons/{lesson_id}/completion": (
        "completion_id is required unless an Idempotency-Key header is sent"
    ),
    "POST /enrollments/{enrollment_id}/assignments": "grade is required when action is grade",
    "POST /enrollment-records": (
        "known time zones, items of the course's outline, moments not in the future"
    ),
    "PUT /quizzes/{quiz_id}": "each question's fields depend on its type",
    "POST /attempts/{attempt_id}/feedback": "the length of the points' keys (question ids)",
}
ROLES = {
    "student": {"sub": "USR-STU-1"},
    "admin": {"sub": "USR-ADM-1"},
}


@pytest.fixture
def service_app(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Any
) -> Iterator[Flask]:
    name = request.param
    app = create_service_app_by_name(
        name,
        {
            "STRIDE_SETTINGS": settings,
            "DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db",
            "TESTING": True,
        },
    )
    yield app
    app.extensions["stride"].database.dispose()


@pytest.mark.parametrize("service_app", SERVICES, indirect=True)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_operation_fails_or_breaks_its_schema(
    service_app: Flask, role: str, token_for: Callable[..., str]
):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", service_app)
    headers = {"Authorization": f"Bearer {token_for(role, ROLES[role]['sub'])}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @seed(20261203)
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()


@pytest.mark.parametrize("service_app", ["progress", "attempts"], indirect=True)
def test_schema_valid_requests_are_accepted(service_app: Flask, token_for: Callable[..., str]):
    """What the OpenAPI allows, the service accepts (or refuses for access or a missing
    record): the rules the schema can express (required fields, bounds, one field in a
    PATCH) are in it."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", service_app)
    headers = {"Authorization": f"Bearer {token_for('admin', 'USR-ADM-1')}"}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in INEXPRESSIBLE:
            continue

        @seed(20261203)
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def accept(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[positive_data_acceptance])

        accept()
        checked += 1
    assert checked >= 5
