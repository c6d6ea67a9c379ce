"""Cursor (keyset) pagination for every list endpoint.

A cursor is the opaque, URL-safe encoding of the sort key of the last row served; the
next page starts strictly after it, so pages stay stable while rows are inserted.
``filter_and_paginate`` serves a list endpoint of one model: the caller's scope, the
query's equality filters and, where a rule is the domain's (a text search), a filter
applied to the rows themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from shared.errors import InvalidInput
from shared.time import parse_iso

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))


def encode_cursor(values: Sequence[Any]) -> str:
    """Compact JSON of ``values`` (date-times in ISO 8601, text as UTF-8, as PostgreSQL
    writes JSON: ``shared.json_sql.cursor_text`` makes the same cursor in SQL), base64url
    without padding."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued") from exc
    if not isinstance(values, list) or len(values) != size:
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued")
    return values


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def paginate(
    session: Session,
    query: sa.Select[Any],
    order_by: Sequence[sa.ColumnElement[Any]],
    *,
    limit: int,
    cursor: str | None,
    key_of: Callable[[Any], Sequence[Any]],
    datetime_positions: Sequence[int] = (),
    keep: Callable[[Any], bool] | None = None,
) -> Page:
    """Run ``query`` ordered by ``order_by`` (ascending, unique together) one page at a time.

    ``key_of(row)`` returns the row's sort key in ``order_by`` order; the key's values at
    ``datetime_positions`` are timezone-aware moments. With ``keep``, only the rows it
    keeps are served (the rows after the cursor are read until the page is full).
    """
    if cursor:
        values = decode_cursor(cursor, len(order_by))
        for position in datetime_positions:
            values[position] = _moment(values[position])
        query = query.where(sa.tuple_(*order_by) > sa.tuple_(*[sa.literal(v) for v in values]))
    query = query.order_by(*order_by)
    if keep is None:
        rows = list(session.execute(query.limit(limit + 1)).scalars())
    else:
        rows = []
        for row in session.execute(query).scalars():
            if keep(row):
                rows.append(row)
                if len(rows) > limit:
                    break
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(key_of(rows[-1])) if has_more and rows else None
    return Page(rows, next_cursor)


def filter_and_paginate(
    session: Session,
    model: type[Any],
    *,
    where: Sequence[sa.ColumnElement[bool]] = (),
    filters: Mapping[str, Any] | None = None,
    order_by: Sequence[str],
    limit: int,
    cursor: str | None,
    keep: Callable[[Any], bool] | None = None,
) -> Page:
    """A page of ``model``'s rows: within ``where`` (the caller's scope), equal to each of
    ``filters`` that has a value (attribute name -> value; None is no filter), kept by
    ``keep`` if given, in the order of the attributes ``order_by`` (unique together)."""
    conditions = [*where]
    for name, value in (filters or {}).items():
        if value is not None:
            conditions.append(getattr(model, name) == value)
    columns = [getattr(model, name) for name in order_by]
    moments = [position for position, column in enumerate(columns) if _is_moment(column)]
    return paginate(
        session,
        sa.select(model).where(*conditions),
        columns,
        limit=limit,
        cursor=cursor,
        key_of=lambda row: [getattr(row, name) for name in order_by],
        datetime_positions=moments,
        keep=keep,
    )


def _is_moment(column: Any) -> bool:
    type_ = column.type
    return isinstance(type_, sa.DateTime) or isinstance(getattr(type_, "impl", None), sa.DateTime)


def _moment(value: Any) -> datetime:
    try:
        if not isinstance(value, str):
            raise ValueError("not text")
        return parse_iso(value)
    except ValueError as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued") from exc
