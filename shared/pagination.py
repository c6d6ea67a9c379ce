"""Cursor (keyset) pagination for every list endpoint.

A cursor is the opaque, URL-safe encoding of the sort key of the last row served; the
next page starts strictly after it, so pages stay stable while rows are inserted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from shared.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
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
    key_of: Any,
    datetime_positions: Sequence[int] = (),
) -> Page:
    """Run ``query`` ordered by ``order_by`` (ascending, unique together) one page at a time.

    ``key_of(row)`` returns the row's sort key in ``order_by`` order.
    """
    if cursor:
        values = decode_cursor(cursor, len(order_by))
        for position in datetime_positions:
            try:
                values[position] = datetime.fromisoformat(values[position])
            except (TypeError, ValueError) as exc:
                raise InvalidInput.for_field("cursor", "is not a cursor this API issued") from exc
        query = query.where(sa.tuple_(*order_by) > sa.tuple_(*[sa.literal(v) for v in values]))
    rows = list(session.execute(query.order_by(*order_by).limit(limit + 1)).scalars())
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(key_of(rows[-1])) if has_more and rows else None
    return Page(rows, next_cursor)
