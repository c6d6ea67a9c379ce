"""The progress benchmark's data: OULAD 2013 registrations as Stride enrollments.

The 13,529 real registrations of ``../shared/data/oulad-2013/`` (Open University,
presentations 2013B and 2013J) come first; further rows reuse their shapes (the same
course, submissions, scores, days and final result, with new student, attempt and
completion ids and dates moved by a few days) until the requested count is reached.

Mapping (as the data's README suggests):

* module + presentation -> course ``CRS-OU-<module>-<presentation>``; its outline has
  one module per tutor-marked assignment period: study pages (at most
  ``MAX_LESSONS``, in week order) as lessons, the computer-marked
  assessments (CMA) and the exam as quizzes, the tutor-marked ones (TMA) as
  assignments, all required, weighted by the assessment's weight;
* registration -> enrollment (time zone Europe/London, enrolled on its registration
  day); a withdrawal pauses it;
* a CMA or exam submission -> a submitted attempt with its score and day (a quarter
  of them after a weaker first attempt), stored as ``quiz_attempt_facts`` like the
  consumer stores them; a TMA submission -> an assignment submitted and graded a week
  or two later; the data holds few exam scores, so a Pass or Distinction without one
  gets an exam attempt scored in its band (40-100 or 70-100);
* lessons: the VLE's study pages (``oucontent``, then ``subpage`` and ``resource``
  pages); the student completed those up to their last submission, skipping a few
  (all of them for Pass and Distinction);
* activity: one log per lesson and per submission, from which last access, time spent
  and the streak are computed;
* notes and bookmarks on a fifth of the enrollments.

Every nested entry is built with the service's own domain functions and stored with
``services.progress.store.entries``; percentage, position, status and certificate come from
``derive_progress``: the rows are what the service would have written.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.progress.domain import (
    ActivityRecord,
    AssignmentGrading,
    AssignmentSubmission,
    CourseWork,
    Engagement,
    EnrollmentStatus,
    NotificationPreferences,
    Outline,
    derive_progress,
    parse_outline,
    quiz_result_of,
    record_activities,
    record_assignment_change,
    record_lesson_completion,
)
from services.progress.domain.lessons import LessonCompletionReport
from services.progress.domain.quizzes import AttemptState, AttemptSubmitted
from services.progress.models import (
    Bookmark,
    CourseOutline,
    Enrollment,
    Note,
    QuizAttemptFact,
)
from services.progress.store import entries

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "oulad-2013"
MAX_LESSONS = 36
#: the VLE's study pages, preferred in this order when a course has more than MAX_LESSONS
LESSON_TYPES = ("oucontent", "subpage", "resource")
TIME_ZONE = "Europe/London"
PASS_MARK = 40.0  # the Open University's pass mark
PRESENTATION_START = {
    "2013B": datetime(2013, 2, 1, 9, tzinfo=UTC),
    "2013J": datetime(2013, 10, 1, 9, tzinfo=UTC),
}
INSERT_CHUNK = 2_000


@dataclass(frozen=True)
class Assessment:
    assessment_id: str
    kind: str  # TMA, CMA, Exam
    due_day: float | None
    weight: float

    @property
    def item_id(self) -> str:
        prefix = "ASG" if self.kind == "TMA" else "QZ"
        return f"{prefix}-OU-{self.assessment_id}"


@dataclass
class Course:
    course_id: str
    start: datetime
    length_days: int
    assessments: list[Assessment]
    lessons: list[str]  # VLE site ids, in course order
    document: dict[str, Any] = field(default_factory=dict)
    outline: Outline | None = None
    lesson_days: dict[str, float] = field(default_factory=dict)
    quiz_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Registration:
    course_key: tuple[str, str]
    student: str
    registered_day: float
    unregistered_day: float | None
    final_result: str
    age_band: str
    region: str
    submissions: tuple[tuple[str, float, float | None], ...]  # assessment id, day, score


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="") as handle:
        return list(csv.DictReader(handle))


def _number(value: str) -> float | None:
    return float(value) if value.strip() else None


def load_courses() -> dict[tuple[str, str], Course]:
    courses: dict[tuple[str, str], Course] = {}
    for row in _read("courses.csv"):
        key = (row["code_module"], row["code_presentation"])
        courses[key] = Course(
            course_id=f"CRS-OU-{key[0]}-{key[1]}",
            start=PRESENTATION_START[key[1]],
            length_days=int(row["module_presentation_length"]),
            assessments=[],
            lessons=[],
        )
    for row in _read("assessments.csv"):
        courses[(row["code_module"], row["code_presentation"])].assessments.append(
            Assessment(
                row["id_assessment"],
                row["assessment_type"],
                _number(row["date"]),
                float(row["weight"]),
            )
        )
    pages: dict[tuple[str, str], list[tuple[int, float, int]]] = defaultdict(list)
    for row in _read("vle.csv"):
        if row["activity_type"] in LESSON_TYPES:
            week = _number(row["week_from"])
            pages[(row["code_module"], row["code_presentation"])].append(
                (
                    LESSON_TYPES.index(row["activity_type"]),
                    99.0 if week is None else week,
                    int(row["id_site"]),
                )
            )
    for key, course in courses.items():
        chosen = sorted(pages[key])[:MAX_LESSONS]
        course.lessons = [str(site) for _kind, _week, site in sorted(chosen, key=lambda p: p[1:])]
        build_outline(course)
    return courses


def build_outline(course: Course) -> None:
    """One module per TMA period; lessons spread evenly, assessments by their due day."""
    length = course.length_days
    dated = sorted(course.assessments, key=lambda a: length if a.due_day is None else a.due_day)
    tmas = [a for a in dated if a.kind == "TMA"] or dated[:1]
    boundaries = [length if a.due_day is None else a.due_day for a in tmas]
    boundaries[-1] = max(boundaries[-1], length)
    module_items: list[list[dict[str, Any]]] = [[] for _ in boundaries]

    def module_of(day: float) -> int:
        for index, limit in enumerate(boundaries):
            if day <= limit:
                return index
        return len(boundaries) - 1

    lessons_per_day = length / max(len(course.lessons), 1)
    for index, site in enumerate(course.lessons):
        day = index * lessons_per_day
        course.lesson_days[site] = day
        module_items[module_of(day)].append(
            {
                "item_id": f"LSN-OU-{site}",
                "kind": "lesson",
                "title": f"Study page {site}",
                "required": True,
                "weight": 1,
            }
        )
    for assessment in dated:
        day = length if assessment.due_day is None else assessment.due_day
        kind = "assignment" if assessment.kind == "TMA" else "quiz"
        if kind == "quiz":
            course.quiz_ids.append(assessment.item_id)
        title = {
            "TMA": "Tutor-marked assignment",
            "CMA": "Computer-marked quiz",
            "Exam": "Final exam",
        }[assessment.kind]
        module_items[module_of(day)].append(
            {
                "item_id": assessment.item_id,
                "kind": kind,
                "title": f"{title} {assessment.assessment_id}",
                "required": True,
                "weight": max(1.0, assessment.weight / 5),
            }
        )
    modules = [
        {
            "module_id": f"MOD-{course.course_id[7:]}-{n + 1}",
            "title": f"Block {n + 1}",
            "items": items,
        }
        for n, items in enumerate(module_items)
        if items
    ]
    course.document = {
        "modules": modules,
        "completion_criteria": {
            "all_required_lessons": True,
            "all_required_quizzes_passed": True,
            "all_required_assignments_submitted": True,
            "assignments_min_grade": PASS_MARK,
        },
        "certificate_criteria": {"requires_completion": True, "min_average_score": 55.0},
    }
    course.outline = parse_outline(course.document)


def load_registrations() -> list[Registration]:
    info = {
        (r["code_module"], r["code_presentation"], r["id_student"]): r
        for r in _read("studentInfo.csv")
    }
    assessment_course = {
        r["id_assessment"]: (r["code_module"], r["code_presentation"])
        for r in _read("assessments.csv")
    }
    submitted: dict[tuple[str, str, str], list[tuple[str, float, float | None]]] = defaultdict(list)
    for row in _read("studentAssessment.csv"):
        module, presentation = assessment_course[row["id_assessment"]]
        submitted[(module, presentation, row["id_student"])].append(
            (row["id_assessment"], float(row["date_submitted"]), _number(row["score"]))
        )
    registrations = []
    for row in _read("studentRegistration.csv"):
        key = (row["code_module"], row["code_presentation"], row["id_student"])
        details = info[key]
        registrations.append(
            Registration(
                course_key=(key[0], key[1]),
                student=key[2],
                registered_day=_number(row["date_registration"]) or 0.0,
                unregistered_day=_number(row["date_unregistration"]),
                final_result=details["final_result"],
                age_band=details["age_band"],
                region=details["region"],
                submissions=tuple(sorted(submitted.get(key, []), key=lambda s: s[1])),
            )
        )
    return registrations


# -- one enrollment --------------------------------------------------------------------
@dataclass
class SeededEnrollment:
    row: dict[str, Any]
    facts: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    bookmarks: list[dict[str, Any]]


def _ids(rng: random.Random, prefix: str) -> str:
    return f"{prefix}-{uuid.UUID(int=rng.getrandbits(128), version=4).hex[:16]}"


def seed_enrollment(
    course: Course, registration: Registration, copy: int, rng: random.Random
) -> SeededEnrollment:
    """The enrollment the service would hold for this registration (copy 0: the real one)."""
    assert course.outline is not None
    shift = timedelta(days=rng.randint(0, 6) if copy else 0, minutes=rng.randint(0, 600))
    start = course.start + shift

    def at(day: float) -> datetime:
        return start + timedelta(days=day, minutes=rng.randint(0, 900))

    student_id = f"USR-STU-OU{registration.student}" + (f"-C{copy}" if copy else "")
    by_id = {a.assessment_id: a for a in course.assessments}
    activities: list[ActivityRecord] = []
    lessons: dict[str, Any] = {}
    quizzes: dict[str, list[AttemptState]] = defaultdict(list)
    assignments: dict[str, Any] = {}
    last_day = max([s[1] for s in registration.submissions], default=0.0)
    passed = registration.final_result in ("Pass", "Distinction")
    if passed:
        last_day = course.length_days
    if registration.unregistered_day is not None:
        last_day = min(last_day, max(registration.unregistered_day, 0.0))
    for site, day in course.lesson_days.items():
        if day > last_day or (not passed and rng.random() < 0.08):
            continue
        entry = None
        for _ in range(1 if rng.random() < 0.85 else 2):
            report = LessonCompletionReport(
                completion_id=_ids(rng, "CMP"),
                completed_at=at(day + rng.random() * 5),
                time_spent=float(rng.randint(10, 75)),
                score=float(rng.randint(50, 100)) if rng.random() < 0.3 else None,
            )
            entry = record_lesson_completion(entry, f"LSN-OU-{site}", report)
            activities.append(
                ActivityRecord(_ids(rng, "LOG"), report.completed_at, report.time_spent * 60)
            )
        lessons[f"LSN-OU-{site}"] = entry
    facts = []
    submissions = list(registration.submissions)
    done = {assessment_id for assessment_id, _day, _score in submissions}
    for exam in (a for a in course.assessments if a.kind == "Exam" and passed):
        if exam.assessment_id not in done:  # the data has few exam scores; the result tells
            low = 70 if registration.final_result == "Distinction" else PASS_MARK
            submissions.append(
                (exam.assessment_id, course.length_days - 3, float(rng.randint(int(low), 100)))
            )
    for assessment_id, day, score in submissions:
        assessment = by_id[assessment_id]
        moment = at(day)
        minutes = float(rng.randint(15, 90))
        activities.append(ActivityRecord(_ids(rng, "LOG"), moment, minutes * 60))
        if assessment.kind == "TMA":
            submission = AssignmentSubmission(_ids(rng, "SUB"), moment, minutes)
            assignment = record_assignment_change(None, assessment.item_id, submission)
            if score is not None:
                grading = AssignmentGrading(
                    score, moment + timedelta(days=rng.randint(7, 14)), _ids(rng, "FB")
                )
                assignment = record_assignment_change(assignment, assessment.item_id, grading)
            assignments[assessment.item_id] = assignment
            continue
        tries = [(moment, score)]
        if score is not None and rng.random() < 0.25:
            tries.insert(0, (moment - timedelta(days=1), max(0.0, score - rng.randint(5, 30))))
        for when, points in tries:
            fact = AttemptSubmitted(
                attempt_id=_ids(rng, "QZAT"),
                completed_at=when,
                time_spent=float(rng.randint(5, 40)),
                score=points,
                passed=points is not None and points >= PASS_MARK,
            )
            quizzes[assessment.item_id].append(AttemptState(fact.attempt_id, submission=fact))
            facts.append(
                {
                    "student_id": student_id,
                    "course_id": course.course_id,
                    "attempt_id": fact.attempt_id,
                    "quiz_id": assessment.item_id,
                    "submission": entries.submission_to_json(fact),
                    "grading": None,
                }
            )
    quiz_results = [quiz_result_of(q, states) for q, states in sorted(quizzes.items())]
    work = CourseWork.of(
        lessons=list(lessons.values()),
        quizzes=[r for r in quiz_results if r is not None],
        assignments=list(assignments.values()),
    )
    derived = derive_progress(
        course.outline, work, EnrollmentStatus.NOT_STARTED, after_student_work=not work.is_empty
    )
    status = derived.status
    if registration.unregistered_day is not None and status is not EnrollmentStatus.COMPLETED:
        status = EnrollmentStatus.PAUSED
    engagement = record_activities(Engagement(), activities, TIME_ZONE)
    enrolled_at = at(registration.registered_day)
    last_work = max([a.occurred_at for a in activities], default=enrolled_at)
    completed_at = last_work if status is EnrollmentStatus.COMPLETED else None
    certificate = derived.certificate_earned
    issued = certificate and rng.random() < 0.9
    enrollment_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    row = {
        "id": enrollment_id,
        "student_id": student_id,
        "course_id": course.course_id,
        "enrolled_at": enrolled_at,
        "last_accessed": engagement.last_accessed,
        "status": status.value,
        "completed_lessons": [entries.lesson_to_json(e) for _k, e in sorted(lessons.items())],
        "completed_quizzes": [entries.quiz_to_json(r) for r in quiz_results if r is not None],
        "completed_assignments": [
            entries.assignment_to_json(e) for _k, e in sorted(assignments.items())
        ],
        "current_lesson_id": derived.current_lesson_id,
        "current_module_id": derived.current_module_id,
        "progress_percentage": derived.progress_percentage,
        "certificate_issued": issued,
        "certificate_url": (
            f"https://certificates.stride.example/{enrollment_id}.pdf" if issued else None
        ),
        "certificate_issued_at": last_work + timedelta(days=2) if issued else None,
        "certificate_requested_at": last_work if certificate else None,
        "total_time_spent_seconds": engagement.total_seconds,
        "login_streak": engagement.login_streak,
        "last_streak_date": engagement.last_streak_date,
        "active_dates": sorted(day.isoformat() for day in engagement.active_dates),
        "time_zone": TIME_ZONE,
        "last_notification_sent": None,
        "notification_preferences": NotificationPreferences(
            reminders=rng.random() < 0.8, deadlines=rng.random() < 0.9
        ).as_dict(),
        "custom_fields": {
            "region": registration.region,
            "age_band": registration.age_band,
            "oulad_student": registration.student,
        },
        "completed_at": completed_at,
        "updated_at": max(last_work, enrolled_at),
    }
    notes, bookmarks = [], []
    if lessons and rng.random() < 0.2:
        for _ in range(rng.randint(1, 3)):
            lesson_id = rng.choice(sorted(lessons))
            moment = lessons[lesson_id].completed_at
            notes.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "enrollment_id": enrollment_id,
                    "lesson_id": lesson_id,
                    "content": "## To revise\n\n* the **key idea** of this page\n* example 2",
                    "tags": ["revise"],
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
        for _ in range(rng.randint(0, 2)):
            lesson_id = rng.choice(sorted(lessons))
            bookmarks.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "enrollment_id": enrollment_id,
                    "content_type": "lesson",
                    "content_id": lesson_id,
                    "position": f"{rng.randint(0, 20):02d}:{rng.randint(0, 59):02d}",
                    "note": None,
                    "created_at": lessons[lesson_id].completed_at,
                }
            )
    return SeededEnrollment(row, facts, notes, bookmarks)


def seeded(
    courses: dict[tuple[str, str], Course], registrations: list[Registration], count: int
) -> Iterator[SeededEnrollment]:
    rng = random.Random(2013)
    for n in range(count):
        registration = registrations[n % len(registrations)]
        copy = n // len(registrations)
        yield seed_enrollment(courses[registration.course_key], registration, copy, rng)


@dataclass(frozen=True)
class SeedSummary:
    enrollments: int
    real: int
    facts: int
    notes: int
    bookmarks: int
    courses: int
    statuses: dict[str, int]
    seconds: float


def seed(engine: Engine, count: int) -> tuple[dict[tuple[str, str], Course], SeedSummary]:
    """Insert the outlines and ``count`` enrollments (with facts, notes, bookmarks)."""
    import time

    began = time.monotonic()
    courses = load_courses()
    registrations = load_registrations()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(CourseOutline),
            [
                {
                    "course_id": c.course_id,
                    "version": 1,
                    "document": c.document,
                    "updated_at": now,
                    "updated_by": "USR-ADM-BENCH",
                }
                for c in courses.values()
            ],
        )
    totals = {"facts": 0, "notes": 0, "bookmarks": 0}
    statuses: dict[str, int] = defaultdict(int)
    batch: list[SeededEnrollment] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(sa.insert(Enrollment), [s.row for s in batch])
            for table, key in (
                (QuizAttemptFact, "facts"),
                (Note, "notes"),
                (Bookmark, "bookmarks"),
            ):
                rows = [r for s in batch for r in getattr(s, key)]
                if rows:
                    connection.execute(sa.insert(table), rows)
                totals[key] += len(rows)
        batch.clear()

    for item in seeded(courses, registrations, count):
        statuses[item.row["status"]] += 1
        batch.append(item)
        if len(batch) >= INSERT_CHUNK:
            flush()
    if batch:
        flush()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    return courses, SeedSummary(
        enrollments=count,
        real=min(count, len(registrations)),
        facts=totals["facts"],
        notes=totals["notes"],
        bookmarks=totals["bookmarks"],
        courses=len(courses),
        statuses=dict(statuses),
        seconds=time.monotonic() - began,
    )
