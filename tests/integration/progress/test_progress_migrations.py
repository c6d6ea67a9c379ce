"""The progress migrations build exactly the tables of services/progress/models.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.progress.app import MIGRATIONS
from services.progress.models import metadata
from shared.migrations import schema_differences, upgrade

pytestmark = pytest.mark.integration


def differences(url: str) -> list[object]:
    return schema_differences("progress", url, MIGRATIONS, metadata)


def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path):
    assert differences(f"sqlite:///{tmp_path}/progress.db") == []


def test_migrated_postgresql_schema_matches_the_models(
    make_postgres_database: Callable[[str], str],
):
    assert differences(make_postgres_database("progress")) == []


def test_downgrade_removes_the_progress_tables(make_postgres_database: Callable[[str], str]):
    from alembic import command

    from shared.migrations import alembic_config

    url = make_postgres_database("progress")
    upgrade("progress", url, MIGRATIONS)
    command.downgrade(alembic_config("progress", url, MIGRATIONS), "progress_0001")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert "enrollments" not in tables and "notes" not in tables
    assert {"outbox", "inbox", "audit_log"} <= tables


def test_enrollment_pages_keep_room_for_their_updates(
    make_postgres_database: Callable[[str], str],
):
    """fillfactor 80 on PostgreSQL (migration progress_0005): an enrollment's new row
    version can stay on its page (a HOT update, no index entries), and the setting goes
    with a downgrade."""
    from alembic import command

    from shared.migrations import alembic_config

    url = make_postgres_database("progress")
    upgrade("progress", url, MIGRATIONS)
    engine = sa.create_engine(url)
    options = sa.text("SELECT reloptions FROM pg_class WHERE relname = 'enrollments'")
    try:
        with engine.connect() as connection:
            assert connection.execute(options).scalar_one() == ["fillfactor=80"]
        command.downgrade(alembic_config("progress", url, MIGRATIONS), "progress_0004")
        with engine.connect() as connection:
            assert connection.execute(options).scalar_one() is None
    finally:
        engine.dispose()
