"""Concurrent POST /logs joined into one transaction (group commit): each request is
answered with its own exact counts, every record and event is stored once, every request
is audited, and a request that fails its group fails alone."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from services.activity.api import INGEST_WRITER
from services.activity.schemas import decode_record
from services.activity.usecases import Ingestion, IngestResult, IngestWriter, row_of
from shared.audit import AuditEntry, audit_rows
from shared.group_commit import GroupCommit
from tests.integration.activity.activity_api_support import (
    STUDENT,
    make_app,
    outbox_events,
    record,
    stored,
)
from tests.integration.activity.activity_api_support import (
    audit_rows as audit_log,
)
from tests.support.stride_http import SERVICE, Caller

pytestmark = pytest.mark.integration
OLDEST = datetime(2000, 1, 1, tzinfo=UTC)


class HeldWriter:
    """The app's writer with its first group held until ``release``: requests sent
    meanwhile queue up behind it and are written together, as one group."""

    def __init__(self, writer: IngestWriter) -> None:
        self.release = threading.Event()
        self.writer = writer
        self.first = True
        writer.groups = GroupCommit(self.write)

    def write(self, ingestions: Sequence[Ingestion]) -> list[IngestResult]:
        if self.first:
            self.first = False
            assert self.release.wait(20)
        return self.writer.write(ingestions)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def in_one_group(writer: IngestWriter, calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` on a thread each: the first is written alone while the others queue
    up, then the others as one group; the outcome of each (its result or its error)."""
    held = HeldWriter(writer)
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    threads[0].start()
    wait_for(lambda: writer.groups.writing)
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: writer.groups.queued() == len(calls) - 1)
    held.release.set()
    for thread in threads:
        thread.join(30)
    return outcomes


def writer_of(app: Flask) -> IngestWriter:
    writer: IngestWriter = app.extensions[INGEST_WRITER]
    return writer


def test_concurrent_requests_share_a_commit_and_each_gets_its_own_counts(app, token_for):
    students = [f"USR-STU-G{n}" for n in range(12)]
    bodies: list[Any] = [record(student_id=student) for student in students]
    shared_record = record(student_id=students[0])
    bodies.append(shared_record)
    bodies.append({"records": [dict(shared_record), record(student_id=students[0])]})
    bodies.append(dict(bodies[1]))  # a request sent twice, both in the group

    def post(body: Any) -> Callable[[], Any]:
        caller = Caller(app.test_client(), token_for("service", SERVICE))
        return lambda: caller.post("/logs", json=body)

    writer = writer_of(app)
    responses = in_one_group(writer, [post(body) for body in bodies])
    assert (writer.groups.groups, writer.groups.pieces) == (2, len(bodies))

    assert [response.status_code for response in responses] == [202] * len(bodies)
    counts = [response.json for response in responses]
    assert counts[:12] == [{"accepted": 1, "written": 1, "duplicates": 0}] * 12
    # the shared record is written by one of the two requests holding it, a duplicate
    # for the other; the repeated request is a duplicate of the first
    single, batch = ((c["written"], c["duplicates"]) for c in counts[12:14])
    assert (single, batch) in [((1, 0), (1, 1)), ((0, 1), (2, 0))]
    assert counts[14] == {"accepted": 1, "written": 0, "duplicates": 1}
    rows = stored(app)
    assert len(rows) == 14 and len({(row["student_id"], row["id"]) for row in rows}) == 14
    events = outbox_events(app, "activity.logs.recorded")
    announced = Counter(r["id"] for event in events for r in event["payload"]["records"])
    assert announced == Counter({row["id"]: 1 for row in rows})
    # one per request that wrote, for its one student
    assert len(events) == sum(1 for c in counts if c["written"])
    audited = [row for row in audit_log(app) if row.action == "record"]
    assert len(audited) == len(bodies)
    assert {(row.outcome, row.status_code) for row in audited} == {("allowed", 202)}
    assert Counter(row.student_id for row in audited) == Counter(
        [*students, students[0], students[0], students[1]]
    )
    assert len({row.request_id for row in audited}) == len(bodies)


