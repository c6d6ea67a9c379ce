"""The fixtures of the role tables: each table's module names its service
(``SERVICE_UNDER_TEST``) and its ``ROWS`` (see ``role_table.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from shared.auth import KeyPair
from shared.config import Settings
from tests.security.roles.role_table import app_on_backend, role_table_settings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One case per row of the module's table."""
    if "row" in metafunc.fixturenames:
        rows = metafunc.module.ROWS
        metafunc.parametrize("row", rows, ids=[row.id for row in rows])


@pytest.fixture(scope="module")
def role_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, jwt_keys: KeyPair
) -> Settings:
    service = request.module.SERVICE_UNDER_TEST
    return role_table_settings(tmp_path_factory.mktemp(f"{service}-roles"), jwt_keys)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest,
    role_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,
) -> Iterator[Flask]:
    """One app per backend for the whole table: each row works in a course of its own."""
    yield from app_on_backend(
        request.module.SERVICE_UNDER_TEST,
        request.param,
        role_settings,
        tmp_path_factory,
        postgres_server,
    )
