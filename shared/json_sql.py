"""A page of rows as JSON built by PostgreSQL and sent as it comes.

Serializing a list in Python costs more than reading it: every row becomes a tuple,
then a dict, then JSON again field by field (about 5 ms of CPU for 100 activity
records, JSON columns decoded by the driver only to be encoded again). ``json_page``
makes the database build the page instead, in the statement that reads it:
``json_build_object`` per row, ``json_agg`` over the page in its order, and the next
page's cursor, so the service returns the text unchanged (``page_body``).

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
    "json_object",
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


def iso_text(moment: ColumnElement[Any]) -> ColumnElement[str]:
    """A ``timestamptz`` as the text ``datetime.isoformat()`` gives for it in UTC."""
    utc = sa.func.timezone("UTC", moment)
    return sa.func.replace(sa.func.to_char(utc, _ISO_FORMAT), ".000000+", "+")


def _is_moment(column: ColumnElement[Any]) -> bool:
    type_ = column.type
    return isinstance(type_, sa.DateTime) or isinstance(getattr(type_, "impl", None), sa.DateTime)


def _json_value(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return iso_text(column) if _is_moment(column) else column


def json_object(fields: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
    """One JSON object of ``fields`` (key -> column), in their order; timestamps as ISO text."""
    if len(fields) > 50:
        raise ValueError("json_build_object takes at most 50 fields (100 arguments)")
    parts = [part for key, column in fields.items() for part in (key, _json_value(column))]
    return sa.func.json_build_object(*parts)


def cursor_text(values: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """The cursor ``shared.pagination.encode_cursor`` makes of these values."""
    pieces: list[ColumnElement[Any]] = []
    for position, value in enumerate(values):
        if position:
            pieces.append(sa.literal(","))
        text = sa.cast(sa.func.to_json(_json_value(value)), sa.Text)
        pieces.append(sa.func.coalesce(text, sa.literal("null")))
    array = sa.func.concat(sa.literal("["), *pieces, sa.literal("]"))
    base64 = sa.func.encode(sa.func.convert_to(array, "UTF8"), "base64")
    # base64 -> base64url without padding; PostgreSQL also breaks lines every 76 characters
    return sa.func.translate(base64, "+/=\n", "-_")


def json_page(
    query: sa.Select[Any],
    *,
    order_by: Sequence[ColumnElement[Any]],
    limit: int,
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
    """
    numbered = sa.func.row_number().over(order_by=list(order_by)).label(ROW_NUMBER)
    page = query.add_columns(numbered).order_by(*order_by).limit(limit + 1).subquery("page")
    number = page.c[ROW_NUMBER]
    served = number <= limit
    item = json_object({name: page.c[name] for name in fields})
    items = sa.func.coalesce(
        sa.func.json_agg(postgresql.aggregate_order_by(item, number)).filter(served),
        sa.literal_column("'[]'::json"),
    )
    last_key = sa.func.min(cursor_text([page.c[name] for name in key])).filter(number == limit)
    next_cursor = sa.case((sa.func.count() > limit, last_key), else_=sa.null())
    columns = [sa.cast(items, sa.Text).label("items"), next_cursor.label("next_cursor")]
    columns += [aggregate(page, served).label(name) for name, aggregate in (extra or {}).items()]
    return sa.select(*columns).select_from(page)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def json_items(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """The JSON array ``json_page`` builds of these rows, built in Python (SQLite)."""
    items = [{name: _plain(row[name]) for name in fields} for row in rows]
    return _ENCODER.encode(items).decode()


def page_body(items: str, next_cursor: str | None) -> bytes:
    """A list response, ``{"items": [...], "next_cursor": ...}``, around a JSON array."""
    return b"".join(
        (b'{"items":', items.encode(), b',"next_cursor":', _ENCODER.encode(next_cursor), b"}")
    )
