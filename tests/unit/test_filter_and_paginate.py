"""One list endpoint's page: scope, equality filters, a filter on the rows, keyset order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from shared.db import Database, UTCDateTime
from shared.errors import InvalidInput
from shared.pagination import encode_cursor, filter_and_paginate

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Entry(Base):
    __tablename__ = "entries"

    id: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(8))
    kind: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@pytest.fixture
def session(tmp_path) -> Session:
    database = Database(f"sqlite:///{tmp_path}/t.db")
    Base.metadata.create_all(database.engine)
    with database.unit_of_work() as session:
        for number in range(12):
            session.add(
                Entry(
                    id=f"E{number:02}",
                    owner="a" if number % 3 else "b",
                    kind="odd" if number % 2 else "even",
                    # two entries share each moment: the id breaks the tie
                    created_at=T0 + timedelta(minutes=number // 2),
                )
            )
        session.commit()
        yield session


def every_page(session: Session, **options: object) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = filter_and_paginate(
            session, Entry, order_by=("created_at", "id"), limit=2, cursor=cursor, **options
        )
        pages.append([entry.id for entry in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_pages_serve_the_scope_and_filters_in_order_each_row_once(session: Session) -> None:
    pages = every_page(session, where=[Entry.owner == "a"], filters={"kind": "odd", "id": None})
    assert pages == [["E01", "E05"], ["E07", "E11"]]


def test_a_filter_on_the_rows_fills_each_page(session: Session) -> None:
    pages = every_page(session, keep=lambda entry: entry.id.endswith(("3", "4", "8", "9")))
    assert pages == [["E03", "E04"], ["E08", "E09"]]


@pytest.mark.parametrize(
    "cursor",
    ["not-base64!", encode_cursor(["2026-01-01T00:00:00", "E01"]), encode_cursor([5, "E01"])],
)
def test_a_cursor_not_issued_is_refused_naming_the_field(session: Session, cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        filter_and_paginate(session, Entry, order_by=("created_at", "id"), limit=2, cursor=cursor)
    assert "cursor" in raised.value.fields
