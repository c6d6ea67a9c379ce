"""A student's notes and bookmarks under an enrollment, through the HTTP API."""

from __future__ import annotations

import pytest

from tests.integration.progress.progress_api_support import (
    complete,
    enroll,
    publish_outline,
    row_counts,
)

pytestmark = pytest.mark.integration

SCRIPT = "<script>alert('x')</script> **bold**"


@pytest.fixture
def enrollment_id(admin) -> str:
    publish_outline(admin)
    return str(enroll(admin)["id"])


def write(student, enrollment_id: str, lesson_id: str, content: str, tags: list) -> dict:
    response = student.post(
        f"/enrollments/{enrollment_id}/notes",
        json={"lesson_id": lesson_id, "content": content, "tags": tags},
    )
    assert response.status_code == 201, response.json
    return dict(response.json)


def test_notes_are_stored_as_written_and_listed_by_lesson_tag_and_text(student, enrollment_id):
    first = write(student, enrollment_id, "LSN-1", SCRIPT, ["  Exam Prep", "#algebra"])
    write(student, enrollment_id, "LSN-2", "Limits approach a value", ["exam-prep"])
    write(student, enrollment_id, "LSN-2", "Épsilon and delta", [])
    assert first["content"] == SCRIPT
    assert first["tags"] == ["exam-prep", "algebra"]
    base = f"/enrollments/{enrollment_id}/notes"
    by_lesson = student.get(f"{base}?lesson_id=LSN-2").json["items"]
    assert [note["lesson_id"] for note in by_lesson] == ["LSN-2", "LSN-2"]
    by_tag = student.get(f"{base}?tag=Exam%20Prep").json["items"]
    assert len(by_tag) == 2
    assert [n["content"] for n in student.get(f"{base}?q=ÉPSILON").json["items"]] == [
        "Épsilon and delta"
    ]
    document = student.get(f"/enrollments/{enrollment_id}").json
    assert document["notes"][0]["id"] == first["id"]
    assert len(document["notes"]) == 3


def test_note_lists_are_paginated(student, enrollment_id):
    for number in range(5):
        write(student, enrollment_id, "LSN-1", f"note {number}", [])
    seen, cursor = [], None
    while True:
        url = f"/enrollments/{enrollment_id}/notes?limit=2" + (
            f"&cursor={cursor}" if cursor else ""
        )
        page = student.get(url).json
        seen += [note["content"] for note in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert sorted(seen) == [f"note {number}" for number in range(5)]
    assert len(seen) == 5


def test_a_note_is_edited_and_deleted(student, enrollment_id):
    note = write(student, enrollment_id, "LSN-1", "draft", ["a"])
    path = f"/enrollments/{enrollment_id}/notes/{note['id']}"
    edited = student.patch(path, json={"content": "final"})
    assert edited.status_code == 200
    assert (edited.json["content"], edited.json["tags"]) == ("final", ["a"])
    assert edited.json["updated_at"] >= edited.json["created_at"]
    assert student.delete(path).status_code == 204
    assert student.get(path).status_code == 404
    assert student.delete(path).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lesson_id": "LSN-404", "content": "x"}, "lesson_id"),
        ({"lesson_id": "QZ-1", "content": "x"}, "lesson_id"),
        ({"lesson_id": "LSN-1", "content": "   "}, "content"),
        ({"lesson_id": "LSN-1", "content": "x" * 20_001}, "content"),
        ({"lesson_id": "LSN-1", "content": "x", "tags": ["no spaces!"]}, "tags[0]"),
        ({"lesson_id": "LSN-1", "content": "x", "tags": "exam"}, "tags"),
    ],
)
def test_bad_notes_name_the_field_and_write_nothing(admin, student, enrollment_id, body, field):
    before = row_counts(admin.client.application)
    response = student.post(f"/enrollments/{enrollment_id}/notes", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert row_counts(admin.client.application) == before


def test_bookmark_positions_are_validated_and_normalized(student, enrollment_id):
    base = f"/enrollments/{enrollment_id}/bookmarks"
    cases = [("video", "VID-1", "5:23", "05:23"), ("lesson", "LSN-1", "1:02:03", "1:02:03"),
             ("lesson", "LSN-2", "page 12", "p. 12"), ("quiz", "QZ-1", None, None)]  # fmt: skip
    for content_type, content_id, position, stored in cases:
        response = student.post(
            base,
            json={"content_type": content_type, "content_id": content_id, "position": position},
        )
        assert response.status_code == 201, response.json
        assert response.json["position"] == stored
    assert len(student.get(f"{base}?content_id=LSN-1").json["items"]) == 1
    assert len(student.get(f"{base}?content_type=lesson").json["items"]) == 2
    assert len(student.get(f"/enrollments/{enrollment_id}").json["bookmarks"]) == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content_type": "video", "content_id": "V", "position": "5:75"}, "position"),
        ({"content_type": "video", "content_id": "V", "position": "p. 3"}, "position"),
        ({"content_type": "lesson", "content_id": "LSN-1", "position": "soon"}, "position"),
        ({"content_type": "lesson", "content_id": "LSN-404"}, "content_id"),
        ({"content_type": "podcast", "content_id": "P"}, "content_type"),
    ],
)
def test_bad_bookmarks_name_the_field_and_write_nothing(admin, student, enrollment_id, body, field):
    before = row_counts(admin.client.application)
    response = student.post(f"/enrollments/{enrollment_id}/bookmarks", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert row_counts(admin.client.application) == before


def test_a_bookmark_is_moved_and_deleted(student, enrollment_id):
    created = student.post(
        f"/enrollments/{enrollment_id}/bookmarks",
        json={"content_type": "video", "content_id": "VID-1", "position": "01:00"},
    ).json
    path = f"/enrollments/{enrollment_id}/bookmarks/{created['id']}"
    moved = student.patch(path, json={"position": "0:02:30", "note": "the proof"})
    assert (moved.json["position"], moved.json["note"]) == ("02:30", "the proof")
    assert student.patch(path, json={"position": "p. 2"}).status_code == 422
    assert student.delete(path).status_code == 204
    assert student.get(path).status_code == 404


def test_an_invalid_tag_filter_names_the_tag_parameter(student, enrollment_id):
    response = student.get(f"/enrollments/{enrollment_id}/notes?tag=no%20way!")
    assert response.status_code == 422
    assert "tag" in response.json["errors"]


def test_the_read_document_is_the_document_a_change_answers(student, enrollment_id):
    """GET reads the enrollment, notes and bookmarks in one statement (PostgreSQL) and a
    change answers the document of the enrollment it loaded: both give the same JSON."""
    base = f"/enrollments/{enrollment_id}"
    write(student, enrollment_id, "LSN-1", "Pythagoras: a² + b² = c²", ["proof"])
    write(student, enrollment_id, "LSN-2", "second", [])
    for position in ("01:00", None):
        created = student.post(
            f"{base}/bookmarks",
            json={"content_type": "video", "content_id": "VID-1", "position": position},
        )
        assert created.status_code == 201, created.json
    assert complete(student, enrollment_id, "LSN-1", "CMP-1", score=87.5).status_code == 201
    changed = student.patch(
        base, json={"notification_preferences": {"reminders": False}, "time_zone": "Europe/Paris"}
    )
    assert changed.status_code == 200, changed.json
    read = student.get(base)
    assert read.status_code == 200
    assert read.json == changed.json
    assert [len(read.json["notes"]), len(read.json["bookmarks"])] == [2, 2]
