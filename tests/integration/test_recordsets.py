"""Rows inserted in one statement (``shared.recordsets.insert_rows``): on PostgreSQL the
rows travel as one JSON parameter, on SQLite as many parameter sets; both keep the same
rows, whatever the conflict rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import UTCDateTime
from shared.recordsets import insert_rows

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
facts = sa.Table(
    "facts",
    metadata,
    sa.Column("owner", sa.String(64), primary_key=True),
    sa.Column("item", sa.String(64), primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("day", sa.Date, nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("count", sa.Integer, nullable=False, default=0),
    sa.Column("done", sa.Boolean, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("data", sa.JSON, nullable=True),
)

T0 = datetime(2026, 12, 4, 10, 11, 12, 345678, tzinfo=UTC)
FAR_EAST = datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=14)))


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request, tmp_path, make_postgres_database: Callable[[str], str]) -> Iterator[Session]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/facts.db"
    else:
        url = make_postgres_database("recordsets")
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def row(owner: str, item: str, at: datetime, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "owner": owner,
        "item": item,
        "at": at,
        "day": None,
        "score": None,
        "count": 0,
        "done": None,
        "note": None,
        "data": None,
    }
    return {**base, **values}


def stored(session: Session) -> list[tuple[Any, ...]]:
    query = sa.select(facts).order_by(facts.c.owner, facts.c.item)
    return [tuple(r) for r in session.execute(query)]


def test_every_kind_of_value_is_stored_as_a_plain_insert_stores_it(session):
    rows = [
        row(
            "O-1",
            "I-1",
            T0,
            day=date(2026, 2, 28),
            score=12.5,
            count=3,
            done=True,
            note='l\'élève "dit" \\ {}',
            data={"nested": [1, 2.5, None, "x"], "flag": False},
        ),
        row("O-1", "I-2", FAR_EAST),
        row("O-2", "I-1", T0, score=0.0, count=-7, done=False, note="", data=[]),
    ]
    insert_rows(session, facts, rows, keys=["owner", "item"])
    by_json = stored(session)
    session.execute(facts.delete())
    session.execute(facts.insert(), rows)
    assert stored(session) == by_json
    assert by_json[1][2] == datetime(1999, 12, 31, 9, 59, 59, 1, tzinfo=UTC)


def test_stored_keys_are_left_alone_unless_told_what_to_set(session):
    insert_rows(session, facts, [row("O-1", "I-1", T0, note="first")], keys=["owner", "item"])
    insert_rows(
        session,
        facts,
        [row("O-1", "I-1", T0, note="second"), row("O-1", "I-2", T0, note="new")],
        keys=["owner", "item"],
    )
    assert [(r[1], r[7]) for r in stored(session)] == [("I-1", "first"), ("I-2", "new")]


def test_a_conflict_sets_what_it_is_told_where_its_condition_holds(session):
    insert_rows(
        session,
        facts,
        [row("O-1", "I-1", T0, count=1), row("O-1", "I-2", T0, count=1)],
        keys=["owner", "item"],
    )
    later = T0 + timedelta(hours=1)
    insert_rows(
        session,
        facts,
        [row("O-1", "I-1", later, count=5), row("O-1", "I-2", T0 - timedelta(hours=1), count=5)],
        keys=["owner", "item"],
        set_=lambda new: {"at": new.at, "count": facts.c.count + new.count},
        where=lambda new: facts.c.at < new.at,
    )
    assert [(r[1], r[2], r[5]) for r in stored(session)] == [("I-1", later, 6), ("I-2", T0, 1)]


def test_no_rows_is_no_statement(session):
    insert_rows(session, facts, [], keys=["owner", "item"])
    assert stored(session) == []


def test_returning_names_the_rows_inserted_or_updated(session):
    insert_rows(session, facts, [row("O-1", "I-1", T0)], keys=["owner", "item"])
    new = insert_rows(
        session,
        facts,
        [row("O-1", "I-1", T0), row("O-1", "I-2", T0), row("O-1", "I-3", T0)],
        returning=facts.c.item,
    )
    assert sorted(new) == ["I-2", "I-3"]
    updated = insert_rows(
        session,
        facts,
        [row("O-1", "I-1", T0, count=2), row("O-1", "I-4", T0)],
        keys=["owner", "item"],
        set_=lambda new: {"count": new.count},
        returning=facts.c.item,
    )
    assert sorted(updated) == ["I-1", "I-4"]


def test_a_plain_insert_refuses_a_stored_key_and_writes_none_of_its_rows(session):
    insert_rows(session, facts, [row("O-1", "I-1", T0)], plain=True)
    session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        insert_rows(session, facts, [row("O-1", "I-2", T0), row("O-1", "I-1", T0)], plain=True)
    session.rollback()
    assert [r[1] for r in stored(session)] == ["I-1"]
