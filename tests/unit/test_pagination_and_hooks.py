"""Cursor pagination and after-commit hooks, on an in-memory SQLite database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shared.db import Database, run_after_commit
from shared.errors import InvalidInput
from shared.pagination import decode_cursor, encode_cursor, paginate

pytestmark = pytest.mark.unit

metadata = sa.MetaData()
items = sa.Table("items", metadata, sa.Column("id", sa.Integer, primary_key=True))


@pytest.fixture
def database(tmp_path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/t.db")
    metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(items.insert(), [{"id": i} for i in range(1, 8)])
    return database


def test_pages_cover_every_row_once(database: Database):
    seen, cursor = [], None
    with database.unit_of_work() as session:
        while True:
            page = paginate(
                session,
                sa.select(items.c.id),
                [items.c.id],
                limit=3,
                cursor=cursor,
                key_of=lambda row: [row],
            )
            seen.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == list(range(1, 8))


@pytest.mark.parametrize("cursor", ["%%%", "bm90LWpzb24", encode_cursor([1, 2])])
def test_foreign_cursors_are_refused(cursor: str):
    with pytest.raises(InvalidInput) as error:
        decode_cursor(cursor, 1)
    assert "cursor" in error.value.fields


def test_after_commit_hooks_run_only_on_commit(database: Database):
    ran: list[str] = []
    with database.unit_of_work() as session:
        run_after_commit(session, lambda: ran.append("rolled back"))
        session.execute(items.insert().values(id=100))
        session.rollback()
        run_after_commit(session, lambda: ran.append("committed"))
        session.execute(items.insert().values(id=101))
        session.commit()
    assert ran == ["committed"]


def test_a_savepoint_rollback_keeps_the_outer_hooks(database: Database):
    ran: list[str] = []
    with database.unit_of_work() as session:
        run_after_commit(session, lambda: ran.append("outer"))
        savepoint = session.begin_nested()
        session.execute(items.insert().values(id=200))
        savepoint.rollback()
        session.commit()
    assert ran == ["outer"]


def test_hooks_of_a_rolled_back_savepoint_are_dropped(database: Database):
    ran: list[str] = []
    with database.unit_of_work() as session:
        session.execute(items.insert().values(id=300))
        savepoint = session.begin_nested()
        run_after_commit(session, lambda: ran.append("failed handler"))
        inner = session.begin_nested()
        run_after_commit(session, lambda: ran.append("inner of the failed"))
        inner.commit()
        savepoint.rollback()
        kept = session.begin_nested()
        run_after_commit(session, lambda: ran.append("released"))
        kept.commit()
        assert ran == []  # a released savepoint is not the commit
        session.commit()
        session.execute(items.insert().values(id=301))
        session.commit()  # a second transaction runs nothing again
    assert ran == ["released"]


def test_a_failing_hook_is_not_a_failed_commit(database: Database):
    ran: list[str] = []

    def broken() -> None:
        raise ConnectionError("broker unreachable")

    with database.unit_of_work() as session:
        session.execute(items.insert().values(id=400))
        run_after_commit(session, broken)
        run_after_commit(session, lambda: ran.append("next"))
        session.commit()
    assert ran == ["next"]
    with database.engine.connect() as connection:
        assert connection.execute(sa.select(items.c.id).where(items.c.id == 400)).scalar() == 400
