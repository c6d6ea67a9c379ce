"""Many keys or rows in one statement, whatever their number.

On PostgreSQL a batch's keys and rows travel as one JSON parameter (``json_rows``):
the statement's text is then the same for every batch, so neither psycopg nor the
server parses it again, and the server runs one statement instead of one per row
(an ``executemany`` sends, and psycopg answers, one per row: a consumer's batch of
500 facts spent most of its time there). SQLite (embedded mode) gets the plain ``IN``
list and ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
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


def insert_rows(
    session: Session,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str] | None = None,
    set_: Callable[[Any], Mapping[str, Any]] | None = None,
    where: Callable[[Any], Any] | None = None,
    returning: sa.ColumnElement[Any] | None = None,
    plain: bool = False,
) -> list[Any]:
    """Insert ``rows`` (mappings of the same columns) into ``table`` with one statement;
    with ``returning`` (a column), its value in each row inserted or updated.

    Where a row's ``keys`` are stored already (without ``keys``: where a row conflicts
    with any unique key): nothing, or with ``set_`` (a function of ``excluded``, the new
    row) the stored row takes those values, if ``where(excluded)`` holds. With ``set_``
    the rows' keys must be distinct (PostgreSQL refuses to update one row twice in one
    statement); without it, of equal keys the first row stays. On PostgreSQL ``INSERT
    ... SELECT`` from the rows as one JSON parameter, each value converted by the server
    to its column's type; on SQLite one INSERT executed with many parameter sets.
    ``plain``: no ``ON CONFLICT`` clause, so a stored key is an error (``IntegrityError``),
    as with a plain INSERT.
    """
    if not rows:
        return []
    insert: Any
    if is_postgresql(session):
        names = list(rows[0])
        columns = [(name, table.c[name].type) for name in names]
        source = sa.select(json_rows(columns, ([row[name] for name in names] for row in rows)))
        insert = postgresql.insert(table)
        statement = insert.from_select(names, source)
        parameters: list[Mapping[str, Any]] | None = None
    else:
        insert = statement = sqlite.insert(table)
        parameters = list(rows)
    if plain:
        if keys or set_ is not None:
            raise ValueError("a plain insert has no conflict rule")
    elif set_ is None:
        statement = statement.on_conflict_do_nothing(index_elements=keys and list(keys))
    else:
        if not keys:
            raise ValueError("an update on conflict needs the keys that conflict")
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_=dict(set_(insert.excluded)),
            where=where(insert.excluded) if where is not None else None,
        )
    if returning is None:
        session.execute(statement, parameters)
        return []
    return list(session.execute(statement.returning(returning), parameters).scalars())


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
