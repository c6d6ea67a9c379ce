"""The activity migrations build exactly the tables of services/activity/models.py, the
log partitioned by month on PostgreSQL with partitions ahead."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.activity import store
from services.activity.app import MIGRATIONS
from services.activity.domain import months_ahead
from services.activity.models import metadata
from shared.migrations import schema_differences, upgrade

pytestmark = pytest.mark.integration


PARTITION = re.compile(r"activity_logs_y\d{4}m\d{2}")


def differences(url: str) -> list[object]:
    """What differs, but the monthly partitions (tables the models do not declare, made
    by the migration and by store.ensure_partitions)."""
    found = schema_differences("activity", url, MIGRATIONS, metadata)
    return [difference for difference in found if not PARTITION.search(repr(difference))]


def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path):
    assert differences(f"sqlite:///{tmp_path}/activity.db") == []


def test_migrated_postgresql_schema_matches_the_models(
    make_postgres_database: Callable[[str], str],
):
    assert differences(make_postgres_database("activity")) == []


def test_the_postgresql_log_is_partitioned_by_month_with_partitions_ahead(
    make_postgres_database: Callable[[str], str],
):
    url = make_postgres_database("activity")
    upgrade("activity", url, MIGRATIONS)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            strategy = connection.execute(
                sa.text(
                    "SELECT partstrat FROM pg_partitioned_table p "
                    "JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = 'activity_logs'"
                )
            ).scalar_one()
            months = store.partition_months(connection)
    finally:
        engine.dispose()
    assert strategy == "r"
    assert set(months_ahead(datetime.now(UTC), 3)) <= set(months)
