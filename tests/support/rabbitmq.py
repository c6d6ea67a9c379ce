"""The RabbitMQ virtual host of this test process.

Tests that bind queues to the shared topic exchange receive every event of those types
that any test publishes. Run one after another, that is harmless; run in parallel
(pytest-xdist), each worker gets a virtual host of its own, so one worker's events never
reach another's queues. Without xdist everything runs in ``/``.

``STRIDE_TEST_VHOST`` names the vhost (xdist workers add their name to it), so that two
test runs on one machine, from two checkouts, stay apart as well.
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import quote

WORKER = os.environ.get("PYTEST_XDIST_WORKER")
NAMED = os.environ.get("STRIDE_TEST_VHOST", "")
VHOST = "-".join(filter(None, [NAMED or "stride-test", WORKER])) if WORKER or NAMED else "/"


def url_in_test_vhost(url: str) -> str:
    """``url`` (which names the server's default vhost) pointed at this process's vhost."""
    base, _slash, _vhost = url.rpartition("/")
    return f"{base}/{quote(VHOST, safe='')}"


def rabbitmqctl(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``rabbitmqctl COMMAND`` in this process's vhost; fails loudly."""
    return subprocess.run(
        ["rabbitmqctl", command, "-p", VHOST, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def ensure_test_vhost(user: str = "guest") -> None:
    """Create this worker's vhost (if it is not ``/``) and let ``user`` use it."""
    if VHOST == "/":
        return
    existing = subprocess.run(
        ["rabbitmqctl", "list_vhosts", "--quiet", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    if VHOST not in existing:
        subprocess.run(
            ["rabbitmqctl", "add_vhost", VHOST],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    rabbitmqctl("set_permissions", user, ".*", ".*", ".*")
