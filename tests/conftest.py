"""Fixtures shared by every tier: settings per run mode, real servers, test apps.

Integration, end-to-end and chaos tests use the real PostgreSQL and RabbitMQ of the
machine (``scripts/ensure-servers`` starts them). They never skip: an unreachable
server fails the test with a message saying which and how to start it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from kombu import Connection

from shared.auth import KeyPair, development_keys, mint_token
from shared.config import Settings, load_settings
from tests.support.rabbitmq import ensure_test_vhost, url_in_test_vhost

POSTGRES_URL = os.environ.get("STRIDE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("STRIDE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return development_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def settings_for(tmp_path: Path, jwt_keys: KeyPair) -> Callable[..., Settings]:
    """Settings of a test run: embedded defaults under tmp_path, overridable by name."""

    def build(**overrides: str) -> Settings:
        environ = {
            "STRIDE_VAR_DIR": str(tmp_path / "var"),
            "STRIDE_JWT_PRIVATE_KEY": jwt_keys.private_pem,
            "STRIDE_JWT_PUBLIC_KEY": jwt_keys.public_pem,
            "STRIDE_LOG_LEVEL": "WARNING",
            **overrides,
        }
        return load_settings(environ)

    return build


@pytest.fixture
def settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for()


@pytest.fixture
def token_for(settings: Settings) -> Callable[..., str]:
    def mint(role: str, sub: str, **claims: list[str]) -> str:
        return mint_token(settings, sub=sub, role=role, **claims)

    return mint


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is unreachable at {POSTGRES_URL} ({exc}); "
            "run scripts/ensure-servers (make servers)",
            pytrace=False,
        )
    return POSTGRES_URL


@pytest.fixture
def make_postgres_database(postgres_server: str) -> Iterator[Callable[[str], str]]:
    """Creates fresh databases for a test (one per service, as in production)."""
    created: list[str] = []

    def create(service: str) -> str:
        name = f"stride_test_{service}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{postgres_server.replace('postgresql://', 'postgresql+psycopg://')}/{name}"

    yield create
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """The broker of the tests: this process's own vhost (``/`` unless run in parallel)."""
    url = url_in_test_vhost(AMQP_URL)
    try:
        ensure_test_vhost()
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=2, timeout=5)
    except Exception as exc:
        pytest.fail(
            f"RabbitMQ is unreachable at {url} ({exc!r}); "
            "run scripts/ensure-servers (make servers)",
            pytrace=False,
        )
    return url
