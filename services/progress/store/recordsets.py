"""Many keys or rows in one statement, whatever their number.

On PostgreSQL a batch's keys and rows travel as one JSON parameter (``json_rows``):
the statement's text is then the same for every batch, so neither psycopg nor the
server parses it again, and the server runs one statement instead of one per row.
SQLite (embedded mode) gets the plain ``IN`` list and ``executemany``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.selectable import TableValuedAlias

Item = TypeVar("Item")


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def json_rows(
    columns: Sequence[tuple[str, sa.types.TypeEngine[Any]]], rows: Iterable[Sequence[Any]]
) -> TableValuedAlias:
    """Rows as a PostgreSQL table: ``json_to_recordset`` of one JSON parameter.

    The server converts each field to its column's type (timestamps from ISO 8601).
    The rows are encoded by msgspec (moments as RFC 3339 with their offset, the same
    instants ``to_iso`` wrote): a batch's rows carry the enrollments' whole lesson,
    quiz and assignment entries, and json.dumps took 9% of the consumer's CPU.
    """
    names = [name for name, _type in columns]
    document = _ROWS_JSON.encode([dict(zip(names, row, strict=True)) for row in rows]).decode()
    return (
        sa.func.json_to_recordset(sa.cast(sa.bindparam(None, document, type_=sa.Text), sa.JSON))
        .table_valued(*(sa.column(name, type_) for name, type_ in columns))
        .render_derived(with_types=True)
    )


def _refuse(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_ROWS_JSON = msgspec.json.Encoder(enc_hook=_refuse)


def keys_in(
    session: Session,
    columns: Sequence[sa.ColumnElement[Any] | QueryableAttribute[Any]],
    keys: Collection[tuple[str, ...]],
) -> sa.ColumnElement[bool]:
    """``(columns) IN keys``: on PostgreSQL against the keys as one parameter (``json_rows``)."""
    ordered = sorted(keys)
    if not is_postgresql(session):
        return sa.tuple_(*columns).in_(ordered)
    names = [(f"k{index}", sa.Text()) for index in range(len(columns))]
    return sa.tuple_(*columns).in_(sa.select(json_rows(names, ordered)))


def chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
