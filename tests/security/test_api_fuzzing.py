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
    response_schema_conformance,
)

from shared.config import SERVICES, Settings
from shared.gateway import create_service_app_by_name

pytestmark = pytest.mark.security

FUZZ_EXAMPLES = int(os.environ.get("STRIDE_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
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
