"""The analytics migrations build exactly the tables of services/analytics/models.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from services.analytics.app import MIGRATIONS
from services.analytics.models import metadata
from shared.migrations import alembic_config, schema_differences, upgrade

pytestmark = pytest.mark.integration


def differences(url: str) -> list[object]:
    return schema_differences("analytics", url, MIGRATIONS, metadata)


def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path):
    assert differences(f"sqlite:///{tmp_path}/analytics.db") == []


def test_migrated_postgresql_schema_matches_the_models(
    make_postgres_database: Callable[[str], str],
):
    assert differences(make_postgres_database("analytics")) == []


def test_downgrade_removes_the_analytics_tables(make_postgres_database: Callable[[str], str]):
    url = make_postgres_database("analytics")
    upgrade("analytics", url, MIGRATIONS)
    command.downgrade(alembic_config("analytics", url, MIGRATIONS), "analytics_0001")
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables & set(metadata.tables) == set()
    assert {"outbox", "inbox", "audit_log"} <= tables