def test_a_group_of_single_records_announces_each_written_record_once(app, token_for):
    """Single records only (one statement on PostgreSQL), one of them sent by two
    requests of the group and one sent before the group."""
    earlier = record(student_id="USR-STU-E")
    service = Caller(app.test_client(), token_for("service", SERVICE))
    assert service.post("/logs", json=earlier).json["written"] == 1
    shared_record = record(student_id="USR-STU-S")
    bodies = [record(student_id=f"USR-STU-H{n}") for n in range(6)]
    bodies += [shared_record, dict(shared_record), dict(earlier)]

    def post(body: Any) -> Callable[[], Any]:
        caller = Caller(app.test_client(), token_for("service", SERVICE))
        return lambda: caller.post("/logs", json=body)

    writer = writer_of(app)
    responses = in_one_group(writer, [post(body) for body in bodies])
    assert (writer.groups.groups, writer.groups.pieces) == (2, len(bodies))
    counts = [(r.status_code, r.json["written"], r.json["duplicates"]) for r in responses]
    assert counts[:6] == [(202, 1, 0)] * 6
    assert sorted(counts[6:8]) == [(202, 0, 1), (202, 1, 0)]
    assert counts[8] == (202, 0, 1)
    rows = stored(app)
    assert len(rows) == 8 and len({(row["student_id"], row["id"]) for row in rows}) == 8
    events = outbox_events(app, "activity.logs.recorded")
    assert Counter(e["subject"] for e in events) == Counter(row["student_id"] for row in rows)
    announced = Counter(r["id"] for event in events for r in event["payload"]["records"])
    assert announced == Counter({row["id"]: 1 for row in rows})
    audited = [row for row in audit_log(app) if row.action == "record"]
    assert len(audited) == 1 + len(bodies)
    assert {(row.outcome, row.status_code) for row in audited} == {("allowed", 202)}


@pytest.fixture
def postgres_app(settings, make_postgres_database) -> Flask:
    flask_app = make_app(settings, make_postgres_database("activity"))
    yield flask_app
    flask_app.extensions["stride"].database.dispose()


def ingestion(*records: dict[str, Any], **row_fields: Any) -> Ingestion:
    now = datetime.now(UTC)
    rows = []
    for sent in records:
        decoded = decode_record(json.dumps(sent).encode(), now=now, oldest=OLDEST)
        row = row_of(decoded, ip_hash=None, keep_url_query=False, recorded_at=now)
        rows.append({**row, **row_fields})
    entries = [
        AuditEntry(SERVICE, "service", row["student_id"], None, "record", "logs", "allowed")
        for row in rows
    ]
    return Ingestion(rows, None, None, audit_rows(entries, status_code=202, request_id=None))


def test_a_request_failing_in_the_database_fails_alone_and_the_others_are_kept(postgres_app):
    writer = writer_of(postgres_app)
    good = [ingestion(record(student_id=f"USR-STU-F{n}")) for n in range(4)]
    # too long for its column: refused by PostgreSQL, not by the validation
    bad = ingestion(record(student_id="USR-STU-BAD"), activity_type="x" * 40)
    pieces = [good[0], good[1], bad, good[2], good[3]]
    calls = [lambda one=one: writer.submit(one) for one in pieces]
    outcomes = in_one_group(writer, calls)

    # the first alone, then the group of four refused whole, then its three good pieces
    # written one by one
    assert (writer.groups.groups, writer.groups.pieces) == (4, 4)
    assert isinstance(outcomes[2], sa.exc.DBAPIError)
    assert "too long" in str(outcomes[2])
    assert [outcomes[n] for n in (0, 1, 3, 4)] == [IngestResult(accepted=1, written=1)] * 4
    assert sorted(row["student_id"] for row in stored(postgres_app)) == sorted(
        f"USR-STU-F{n}" for n in range(4)
    )
    assert sorted(e["subject"] for e in outbox_events(postgres_app)) == sorted(
        f"USR-STU-F{n}" for n in range(4)
    )
    assert "USR-STU-BAD" not in {row.student_id for row in audit_log(postgres_app)}
    # the writer goes on: the next request is written at once
    assert writer.submit(ingestion(record(student_id=STUDENT))) == IngestResult(1, 1)
