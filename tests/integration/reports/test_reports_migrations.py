"""The reports migrations build exactly the tables of services/reports/models.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from services.reports.app import MIGRATIONS
from services.reports.models import metadata
from shared.migrations import alembic_config, schema_differences, upgrade

pytestmark = pytest.mark.integration


def differences(url: str) -> list[object]:
    return schema_differences("reports", url, MIGRATIONS, metadata)


def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path):
    assert differences(f"sqlite:///{tmp_path}/reports.db") == []


def test_migrated_postgresql_schema_matches_the_models(
    make_postgres_database: Callable[[str], str],
):
    assert differences(make_postgres_database("reports")) == []


def test_downgrade_removes_the_reports_tables(make_postgres_database: Callable[[str], str]):
    url = make_postgres_database("reports")
    upgrade("reports", url, MIGRATIONS)
    command.downgrade(alembic_config("reports", url, MIGRATIONS), "reports_0001")
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "reports" not in tables and {"outbox", "inbox", "audit_log"} <= tables
