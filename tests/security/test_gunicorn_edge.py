"""Oversized requests through gunicorn with deploy/gunicorn.conf.py, as the local gateway
and the API containers run: every refusal is problem+json, an oversized token a 401."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.auth import KeyPair
from shared.http import UNAUTHORIZED_DETAIL

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module", params=["gthread", "shared.serving.KeepAliveWorker"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, jwt_keys: KeyPair
) -> Iterator[int]:
    """gunicorn with each worker class the containers run (docker-compose.yml)."""
    port = free_port()
    var_dir = tmp_path_factory.mktemp("gunicorn-var")
    environment = {
        **os.environ,
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_JWT_PRIVATE_KEY": jwt_keys.private_pem,
        "STRIDE_JWT_PUBLIC_KEY": jwt_keys.public_pem,
        "STRIDE_LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_WORKER_CLASS": request.param,
        "GUNICORN_LOG_LEVEL": "warning",
    }
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "shared.gateway:create_gateway(['progress'])",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            status, _headers, _body = send(port, "GET", "/healthz")
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("gunicorn did not answer /healthz within 120 s")
        time.sleep(0.1)  # polling interval while waiting for the server, not a fixed wait
    yield port
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


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
