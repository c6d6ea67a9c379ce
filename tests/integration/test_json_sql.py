"""JSON built by PostgreSQL (``shared.json_sql``) is the JSON the Python path writes:
timestamps as ``isoformat()``, cursors as ``encode_cursor``, a page and its cursor."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import UTCDateTime
from shared.json_sql import cursor_text, iso_text, json_items, json_page, page_body
from shared.pagination import decode_cursor, encode_cursor

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
things = sa.Table(
    "things",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("size", sa.Float, nullable=True),
    sa.Column("done", sa.Boolean, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("data", JSONB, nullable=False),
    sa.PrimaryKeyConstraint("owner", "at", "id"),
)
FIELDS = ("id", "owner", "at", "size", "done", "note", "data")

MOMENTS = [
    datetime(2026, 12, 4, 10, 11, 12, tzinfo=UTC),
    datetime(2026, 12, 4, 10, 11, 12, 120000, tzinfo=UTC),
    datetime(2026, 12, 4, 10, 11, 12, 1, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC),
    datetime(2026, 7, 1, 1, 30, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1999, 12, 31, 23, 59, 59, 500000, tzinfo=timezone(timedelta(hours=14))),
]


@pytest.fixture
def engine(make_postgres_database: Callable[[str], str]) -> Iterator[sa.Engine]:
    engine = sa.create_engine(make_postgres_database("jsonsql"))
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def scalar(engine: sa.Engine, expression: sa.ColumnElement[Any]) -> Any:
    with engine.connect() as connection:
        return connection.execute(sa.select(expression)).scalar_one()


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_timestamp_reads_as_isoformat_writes_it_in_utc(engine, moment):
    text = scalar(engine, iso_text(sa.literal(moment, UTCDateTime())))
    assert text == moment.astimezone(UTC).isoformat()


@pytest.mark.parametrize(
    "values",
    [
        [MOMENTS[0], "LOG-1", "USR-STU-1"],
        [MOMENTS[1], "a b?/~", "x" * 120],  # past the 76 characters of a base64 line
        [MOMENTS[2], 'quote " and \\ back', "tab\tnew\nline\x01"],
        [MOMENTS[4], "\u00e9t\u00e9", "\u5b66\u751f-\U0001f600"],
    ],
)
def test_a_cursor_made_in_sql_is_encode_cursors(engine, values):
    literals = [
        sa.literal(value, UTCDateTime() if isinstance(value, datetime) else sa.Text())
        for value in values
    ]
    cursor = scalar(engine, cursor_text(literals))
    assert cursor == encode_cursor([values[0].astimezone(UTC), *values[1:]])
    assert decode_cursor(cursor, 3) == [values[0].astimezone(UTC).isoformat(), *values[1:]]


ROWS = [
    {"owner": "O-1", "at": MOMENTS[n % 4] + timedelta(minutes=n), "id": f"T-{n:02d}",
     "size": [None, 12.5, 0.0, 1440.0][n % 4], "done": [None, True, False][n % 3],
     "note": None if n % 2 else f"n\u00e9 {n} \"quoted\"",
     "data": {"k": [1, 2.5, None], "nested": {"s": "\u00e9"}} if n % 2 else {}}
    for n in range(7)
]  # fmt: skip


def page_of(engine: sa.Engine, limit: int, after: str | None = None) -> tuple[str, str | None]:
    query = sa.select(things).where(things.c.owner == "O-1")
    if after is not None:
        at, id_ = decode_cursor(after, 2)
        query = query.where(
            sa.tuple_(things.c.at, things.c.id)
            < sa.tuple_(sa.literal(datetime.fromisoformat(at), UTCDateTime()), sa.literal(id_))
        )
    statement = json_page(
        query,
        order_by=[things.c.at.desc(), things.c.id.desc()],
        limit=limit,
        fields=FIELDS,
        key=("at", "id"),
        extra={"ids": lambda page, served: sa.func.array_agg(page.c.id).filter(served)},
    )
    with engine.connect() as connection:
        items, next_cursor, ids = connection.execute(statement).one()
    assert isinstance(items, str)
    assert ids is None or len(ids) == len(json.loads(items))
    return items, next_cursor


def test_a_page_is_the_json_the_python_path_writes(engine):
    with engine.begin() as connection:
        connection.execute(things.insert(), ROWS)
    newest_first = sorted(ROWS, key=lambda row: (row["at"], row["id"]), reverse=True)
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(3):
        items, cursor = page_of(engine, 3, cursor)
        expected = newest_first[len(seen) : len(seen) + 3]
        assert json.loads(items) == json.loads(json_items(expected, FIELDS))
        more = len(seen) + 3 < len(ROWS)
        last = expected[-1]
        assert cursor == (encode_cursor([last["at"], last["id"]]) if more else None)
        seen += json.loads(items)
    assert [item["id"] for item in seen] == [row["id"] for row in newest_first]
    assert cursor is None


def test_an_empty_page_is_an_empty_list_and_no_cursor(engine):
    items, cursor = page_of(engine, 5)
    assert (items, cursor) == ("[]", None)
    assert json.loads(page_body(items, cursor)) == {"items": [], "next_cursor": None}


def test_a_page_of_exactly_the_limit_has_no_next_cursor(engine):
    with engine.begin() as connection:
        connection.execute(things.insert(), ROWS[:3])
    items, cursor = page_of(engine, 3)
    assert len(json.loads(items)) == 3
    assert cursor is None
