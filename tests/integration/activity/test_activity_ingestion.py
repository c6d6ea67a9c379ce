"""POST /logs on both backends: one record or a batch, validated whole, idempotent,
stored with minimized URLs and a hashed address, and announced per student."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.activity.activity_api_support import (
    COURSE,
    OTHER_STUDENT,
    STUDENT,
    outbox_events,
    recent,
    record,
    stored,
)

pytestmark = pytest.mark.integration


def test_one_record_is_stored_and_announced(app, student):
    sent = record(details={"duration": 90, "page_url": "https://lms.example/l/1?token=abc#top"})
    response = student.post("/logs", json=sent)
    assert response.status_code == 202, response.json
    assert response.json == {"accepted": 1, "written": 1, "duplicates": 0}
    [row] = stored(app)
    assert (row["id"], row["student_id"], row["activity_category"]) == (
        sent["id"],
        STUDENT,
        "learning",
    )
    assert row["details"] == {"duration": 90, "page_url": "https://lms.example/l/1"}
    assert row["ip_hash"] is not None and len(row["ip_hash"]) == 64
    [event] = outbox_events(app)
    assert (event["type"], event["subject"], event["course_id"]) == (
        "activity.logs.recorded",
        STUDENT,
        COURSE,
    )
    assert [r["id"] for r in event["payload"]["records"]] == [sent["id"]]
    assert "device_info" not in event["payload"]["records"][0]


def test_a_batch_makes_one_event_per_student(app, service):
    records = [record(student_id=STUDENT) for _ in range(3)]
    records += [record(student_id=OTHER_STUDENT) for _ in range(2)]
    response = service.post("/logs", json={"records": records, "time_zone": "Europe/London"})
    assert response.status_code == 202, response.json
    assert response.json["written"] == 5
    events = outbox_events(app)
    assert sorted((e["subject"], len(e["payload"]["records"])) for e in events) == [
        (STUDENT, 3),
        (OTHER_STUDENT, 2),
    ]
    assert {e["payload"]["time_zone"] for e in events} == {"Europe/London"}
    assert all(row["ip_hash"] is None for row in stored(app))  # a player's address is not theirs


def test_a_batch_sent_again_writes_nothing_twice(app, service):
    batch = {"records": [record() for _ in range(4)]}
    assert service.post("/logs", json=batch).json["written"] == 4
    again = service.post("/logs", json=batch)
    assert again.status_code == 202
    assert again.json == {"accepted": 4, "written": 0, "duplicates": 4}
    assert len(stored(app)) == 4
    assert len(outbox_events(app)) == 1


def test_a_batch_with_bad_records_is_refused_whole_naming_each(app, service):
    good = record()
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    batch = {
        "records": [
            good,
            record(activity_type="teleport"),
            record(activity_type="quiz_submit", quiz_id=None),
            record(timestamp=future),
            record(details={"duration": "ninety"}),
            record(details={"score": 101}),
        ]
    }
    response = service.post("/logs", json=batch)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {
        "records[1].activity_type",
        "records[2].quiz_id",
        "records[3].timestamp",
        "records[4].details.duration",
        "records[5].details.score",
    }
    assert "quiz_submit" in errors["records[2].quiz_id"][0]
    assert "future" in errors["records[3].timestamp"][0]
    assert "5 of 6 records are invalid" in response.json["detail"]
    assert stored(app) == [] and outbox_events(app) == []


def test_late_records_land_in_their_month(app, service):
    old = datetime.now(UTC).replace(day=1) - timedelta(days=200)
    response = service.post("/logs", json=record(timestamp=old.isoformat()))
    assert response.status_code == 202, response.json
    assert [row["timestamp"] for row in stored(app)] == [old]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": []}, "records"),
        ({"records": [record()], "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"records": [record()], "extra": 1}, "extra"),
        ([record()], "body"),
        ({**record(), "colour": "red"}, "colour"),
        (record(details={"custom_data": {"blob": "x" * 5000}}), "details.custom_data"),
        (record(timestamp="2026-11-25T08:15:00"), "timestamp"),
        (record(id=""), "id"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(app, service, body, field):
    response = service.post("/logs", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert stored(app) == []


def test_an_oversized_batch_is_refused(app, service):
    records = [record(details=None, device_info=None) for _ in range(1001)]
    response = service.post("/logs", json={"records": records})
    assert response.status_code == 413
    assert "1000" in response.json["detail"]
    assert stored(app) == []


def test_a_batch_of_a_thousand_is_taken(app, service):
    records = [record(timestamp=recent(n / 10)) for n in range(1000)]
    response = service.post("/logs", json={"records": records})
    assert response.status_code == 202, response.json
    assert len(stored(app)) == 1000


def test_non_json_and_broken_json_are_refused(app, service):
    assert service.post("/logs", data="id=1").status_code == 415
    broken = service.post("/logs", data="{", content_type="application/json")
    assert broken.status_code == 422
    assert "body" in broken.json["errors"]


def test_url_queries_are_kept_only_when_configured(settings_for, tmp_path, token_for):
    from tests.integration.activity.activity_api_support import Caller, make_app

    settings = settings_for(STRIDE_ACTIVITY_KEEP_URL_QUERY="true")
    app = make_app(settings, f"sqlite:///{tmp_path}/keep.db")
    try:
        player = Caller(app.test_client(), token_for("service", "SVC-1"))
        url = "https://lms.example/search?q=fractions"
        assert player.post("/logs", json=record(details={"page_url": url})).status_code == 202
        assert stored(app)[0]["details"]["page_url"] == url
    finally:
        app.extensions["stride"].database.dispose()


def test_a_body_over_the_size_limit_is_refused(app, service):
    records = [record(error_message="e" * 1500) for _ in range(800)]  # about 1.6 MB
    response = service.post("/logs", json={"records": records})
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert stored(app) == []
