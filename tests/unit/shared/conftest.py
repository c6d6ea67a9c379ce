"""Fixtures of the serving layer's unit tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A non-blocking listening socket on a free port, as a worker's own."""
    sock = socket.create_server(("127.0.0.1", 0), backlog=16)
    sock.setblocking(False)
    yield sock
    sock.close()
