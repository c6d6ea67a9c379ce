"""JSON columns on PostgreSQL: read back as the values json.loads gives (msgspec decodes)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from shared.db import Database

pytestmark = pytest.mark.integration

VALUES = [
    {"lessons": [{"id": "L1", "score": 87.5, "at": "2026-01-31T12:00:00Z"}], "n": 3},
    ["é", "☃", "\u0000 escaped", 'a"quote', "back\\slash"],
    {"big": 2**70, "small": -(2**63), "tiny": 1e-7, "huge": 1.5e300, "exact": 0.1},
    {"nested": {"deeper": [[], {}, None, True, False]}, "same": 1, "same_too": 1.0},
]


def test_json_columns_read_back_as_json_loads_reads_them(
    make_postgres_database: Callable[[str], str],
):
    database = Database(make_postgres_database("json"))
    table = sa.Table(
        "documents",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.JSON),
    )
    table.metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(table.insert(), [{"id": i, "body": v} for i, v in enumerate(VALUES)])
        read = [row.body for row in connection.execute(sa.select(table).order_by("id"))]
        texts = connection.execute(sa.text("SELECT body::text FROM documents ORDER BY id"))
        expected = [json.loads(text) for (text,) in texts]
    database.dispose()
    assert read == expected == VALUES
    assert [type(value["same_too"]) for value in read[3:]] == [float]
