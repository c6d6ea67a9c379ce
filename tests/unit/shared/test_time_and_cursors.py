"""The pure helpers of shared/: UTC moments in ISO 8601 and the cursor encoding."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from shared.db import Database
from shared.errors import InvalidInput
from shared.pagination import decode_cursor, encode_cursor, paginate
from shared.time import in_utc, parse_iso, to_iso, utcnow

pytestmark = pytest.mark.unit


def test_utcnow_is_aware_and_in_utc():
    before = datetime.now(UTC)
    now = utcnow()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 31, 12, 0, tzinfo=UTC), "2026-01-31T12:00:00Z"),
        # another zone is converted, not relabelled
        (
            datetime(2026, 1, 31, 1, 30, tzinfo=timezone(timedelta(hours=5))),
            "2026-01-30T20:30:00Z",
        ),
        (datetime(2026, 3, 1, 0, 0, 0, 250000, tzinfo=UTC), "2026-03-01T00:00:00.250000Z"),
    ],
)
def test_to_iso_writes_utc_with_z(moment: datetime, text: str):
    assert to_iso(moment) == text


def test_to_iso_refuses_a_naive_moment():
    with pytest.raises(ValueError) as error:
        to_iso(datetime(2026, 1, 31, 12, 0))
    assert str(error.value) == "timestamps must be timezone-aware"


def test_to_iso_is_in_utc_whatever_the_machine_s_zone(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        moment = datetime(2026, 1, 31, 1, 30, tzinfo=timezone(timedelta(hours=5)))
        assert to_iso(moment) == "2026-01-30T20:30:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, 0, tzinfo=UTC)),
        ("2026-01-31T12:00:00+00:00", datetime(2026, 1, 31, 12, 0, tzinfo=UTC)),
        ("2026-01-31T01:30:00+05:00", datetime(2026, 1, 30, 20, 30, tzinfo=UTC)),
        ("2026-01-31T23:30:00-03:00", datetime(2026, 2, 1, 2, 30, tzinfo=UTC)),
    ],
)
def test_parse_iso_returns_the_moment_in_utc(text: str, moment: datetime):
    parsed = parse_iso(text)
    assert parsed == moment
    assert parsed.utcoffset() == timedelta(0)
    assert parsed.tzinfo is UTC


def test_parse_iso_and_to_iso_round_trip():
    moment = datetime(2026, 7, 4, 9, 15, 30, tzinfo=UTC)
    assert parse_iso(to_iso(moment)) == moment


def test_parse_iso_refuses_a_moment_without_zone():
    with pytest.raises(ValueError) as error:
        parse_iso("2026-01-31T12:00:00")
    assert str(error.value) == "timestamp '2026-01-31T12:00:00' has no time zone"


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_parse_iso_refuses_moments_out_of_range_in_utc(text: str):
    with pytest.raises(ValueError) as error:
        parse_iso(text)
    assert str(error.value) == f"timestamp {text!r} is out of range in UTC"
    assert isinstance(error.value.__cause__, OverflowError)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-01-31T12:00:00z"])
def test_parse_iso_refuses_text_that_is_not_iso(text: str):
    with pytest.raises(ValueError):
        parse_iso(text)


def test_a_cursor_is_compact_unpadded_url_safe_json():
    moment = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    cursor = encode_cursor([moment, "a b?/~", 7])
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert raw == b'["2026-01-31T12:00:00+00:00","a b?/~",7]'
    assert json.loads(raw) == [moment.isoformat(), "a b?/~", 7]


def test_a_cursor_keeps_text_as_utf8_as_postgresql_writes_json():
    cursor = encode_cursor(["\u00e9t\u00e9", "tab\t"])
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert raw == '["\u00e9t\u00e9","tab\\t"]'.encode()


@pytest.mark.parametrize(
    "values",
    [[1], [1, 2], ["x"], ["ab"], ["abc"], ["\u00e9t\u00e9", 3], [None, 0.5, True], ["??>>"]],
)
def test_cursors_decode_to_what_was_encoded(values: list[object]):
    assert decode_cursor(encode_cursor(values), len(values)) == values


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90LWpzb24",  # "not-json"
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),  # JSON, not a list
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),  # the wrong size
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
    ],
)
def test_a_cursor_this_api_did_not_issue_is_refused_naming_the_field(cursor: str):
    with pytest.raises(InvalidInput) as error:
        decode_cursor(cursor, 2)
    assert error.value.fields == {"cursor": ["is not a cursor this API issued"]}


metadata = sa.MetaData()
rows = sa.Table(
    "rows",
    metadata,
    sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("id", sa.Integer, primary_key=True),
)


@pytest.fixture
def database(tmp_path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/cursor.db")
    metadata.create_all(database.engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with database.engine.begin() as connection:
        connection.execute(
            rows.insert(),
            [{"at": start + timedelta(hours=i // 2), "id": i} for i in range(7)],
        )
    return database


def pages(database: Database, limit: int) -> list[list[int]]:
    found: list[list[int]] = []
    cursor = None
    with database.unit_of_work() as session:
        while True:
            page = paginate(
                session,
                sa.select(rows.c.id),
                [rows.c.at, rows.c.id],
                limit=limit,
                cursor=cursor,
                key_of=lambda row_id: [
                    datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=row_id // 2),
                    row_id,
                ],
                datetime_positions=[0],
            )
            found.append(list(page.items))
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (3, [[0, 1, 2], [3, 4, 5], [6]]),
        (7, [[0, 1, 2, 3, 4, 5, 6]]),
        (1, [[0], [1], [2], [3], [4], [5], [6]]),
    ],
)
def test_pages_on_a_datetime_key_follow_each_other_exactly(database, limit, expected):
    assert pages(database, limit) == expected


def test_a_full_last_page_has_no_next_cursor(database: Database):
    with database.unit_of_work() as session:
        page = paginate(
            session,
            sa.select(rows.c.id).where(rows.c.id < 4),
            [rows.c.at, rows.c.id],
            limit=4,
            cursor=None,
            key_of=lambda row_id: [row_id],
        )
    assert page.items == [0, 1, 2, 3]
    assert page.next_cursor is None


@pytest.mark.parametrize("first", [None, 5, "yesterday"])
def test_a_cursor_whose_moment_is_not_a_moment_is_refused(database: Database, first: object):
    cursor = encode_cursor([first, 1])
    with database.unit_of_work() as session, pytest.raises(InvalidInput) as error:
        paginate(
            session,
            sa.select(rows.c.id),
            [rows.c.at, rows.c.id],
            limit=2,
            cursor=cursor,
            key_of=lambda row_id: [row_id],
            datetime_positions=[0],
        )
    assert error.value.fields == {"cursor": ["is not a cursor this API issued"]}


def test_in_utc_refuses_a_naive_moment_word_for_word():
    with pytest.raises(ValueError) as error:
        in_utc(datetime(2026, 1, 31, 12, 0))
    assert str(error.value) == "timestamps must be timezone-aware"
    moment = datetime(2026, 1, 31, 1, 30, tzinfo=timezone(timedelta(hours=5)))
    assert in_utc(moment) == moment and in_utc(moment).tzinfo is UTC
