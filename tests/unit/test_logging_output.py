"""Logging writes to the standard output of the moment, not the one it was configured with."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
import structlog

from shared.observability import configure_logging

pytestmark = pytest.mark.unit


def test_logs_survive_the_stdout_they_were_configured_with_being_closed(monkeypatch):
    configured_with = io.StringIO()
    monkeypatch.setattr(sys, "stdout", configured_with)
    configure_logging("INFO")
    configured_with.close()
    now = io.StringIO()
    monkeypatch.setattr(sys, "stdout", now)

    structlog.get_logger("probe").warning("from structlog", n=1)
    logging.getLogger("probe.stdlib").warning("from logging")

    lines = [json.loads(line) for line in now.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["from structlog", "from logging"]
    assert lines[0]["n"] == 1
