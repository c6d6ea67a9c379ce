"""`stride migrate` as a new user runs it: a database that does not exist yet is created,
a server that does not answer is one clear line, not a traceback."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from shared.cli import main

pytestmark = pytest.mark.integration


def test_migrate_creates_a_missing_database(monkeypatch, capsys, tmp_path, postgres_server):
    name = f"stride_test_progress_{uuid.uuid4().hex[:10]}"
    url = f"{postgres_server.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("STRIDE_PROGRESS_DATABASE_URL", url)
    try:
        assert main(["migrate", "progress"]) == 0
        assert "progress: database at head" in capsys.readouterr().out
        with psycopg.connect(f"{postgres_server}/{name}") as connection:
            tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables")}
        assert {"outbox", "inbox", "audit_log", "enrollments"} <= tables
    finally:
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrate_against_a_server_that_does_not_answer_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv(
        "STRIDE_ATTEMPTS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/stride_attempts"
    )
    assert main(["migrate", "attempts"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert "STRIDE_ATTEMPTS_DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1" in error
    assert "Traceback" not in error
