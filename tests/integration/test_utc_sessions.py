"""PostgreSQL sessions run in UTC, whatever the server's default zone: moments come back
in ``datetime.UTC`` itself, the same instants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
import pytest

from shared.db import Database

pytestmark = pytest.mark.integration


def test_sessions_are_in_utc_even_when_the_server_default_is_another_zone(
    make_postgres_database: Callable[[str], str],
):
    url = make_postgres_database("zones")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        name = connection.execute("SELECT current_database()").fetchone()
        assert name is not None
        connection.execute(f"ALTER DATABASE \"{name[0]}\" SET timezone TO 'Europe/Paris'")
    with psycopg.connect(plain) as connection:  # a plain connection takes the default
        assert connection.execute("SHOW timezone").fetchone() == ("Europe/Paris",)
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW timezone").scalar() == "UTC"
            moment = connection.exec_driver_sql(
                "SELECT TIMESTAMPTZ '2026-03-29 01:30:00+01'"
            ).scalar()
    finally:
        database.dispose()
    assert moment.tzinfo is UTC
    assert moment == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
