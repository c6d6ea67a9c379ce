"""`stride up` (what `make up` runs): the whole platform on one machine, one origin."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.embedded]

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    var = tmp_path_factory.mktemp("platform")
    port = free_port()
    environment = {**os.environ, "STRIDE_VAR_DIR": str(var), "STRIDE_GATEWAY_PORT": str(port)}
    for name in list(environment):
        if name.endswith("_DATABASE_URL") or name == "STRIDE_BROKER_URL":
            del environment[name]
    log = open(var / "up.log", "w")  # noqa: SIM115 - closed in teardown
    process = subprocess.Popen(
        [str(BIN / "stride"), "up"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if all(fetch(f"{base}/api/{s}/healthz")[0] == 200 for s in SERVICES):
                break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    else:
        process.send_signal(signal.SIGINT)
    yield base, {"process": process, "var": str(var)}
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    finally:
        log.close()


def test_every_service_answers_through_the_gateway(platform):
    base, info = platform
    log = Path(info["var"], "up.log").read_text()
    for service in SERVICES:
        assert fetch(f"{base}/api/{service}/healthz") == (
            200,
            {"status": "ok", "service": service},
        ), log[-3000:]
        status, body = fetch(f"{base}/api/{service}/readyz")
        assert status == 200 and {"database", "broker"} <= set(body["checks"])
        assert set(body["checks"].values()) == {"ok"}  # reports also checks its PDF rendering
        status, spec = fetch(f"{base}/api/{service}/openapi.json")
        assert status == 200 and "bearerAuth" in spec["components"]["securitySchemes"]
    assert fetch(f"{base}/elsewhere")[0] == 404


def test_up_prints_the_urls_and_how_to_mint_a_token(platform):
    base, info = platform
    log = Path(info["var"], "up.log").read_text()
    port = base.rsplit(":", 1)[1]
    assert f"http://localhost:{port}" in log
    assert "/docs" in log
    assert "stride token --role" in log


def test_ctrl_c_stops_every_process(platform):
    _base, info = platform
    process: subprocess.Popen = info["process"]
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)  # any process left in the group `stride up` led?
        except ProcessLookupError:
            return
        time.sleep(0.5)
    pytest.fail("processes of `stride up` were still running 30 s after Ctrl-C")
