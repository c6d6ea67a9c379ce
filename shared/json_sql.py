"""A page of rows as JSON built by PostgreSQL and sent as it comes.

Serializing a list in Python costs more than reading it: every row becomes a tuple,
then a dict, then JSON again field by field (about 5 ms of CPU for 100 activity
records, JSON columns decoded by the driver only to be encoded again). ``json_page``
makes the database build the page instead, in the statement that reads it: each row's
JSON object (its fields as the columns of a lateral subquery, written as ``row_to_json``
writes a row), ``json_agg`` over the page in its order, and the next page's cursor, so
the service returns the text unchanged (``page_body``).

The formats are those of the Python path, so that a service's embedded (SQLite) mode,
which serializes in Python with ``json_items`` and ``shared.pagination.encode_cursor``,
answers the same JSON:

* timestamps as ``datetime.isoformat()`` writes them in UTC: ``2026-12-04T10:11:12+00:00``,
  with ``.ffffff`` only when the microseconds are not zero;
* the cursor as ``encode_cursor`` writes it: compact JSON of the key, base64url, no padding;
* JSON columns as stored, numbers as numbers, SQL NULL as ``null``.

Whitespace inside stored JSON and the spelling of a whole float (``5`` for ``5.0``) may
differ between the two; the values do not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "ROW_NUMBER",
    "cursor_text",
    "iso_text",
    "json_items",
    "json_page",
    "page_body",
]

#: the label of the page's row numbers (1, 2, ... in the page's order) in ``json_page``
ROW_NUMBER = "stride_row_number"
_ISO_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
_ENCODER = msgspec.json.Encoder()

#: an aggregate over the page's rows, given the page (a subquery) and the condition that
#: keeps the rows served (the extra row that tells whether a next page exists is left out)
Aggregate = Callable[[sa.Subquery, ColumnElement[bool]], ColumnElement[Any]]


def _constant(text: str) -> ColumnElement[str]:
    """A string constant written into the statement (a key, a format), not a parameter:
    the statement reads as it runs, and its execution binds only what varies."""
    return sa.literal_column("'" + text.replace("'", "''") + "'", sa.Text)


def iso_text(moment: ColumnElement[Any]) -> ColumnElement[str]:
    """A ``timestamptz`` as the text ``datetime.isoformat()`` gives for it in UTC."""
    utc = sa.func.timezone(_constant("UTC"), moment)
    return sa.func.replace(
        sa.func.to_char(utc, _constant(_ISO_FORMAT)), _constant(".000000+"), _constant("+")
    )


def _is_moment(column: ColumnElement[Any]) -> bool:
    type_ = column.type
    return isinstance(type_, sa.DateTime) or isinstance(getattr(type_, "impl", None), sa.DateTime)


def _json_value(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return iso_text(column) if _is_moment(column) else column


def cursor_text(values: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """The cursor ``shared.pagination.encode_cursor`` makes of these values."""
    pieces: list[ColumnElement[Any]] = []
    for position, value in enumerate(values):
        if position:
            pieces.append(_constant(","))
        text = sa.cast(sa.func.to_json(_json_value(value)), sa.Text)
        pieces.append(sa.func.coalesce(text, _constant("null")))
    array = sa.func.concat(_constant("["), *pieces, _constant("]"))
    base64 = sa.func.encode(sa.func.convert_to(array, _constant("UTF8")), _constant("base64"))
    # base64 -> base64url without padding; PostgreSQL also breaks lines every 76 characters
    padding_and_newlines = sa.literal_column(r"E'+/=\n'", sa.Text)
    return sa.func.translate(base64, padding_and_newlines, _constant("-_"))


def json_page(
    query: sa.Select[Any],
    *,
    order_by: Sequence[ColumnElement[Any]],
    limit: int | sa.BindParameter[int],
    fields: Sequence[str],
    key: Sequence[str],
    extra: Mapping[str, Aggregate] | None = None,
) -> sa.Select[Any]:
    """One row: the first ``limit`` rows of ``query`` in the order ``order_by`` (unique)
    as a JSON array of objects of ``fields`` (text, ``items``), the cursor of the next page
    from the last one's ``key`` columns (``next_cursor``, NULL on the last page), and each
    of ``extra`` (name -> aggregate over the rows served).

    ``query`` selects the columns named (and may select others); it is read once, in the
    order of ``order_by``, ``limit + 1`` rows at most (an index in that order serves it).
    Given ``limit`` as a bound parameter (``sa.bindparam("limit", type_=sa.Integer)``),
    the statement serves any page size and can be built once and kept: building it costs
    more than running it.
    """
    if isinstance(limit, int):
        limit = sa.literal(limit, sa.Integer)
    one = sa.literal_column("1", sa.Integer)
    numbered = sa.func.row_number().over(order_by=list(order_by)).label(ROW_NUMBER)
    page = query.add_columns(numbered).order_by(*order_by).limit(limit + one).subquery("page")
    number = page.c[ROW_NUMBER]
    served = number <= limit
    # Each item is the whole row of a lateral subquery whose columns are the fields: the
    # row's JSON as row_to_json writes it, a quarter cheaper than json_build_object here.
    fields_of_row = [_json_value(page.c[name]).label(name) for name in fields]
    item = sa.select(*fields_of_row).correlate(page).lateral("item")
    items = sa.func.coalesce(
        sa.func.json_agg(postgresql.aggregate_order_by(item.table_valued(), number)).filter(served),
        sa.literal_column("'[]'::json"),
    )
    last_key = sa.func.min(cursor_text([page.c[name] for name in key])).filter(number == limit)
    next_cursor = sa.case((sa.func.count() > limit, last_key), else_=sa.null())
    columns = [sa.cast(items, sa.Text).label("items"), next_cursor.label("next_cursor")]
    columns += [aggregate(page, served).label(name) for name, aggregate in (extra or {}).items()]
    return sa.select(*columns).select_from(page.join(item, sa.true()))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def json_items(rows: Iterable[Mapping[Any, Any]], fields: Sequence[str]) -> str:
    """The JSON array ``json_page`` builds of these rows, built in Python (SQLite)."""
    items = [{name: _plain(row[name]) for name in fields} for row in rows]
    return _ENCODER.encode(items).decode()


def page_body(items: str, next_cursor: str | None) -> bytes:
    """A list response, ``{"items": [...], "next_cursor": ...}``, around a JSON array."""
    return b"".join(
        (b'{"items":', items.encode(), b',"next_cursor":', _ENCODER.encode(next_cursor), b"}")
    )
