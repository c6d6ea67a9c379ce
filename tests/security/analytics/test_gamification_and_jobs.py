"""Achievements, the opt-in leaderboard that shows a student only their neighbours, and the
admin's recompute job with its progress."""

from __future__ import annotations

import pytest

from services.analytics import usecases
from tests.integration.analytics.analytics_api_support import audit_rows, feed
from tests.unit.analytics.streams import COURSE, STUDENT, at, lesson_completed, submitted

pytestmark = pytest.mark.security

STUDENTS = [f"USR-STU-{n}" for n in range(1, 8)]


@pytest.fixture
def world(app):
    # student n completes n lessons: XP 10 per lesson + achievements
    events = []
    for n, student in enumerate(STUDENTS, start=1):
        events += [lesson_completed(f"LSN-{k}", at(k), student=student) for k in range(n)]
    events.append(submitted("AT-1", "QZ-1", at(1), 100.0))
    feed(app, events)


def test_a_student_sees_their_achievements_and_xp(app, world, caller):
    response = caller("student", STUDENT).get(
        f"/students/{STUDENT}/achievements?course_id={COURSE}"
    )
    assert response.status_code == 200
    assert {a["achievement_id"] for a in response.json["earned"]} == {
        "first-lesson",
        "first-quiz-passed",
        "perfect-score",
    }
    # 1 lesson x 10 + 1 quiz passed x 20 + achievements 10 + 20 + 40
    assert response.json["xp"] == 100
    other = caller("student", STUDENTS[1]).get(
        f"/students/{STUDENT}/achievements?course_id={COURSE}"
    )
    assert other.status_code == 404


def test_the_leaderboard_is_opt_in_and_shows_a_student_only_their_neighbours(app, world, caller):
    for student in STUDENTS:
        assert (
            caller("student", student)
            .put(f"/courses/{COURSE}/leaderboard/members/{student}")
            .status_code
            == 204
        )
    middle = caller("student", "USR-STU-4").get(f"/courses/{COURSE}/leaderboard")
    assert middle.status_code == 200
    # XP: student 1 100 (its quiz), then 7 (80), 6 (70) ... 2 (30): 10 per lesson + 10
    shown = [row["student_id"] for row in middle.json["rows"]]
    assert shown == ["USR-STU-6", "USR-STU-5", "USR-STU-4", "USR-STU-3", "USR-STU-2"]
    assert [row["xp"] for row in middle.json["rows"]] == [70, 60, 50, 40, 30]
    teacher = caller("teacher", "USR-TEA-1", courses=[COURSE]).get(f"/courses/{COURSE}/leaderboard")
    assert len(teacher.json["rows"]) == 7
    # leaving takes a student off the board; a student not on it sees nothing
    leaver = caller("student", "USR-STU-4")
    assert leaver.delete(f"/courses/{COURSE}/leaderboard/members/USR-STU-4").status_code == 204
    assert leaver.get(f"/courses/{COURSE}/leaderboard").status_code == 404
    rows = caller("admin", "USR-ADM-1").get(f"/courses/{COURSE}/leaderboard").json["rows"]
    assert "USR-STU-4" not in {row["student_id"] for row in rows}


@pytest.mark.parametrize(
    ("role", "sub", "claims", "status"),
    [
        ("student", "USR-STU-2", {}, 404),  # another student: as if it did not exist
        ("parent", "USR-PAR-1", {"students": [STUDENT]}, 403),  # parents read only
        ("teacher", "USR-TEA-1", {"courses": [COURSE]}, 403),  # only the student opts in
        ("admin", "USR-ADM-1", {}, 403),
    ],
)
def test_only_the_student_opts_in(app, world, caller, role, sub, claims, status):
    response = caller(role, sub, **claims).put(f"/courses/{COURSE}/leaderboard/members/{STUDENT}")
    assert response.status_code == status
    assert {row.outcome for row in audit_rows(app) if row.actor == sub} == {"denied"}


def test_parents_and_other_teachers_do_not_see_the_leaderboard(app, world, caller):
    parent = caller("parent", "USR-PAR-1", students=[STUDENT])
    assert parent.get(f"/courses/{COURSE}/leaderboard").status_code == 404
    other = caller("teacher", "USR-TEA-2", courses=["CRS-OTHER"])
    assert other.get(f"/courses/{COURSE}/leaderboard").status_code == 404


def test_an_admin_recompute_job_reports_its_progress(app, world, caller):
    admin = caller("admin", "USR-ADM-1")
    response = admin.post("/recompute-jobs", json={"course_id": COURSE})
    assert response.status_code == 202
    job = response.json
    assert (job["status"], job["total"], job["done"]) == ("queued", 7, 0)
    usecases.run_recompute(app.extensions["stride"].database, job["id"], batch=3)
    finished = admin.get(f"/recompute-jobs/{job['id']}").json
    assert (finished["status"], finished["total"], finished["done"]) == ("finished", 7, 7)
    assert finished["finished_at"] is not None
    assert admin.get("/recompute-jobs/nope").status_code == 404


@pytest.mark.parametrize("role", ["teacher", "student", "service"])
def test_only_admins_recompute(app, world, caller, role):
    who = caller(role, "USR-X", courses=[COURSE])
    assert who.post("/recompute-jobs", json={"course_id": COURSE}).status_code == 403
