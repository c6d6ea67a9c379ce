"""The attempts migrations build exactly the tables of services/attempts/models.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from services.attempts.app import MIGRATIONS
from services.attempts.models import metadata
from shared.migrations import alembic_config, schema_differences, upgrade

pytestmark = pytest.mark.integration


def differences(url: str) -> list[object]:
    return schema_differences("attempts", url, MIGRATIONS, metadata)


def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path):
    assert differences(f"sqlite:///{tmp_path}/attempts.db") == []


def test_migrated_postgresql_schema_matches_the_models(
    make_postgres_database: Callable[[str], str],
):
    assert differences(make_postgres_database("attempts")) == []


def test_downgrade_removes_the_attempts_tables(make_postgres_database: Callable[[str], str]):
    url = make_postgres_database("attempts")
    upgrade("attempts", url, MIGRATIONS)
    command.downgrade(alembic_config("attempts", url, MIGRATIONS), "attempts_0001")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert not {"quizzes", "quiz_versions", "attempts", "attempt_answers"} & tables
    assert {"outbox", "inbox", "audit_log"} <= tables


def test_partial_index_allows_one_open_attempt_per_student_and_quiz(
    make_postgres_database: Callable[[str], str],
):
    url = make_postgres_database("attempts")
    upgrade("attempts", url, MIGRATIONS)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        indexes = {index["name"]: index for index in sa.inspect(connection).get_indexes("attempts")}
    engine.dispose()
    open_index = indexes["uq_attempts_one_open_per_student_quiz"]
    assert open_index["unique"] and open_index["column_names"] == ["student_id", "quiz_id"]
    assert "in_progress" in str(open_index["dialect_options"]["postgresql_where"])
