"""`stride up` started for a test on a free port, its own var directory and the embedded
defaults (SQLite, the file broker), and JSON requests through its gateway."""

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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.auth import mint_token
from shared.config import SERVICES, Settings, load_settings

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(
    method: str, url: str, token: str | None = None, body: Any = None
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@dataclass
class Platform:
    base: str
    var: Path
    settings: Settings
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return (self.var / "up.log").read_text()[-4000:]

    def token(self, role: str, sub: str, **claims: list[str]) -> str:
        return mint_token(self.settings, sub=sub, role=role, **claims)

    def caller(self, token: str | None) -> Callable[..., tuple[int, dict[str, Any]]]:
        def request(method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
            return call(method, f"{self.base}{path}", token, body)

        return request


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@contextmanager
def running_platform(var: Path, servers: Mapping[str, str] | None = None) -> Iterator[Platform]:
    """`stride up` until the block ends (then Ctrl-C, as a developer would stop it): the
    embedded defaults, or the servers ``servers`` names (``STRIDE_BROKER_URL`` and
    ``STRIDE_<SERVICE>_DATABASE_URL``)."""
    port = free_port()
    environment = {**os.environ, "STRIDE_VAR_DIR": str(var), "STRIDE_GATEWAY_PORT": str(port)}
    for name in list(environment):
        if name.endswith("_DATABASE_URL") or name == "STRIDE_BROKER_URL":
            del environment[name]
    environment.update(servers or {})
    with open(var / "up.log", "w") as log:
        process = subprocess.Popen(
            [str(BIN / "stride"), "up"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        platform = Platform(
            f"http://127.0.0.1:{port}",
            var,
            load_settings({"STRIDE_VAR_DIR": str(var), **(servers or {})}),
            process,
        )

        def healthy() -> bool:
            if process.poll() is not None:
                return True  # exited: stop waiting, the assertion below says so
            try:
                return all(
                    call("GET", f"{platform.base}/api/{s}/healthz")[0] == 200 for s in SERVICES
                )
            except (urllib.error.URLError, ConnectionError, OSError):
                return False

        try:
            assert wait_until(healthy, timeout=120), platform.log()
            assert process.poll() is None, f"`stride up` exited:\n{platform.log()}"
            yield platform
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
