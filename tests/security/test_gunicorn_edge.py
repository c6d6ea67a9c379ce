"""Oversized requests through gunicorn with deploy/gunicorn.conf.py, as the local gateway
and the API containers run: every refusal is problem+json, an oversized token a 401."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.auth import KeyPair
from shared.http import UNAUTHORIZED_DETAIL
from tests.support.gunicorn_server import free_port, start_gunicorn, stop_gunicorn

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(
    scope="module",
    params=[
        "gthread",
        "shared.serving.KeepAliveWorker",
        "shared.serving.ThreadedKeepAliveWorker",
    ],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, jwt_keys: KeyPair
) -> Iterator[int]:
    """gunicorn with each worker class the containers run (docker-compose.yml)."""
    port = free_port()
    var_dir = tmp_path_factory.mktemp("gunicorn-var")
    environment = {
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_JWT_PRIVATE_KEY": jwt_keys.private_pem,
        "STRIDE_JWT_PUBLIC_KEY": jwt_keys.public_pem,
        "STRIDE_LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_WORKER_CLASS": request.param,
    }
    process = start_gunicorn("shared.gateway:create_gateway(['progress'])", port, environment)
    yield port
    stop_gunicorn(process)


def send(
    port: int, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_64_kib_token_is_a_401_problem(server: int):
    status, headers, body = send(
        server, "GET", "/api/progress/enrollments", {"Authorization": "Bearer " + "a" * 65536}
    )
    assert status == 401
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["detail"] == UNAUTHORIZED_DETAIL


@pytest.mark.parametrize(
    ("size", "who"), [(20 * 1024, "the app"), (100 * 1024, "gunicorn")], ids=["20KiB", "100KiB"]
)
def test_an_oversized_header_is_a_431_problem(server: int, size: int, who: str):
    status, headers, body = send(
        server, "GET", "/api/progress/enrollments", {"X-Padding": "a" * size}
    )
    assert status == 431, who
    assert headers["Content-Type"] == "application/problem+json", who
    problem = json.loads(body)
    assert problem["status"] == 431
    assert "aaaa" not in body.decode()  # nothing of the request is echoed


def test_an_oversized_request_line_is_a_414_problem(server: int):
    status, headers, body = send(server, "GET", "/api/progress/" + "a" * 10_000)
    assert status == 414
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 414
    assert "aaaa" not in body.decode()
