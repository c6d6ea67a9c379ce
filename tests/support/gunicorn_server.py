"""gunicorn as the API containers run it (``deploy/gunicorn.conf.py``), for tests."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(
    app: str, port: int, environment: dict[str, str], *options: str, ready_path: str = "/healthz"
) -> subprocess.Popen[bytes]:
    """gunicorn serving ``app`` on 127.0.0.1:``port`` with the environment added to this
    one's, once ``GET ready_path`` answers 200 (fails the test if it exits or does not)."""
    full_environment = {**os.environ, "GUNICORN_LOG_LEVEL": "warning", **environment}
    full_environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            *options,
            app,
        ],
        cwd=ROOT,
        env=full_environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not answer {ready_path} within 120 s")
        time.sleep(0.1)  # polling interval while waiting for the server, not a fixed wait


def stop_gunicorn(process: subprocess.Popen[bytes]) -> int:
    """Stop gracefully (SIGTERM, as a container stop does); gunicorn's exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)
