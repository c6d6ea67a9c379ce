"""Read sessions: autocommit on PostgreSQL, and the pooled connection comes back clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.db import Database

pytestmark = pytest.mark.integration

probe = sa.table("probe", sa.column("x", sa.Integer))


@pytest.fixture(params=["postgresql", "sqlite"])
def database(
    request: pytest.FixtureRequest,
    make_postgres_database: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[Database]:
    if request.param == "postgresql":
        url = make_postgres_database("reads")
    else:
        url = f"sqlite:///{tmp_path}/reads.db"
    database = Database(url, **({"pool_size": 2, "max_overflow": 0} if "postgres" in url else {}))
    with database.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
    yield database
    database.dispose()


def count(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM probe")).scalar_one())


def test_a_read_session_commits_each_statement_on_postgresql(database: Database):
    session = database.read_session_factory()
    session.execute(probe.insert().values(x=1))
    if database.dialect == "postgresql":
        assert count(database) == 1, "committed at once: no BEGIN/COMMIT round trips"
    session.rollback()
    session.close()
    if database.dialect == "postgresql":
        assert count(database) == 1
    else:
        assert count(database) == 0, "SQLite reads keep their transaction"


def test_the_pooled_connection_is_transactional_again_after_a_read(database: Database):
    reader = database.read_session_factory()
    reader.execute(sa.select(probe))
    reader.close()
    with database.unit_of_work() as session:
        session.execute(probe.insert().values(x=2))
        session.rollback()
    assert count(database) == 0
