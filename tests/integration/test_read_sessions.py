"""Read sessions: autocommit on PostgreSQL, and the pooled connection comes back clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.db import Database, session_cursor

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


# -- the driver's cursor of a read session (PostgreSQL) --------------------------------------
@pytest.fixture
def postgres(make_postgres_database: Callable[[str], str]) -> Iterator[Database]:
    database = Database(make_postgres_database("reads_driver"), pool_size=2, max_overflow=0)
    with database.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
    yield database
    database.dispose()


def test_a_read_sessions_driver_statements_commit_on_their_own(postgres: Database):
    session = postgres.read_session_factory()
    with session_cursor(session) as cursor:
        cursor.execute("INSERT INTO probe (x) VALUES (1)")
    assert count(postgres) == 1
    session.rollback()
    session.close()
    assert count(postgres) == 1


def test_a_read_session_that_only_runs_driver_statements_opens_no_session_transaction(
    postgres: Database,
):
    session = postgres.read_session_factory()
    with session_cursor(session) as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert not session.in_transaction(), "the driver's connection is the pool's, not the session's"
    assert postgres.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    session.close()
    assert postgres.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_read_session_gives_its_driver_connection_back_transactional(postgres: Database):
    for _ in range(3):  # every pooled connection (pool of 2) has served a read session
        readers = [postgres.read_session_factory() for _ in range(2)]
        for reader in readers:
            with session_cursor(reader) as cursor:
                cursor.execute("SELECT 1")
        for reader in readers:
            reader.close()
    with postgres.unit_of_work() as session:
        session.execute(probe.insert().values(x=2))
        session.rollback()
    assert count(postgres) == 0


def test_a_read_session_keeps_one_driver_connection_for_its_statements(postgres: Database):
    session = postgres.read_session_factory()
    pids = set()
    for _ in range(3):
        with session_cursor(session) as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone())
    session.close()
    assert len(pids) == 1


def test_a_failed_driver_statement_leaves_the_pool_usable(postgres: Database):
    session = postgres.read_session_factory()
    with pytest.raises(sa.exc.DBAPIError), session_cursor(session) as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    with session_cursor(session) as cursor:  # autocommit: nothing to roll back
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
    session.close()
    assert count(postgres) == 0
    assert postgres.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_read_session_over_a_lost_connection_gives_back_no_broken_one(postgres: Database):
    session = postgres.read_session_factory()
    with session_cursor(session) as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with postgres.engine.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(sa.exc.DBAPIError), session_cursor(session) as cursor:
        cursor.execute("SELECT 1")
    session.close()
    for _ in range(2):  # both pooled connections work
        assert count(postgres) == 0


def test_orm_statements_of_a_read_session_still_run_on_the_sessions_connection(
    postgres: Database,
):
    session = postgres.read_session_factory()
    with session_cursor(session) as cursor:
        cursor.execute("INSERT INTO probe (x) VALUES (3)")
    assert session.execute(sa.select(sa.func.count()).select_from(probe)).scalar_one() == 1
    session.close()
    assert postgres.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_read_session_whose_own_statements_ran_first_shares_their_connection(
    postgres: Database,
):
    session = postgres.read_session_factory()
    own = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    with session_cursor(session) as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone() == (own,)
    assert postgres.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    session.close()
    assert postgres.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
