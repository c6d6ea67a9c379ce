"""The reports consumer's handlers: projections of progress and attempts events that give
the same state in any order and on redelivery, malformed events refused with their
reason, one certificate per enrollment, and the end-of-term schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
import sqlalchemy as sa

from services.reports import tasks, usecases
from services.reports.domain.terms import TERM_STARTS, term_ended_before
from services.reports.handlers import registry
from services.reports.models import (
    AchievementFact,
    AssignmentWorkFact,
    Certificate,
    EnrollmentFact,
    LessonCompletionFact,
    QuizAttemptFact,
    Report,
    RiskFact,
)
from shared.errors import InvalidInput
from shared.events import Envelope
from shared.events.consumer import EventConsumer
from shared.events.contracts import ContractError
from shared.tasks import task_queue
from tests.integration.reports.reports_support import (
    COURSE,
    STUDENT,
    outbox_types,
    report_request,
    run_jobs,
)

pytestmark = pytest.mark.integration

T = TypeVar("T")
T0 = datetime(2026, 9, 3, 10, tzinfo=UTC)
ENROLLMENT = {"enrollment_id": "ENR-1", "student_id": STUDENT, "course_id": COURSE}


def apply(app, *envelopes: Envelope) -> None:
    database = app.extensions["stride"].database
    with database.unit_of_work() as session:
        for envelope in envelopes:
            handler = registry.handler_for(envelope.type)
            assert handler is not None, envelope.type
            handler(envelope, session)
        session.commit()


def attempt(kind: str, score: float, at: datetime) -> Envelope:
    payload = {
        "attempt_id": "ATT-1",
        "quiz_id": "QZ-1",
        "attempt_number": 1,
        "completed_at": T0.isoformat(),
        "time_spent": 12,
        "score": score,
        "passed": True,
    }
    if kind == "graded":
        payload["graded_at"] = at.isoformat()
    return Envelope(
        type=f"attempts.attempt.{kind}",
        producer="attempts",
        subject=STUDENT,
        course_id=COURSE,
        payload=payload,
    )


def assignment(status: str, grade: float | None, at: datetime) -> Envelope:
    return Envelope(
        type="progress.assignment.recorded",
        producer="progress",
        occurred_at=at,
        payload={
            **ENROLLMENT,
            "assignment_id": "ASG-1",
            "action": "grade" if grade is not None else "submit",
            "status": status,
            "submitted_at": T0.isoformat(),
            "grade": grade,
        },
    )


@pytest.mark.parametrize("order", ["submitted_first", "graded_first"])
def test_a_grading_wins_over_the_submission_in_either_order(app, order):
    events = [attempt("submitted", 40, T0), attempt("graded", 75, T0 + timedelta(hours=1))]
    if order == "graded_first":
        events.reverse()
    for event in events:
        apply(app, event)
    with app.extensions["stride"].database.engine.connect() as connection:
        row = connection.execute(sa.select(QuizAttemptFact)).one()
    assert row.score == 75 and row.time_spent == 12


def test_the_latest_assignment_state_wins_in_either_order(app):
    newer = assignment("graded", 88, T0 + timedelta(days=1))
    older = assignment("submitted", None, T0)
    apply(app, newer)
    apply(app, older)
    with app.extensions["stride"].database.engine.connect() as connection:
        row = connection.execute(sa.select(AssignmentWorkFact)).one()
    assert row.status == "graded" and row.grade == 88


def of_enrollment(event_type: str, enrollment: str, **payload: object) -> Envelope:
    body = {**ENROLLMENT, "enrollment_id": enrollment, **payload}
    return Envelope(type=event_type, producer="progress", payload=body)


def enrolled(enrollment: str, at: datetime) -> Envelope:
    return of_enrollment(
        "progress.enrolled", enrollment, enrolled_at=at.isoformat(), status="not_started"
    )


def completed(enrollment: str, at: datetime) -> Envelope:
    return of_enrollment(
        "progress.course.completed",
        enrollment,
        completed_at=at.isoformat(),
        progress_percentage=100,
    )


def work_on(
    enrollment: str, assignment_id: str, status: str, grade: float | None, at: datetime
) -> Envelope:
    event = assignment(status, grade, at)
    payload = {**event.payload, "enrollment_id": enrollment, "assignment_id": assignment_id}
    return Envelope(type=event.type, producer="progress", occurred_at=at, payload=payload)


def projected(app) -> tuple[list[tuple], list[tuple]]:
    with app.extensions["stride"].database.engine.connect() as connection:
        works = connection.execute(
            sa.select(
                AssignmentWorkFact.enrollment_id,
                AssignmentWorkFact.assignment_id,
                AssignmentWorkFact.status,
                AssignmentWorkFact.grade,
                AssignmentWorkFact.as_of,
            ).order_by(AssignmentWorkFact.enrollment_id, AssignmentWorkFact.assignment_id)
        ).all()
        enrollments = connection.execute(
            sa.select(
                EnrollmentFact.enrollment_id,
                EnrollmentFact.enrolled_at,
                EnrollmentFact.completed_at,
            ).order_by(EnrollmentFact.enrollment_id)
        ).all()
    return [tuple(row) for row in works], [tuple(row) for row in enrollments]


def apply_in_batches(app, envelopes: list[Envelope]) -> None:
    """As the consumer applies a batch: each batch handler's events at once, in order."""
    database = app.extensions["stride"].database
    grouped: dict[object, list[Envelope]] = {}
    for envelope in envelopes:
        handler = registry.batch_handler_for(envelope.type)
        assert handler is not None, f"{envelope.type} has no batch handler"
        grouped.setdefault(handler, []).append(envelope)
    with database.unit_of_work() as session:
        for handler, events in grouped.items():
            handler(events, session)
        session.commit()


def applied_both_ways(
    app, earlier: list[Envelope], batch: list[Envelope], models: list[type], read: Callable[[], T]
) -> tuple[T, T]:
    """What ``read`` finds after ``earlier`` and then ``batch`` applied one event at a
    time, and after the same with ``batch`` applied as the consumer applies a batch
    (the projections of ``models`` emptied in between)."""
    apply(app, *earlier)
    apply(app, *batch)
    one_by_one = read()
    with app.extensions["stride"].database.unit_of_work() as session:
        for model in models:
            session.execute(sa.delete(model))
        session.commit()
    apply(app, *earlier)
    apply_in_batches(app, batch)
    return one_by_one, read()


def test_a_batch_of_enrollments_and_assignment_work_projects_as_one_by_one(app):
    """The batch handlers keep what the events one at a time keep: an enrollment's first
    moment and its latest completion, each assignment's latest state (at equal moments
    the first one), also against rows an earlier batch stored."""
    hour = timedelta(hours=1)
    earlier = [
        work_on("ENR-2", "ASG-1", "submitted", None, T0),
        enrolled("ENR-2", T0),
        completed("ENR-3", T0 + 5 * hour),
    ]
    batch = [
        work_on("ENR-1", "ASG-1", "graded", 70, T0 + 2 * hour),
        work_on("ENR-1", "ASG-1", "submitted", None, T0),
        work_on("ENR-1", "ASG-1", "returned", 70, T0 + 2 * hour),  # a tie: the first stays
        work_on("ENR-1", "ASG-2", "submitted", None, T0 + hour),
        work_on("ENR-2", "ASG-1", "graded", 90, T0 + hour),  # newer than the stored row
        work_on("ENR-2", "ASG-1", "submitted", None, T0 - hour),  # older: nothing
        enrolled("ENR-1", T0 + hour),
        enrolled("ENR-1", T0),  # the first seen stays, as one at a time
        enrolled("ENR-2", T0 + 3 * hour),  # already enrolled: nothing
        completed("ENR-1", T0 + 4 * hour),
        completed("ENR-1", T0 + 6 * hour),  # completed again, later: the latest
        completed("ENR-1", T0 + 5 * hour),
        completed("ENR-3", T0 + 4 * hour),  # earlier than the stored one: nothing
        enrolled("ENR-3", T0),  # the completion came first: the enrollment fills in
    ]
    one_by_one, batched = applied_both_ways(
        app, earlier, batch, [AssignmentWorkFact, EnrollmentFact], lambda: projected(app)
    )
    assert batched == one_by_one
    works, enrollments = one_by_one
    assert [(w[0], w[1], w[2], w[3]) for w in works] == [
        ("ENR-1", "ASG-1", "graded", 70),
        ("ENR-1", "ASG-2", "submitted", None),
        ("ENR-2", "ASG-1", "graded", 90),
    ]
    assert [e[1:] for e in enrollments] == [
        (T0 + hour, T0 + 6 * hour),
        (T0, None),
        (T0, T0 + 5 * hour),
    ]


@pytest.mark.parametrize(
    "envelope",
    [
        Envelope(type="progress.enrolled", producer="progress", payload={"student_id": STUDENT}),
        Envelope(
            type="progress.lesson.completed",
            producer="progress",
            payload={
                **ENROLLMENT,
                "lesson_id": "L",
                "completion_id": "C",
                "attempts": -1,
                "completed_at": T0.isoformat(),
            },
        ),
        Envelope(type="progress.enrolled", producer="progress", version=9, payload={}),
    ],
)
def test_a_malformed_event_is_refused_with_its_reason_and_writes_nothing(app, envelope):
    with pytest.raises(ContractError):
        apply(app, envelope)
    with app.extensions["stride"].database.engine.connect() as connection:
        for model in (EnrollmentFact, LessonCompletionFact):
            assert connection.execute(sa.select(sa.func.count()).select_from(model)).scalar() == 0


@pytest.mark.parametrize("subject", [None, "S" * 129])
def test_an_attempt_event_without_a_proper_subject_is_refused(app, subject):
    event = attempt("submitted", 50, T0)
    bad = Envelope(type=event.type, producer="attempts", subject=subject, course_id=COURSE,
                   payload=event.payload)  # fmt: skip
    with pytest.raises(InvalidInput, match="subject"):
        apply(app, bad)


def _certificate_requested() -> Envelope:
    return Envelope(
        type="progress.certificate.requested",
        producer="progress",
        subject=STUDENT,
        course_id=COURSE,
        payload={
            **ENROLLMENT,
            "completed_at": T0.isoformat(),
            "average_score": 91.5,
            "progress_percentage": 100,
            "requested_at": T0.isoformat(),
        },
    )


def test_a_certificate_is_rendered_once_per_enrollment(app):
    apply(app, _certificate_requested())
    apply(app, _certificate_requested())
    with app.extensions["stride"].database.engine.connect() as connection:
        [certificate] = connection.execute(sa.select(Certificate)).all()
    assert certificate.body.startswith(b"%PDF-")
    # each request is answered, with the same URL
    assert outbox_types(app).count("reports.certificate.rendered") == 2


def test_terms_end_before_the_day_the_schedule_runs():
    term = term_ended_before(date(2026, 9, 1))
    assert (term.start, term.end) == (
        datetime(2026, 6, 1, tzinfo=UTC),
        datetime(2026, 9, 1, tzinfo=UTC),
    )
    assert term_ended_before(date(2026, 1, 15)).start == datetime(2025, 9, 1, tzinfo=UTC)


def test_end_of_term_reports_are_queued_once_per_student_and_course(app):
    apply(
        app,
        Envelope(
            type="progress.enrolled",
            producer="progress",
            payload={**ENROLLMENT, "enrolled_at": T0.isoformat(), "status": "not_started"},
        ),
    )
    queued: list[tuple[str, str]] = []
    term = term_ended_before(date(2027, 1, 1))
    database = app.extensions["stride"].database

    def enqueue(_session, report_id, job_id):
        queued.append((report_id, job_id))

    assert usecases.schedule_term_reports(database, term, enqueue=enqueue) == 1
    assert usecases.schedule_term_reports(database, term, enqueue=enqueue) == 0
    with database.engine.connect() as connection:
        report = connection.execute(sa.select(Report)).one()
    assert report.student_id == STUDENT and report.period_start == term.start
    assert report.generated_by == "system:beat" and len(queued) == 1
    beat = tasks.BEAT_SCHEDULE["end-of-term-reports"]
    assert beat["task"] == tasks.SCHEDULE_TERM_REPORTS


def test_beat_runs_the_term_reports_on_the_day_after_each_term(app):
    entry = app.extensions["celery"].conf.beat_schedule["end-of-term-reports"]
    assert entry["task"] == tasks.SCHEDULE_TERM_REPORTS
    assert entry["options"]["queue"] == task_queue("reports")
    schedule = entry["schedule"]
    days = {(month, day) for month in schedule.month_of_year for day in schedule.day_of_month}
    assert days == set(TERM_STARTS)
    for month, day in days:
        ran = date(2027, month, day)
        term = term_ended_before(ran)
        assert term.end == datetime(2027, month, day, tzinfo=UTC)  # the term that just ended
        assert term_ended_before(term.start.date()).end == term.start  # and the one before it


def test_the_scheduled_task_queues_the_term_reports_once(app):
    apply(
        app,
        Envelope(
            type="progress.enrolled",
            producer="progress",
            payload={**ENROLLMENT, "enrolled_at": T0.isoformat(), "status": "not_started"},
        ),
    )
    with app.app_context():
        first = tasks.schedule_term_reports.apply(kwargs={"today": "2027-01-01"}).get()
        again = tasks.schedule_term_reports.apply(kwargs={"today": "2027-01-01"}).get()
    assert first == {"term_start": "2026-09-01T00:00:00+00:00", "queued": 1}
    assert again == {"term_start": "2026-09-01T00:00:00+00:00", "queued": 0}
    with app.extensions["stride"].database.engine.connect() as connection:
        report = connection.execute(sa.select(Report)).one()
    assert (report.status, report.report_type, report.generated_by) == (
        "queued",
        "comprehensive",
        "system:beat",
    )
    assert report.configuration["format"] == "pdf" and report.configuration["include_graphs"]
    assert run_jobs(app) == ["ready"]


# -- what analytics tells ---------------------------------------------------------------------
def achievement(achievement_id: str, title: str, at: datetime) -> Envelope:
    return Envelope(
        type="analytics.achievement.earned",
        producer="analytics",
        subject=STUDENT,
        course_id=COURSE,
        payload={
            "student_id": STUDENT,
            "course_id": COURSE,
            "achievement_id": achievement_id,
            "title": title,
            "xp": 50,
            "earned_at": at.isoformat(),
        },
    )


def risk(level: str, at: datetime, **changes: object) -> Envelope:
    return Envelope(
        type="analytics.risk.changed",
        producer="analytics",
        subject=STUDENT,
        course_id=COURSE,
        payload={
            "student_id": STUDENT,
            "course_id": COURSE,
            "to_level": level,
            "success_probability": 40,
            "reasons": ["no activity for 14 days"],
            "assessed_at": at.isoformat(),
            **changes,
        },
    )


def test_achievements_and_risk_levels_are_kept_once_and_in_any_order(app, teacher):
    apply(app, achievement("ACH-1", "First quiz", T0), risk("low", T0 + timedelta(days=3)))
    # a second delivery of the same facts (new envelopes), and an older assessment late
    apply(app, achievement("ACH-1", "First quiz", T0), risk("high", T0 + timedelta(days=1)))
    apply(app, risk("low", T0 + timedelta(days=3)))
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(AchievementFact)).scalar()
            == 1
        )
        levels = (
            connection.execute(sa.select(RiskFact.level).order_by(RiskFact.assessed_at))
            .scalars()
            .all()
        )
    assert levels == ["high", "low"]
    body = report_request(
        period_start=T0.isoformat(), period_end=(T0 + timedelta(days=7)).isoformat()
    )
    report_id = teacher.post("/reports", json=body).json["id"]
    assert run_jobs(app) == ["ready"]
    report = teacher.get(f"/reports/{report_id}").json
    assert "Achievement earned: First quiz" in report["feedback"]["achievements"]
    # the latest assessment (low) decides: no check-ins
    assert "Regular check-ins with the teacher" not in report["next_steps"]["support_services"]
    apply(app, risk("high", T0 + timedelta(days=5)))
    teacher.put(f"/reports/{report_id}/teacher-input", json={})
    assert run_jobs(app) == ["ready"]
    report = teacher.get(f"/reports/{report_id}").json
    assert "Regular check-ins with the teacher" in report["next_steps"]["support_services"]


def test_a_batch_of_achievements_and_risk_levels_projects_as_one_by_one(app):
    """The first of equal keys stays, in a batch as across batches."""
    day = timedelta(days=1)
    earlier = [achievement("ACH-1", "First quiz", T0), risk("low", T0 + 3 * day)]
    batch = [
        risk("high", T0 + 5 * day),
        achievement("ACH-2", "Ten lessons", T0 + day),
        risk("medium", T0 + day),
        achievement("ACH-1", "Renamed, but stored already", T0),
        risk("low", T0 + 5 * day),  # the same moment as the first of the batch: it stays
        achievement("ACH-2", "Ten lessons, again", T0 + day),
        risk("high", T0 + 3 * day),  # stored already
    ]

    def kept() -> tuple[list[tuple], list[tuple]]:
        with app.extensions["stride"].database.engine.connect() as connection:
            achievements = connection.execute(
                sa.select(AchievementFact.achievement_id, AchievementFact.title).order_by(
                    AchievementFact.achievement_id
                )
            ).all()
            levels = connection.execute(
                sa.select(RiskFact.assessed_at, RiskFact.level).order_by(RiskFact.assessed_at)
            ).all()
        return [tuple(row) for row in achievements], [tuple(row) for row in levels]

    one_by_one, batched = applied_both_ways(app, earlier, batch, [AchievementFact, RiskFact], kept)
    assert batched == one_by_one
    achievements, levels = one_by_one
    assert achievements == [("ACH-1", "First quiz"), ("ACH-2", "Ten lessons")]
    assert [level for _, level in levels] == ["medium", "low", "high"]


def test_an_event_the_batch_statement_cannot_store_fails_alone(app):
    """A NUL character travels in the batch's JSON parameter but PostgreSQL cannot store
    it as text: the batch's statement fails, the consumer applies the batch again event
    by event, and only that event fails (SQLite stores it)."""
    stride = app.extensions["stride"]
    consumer = EventConsumer(registry, stride.database, stride.settings)
    day = timedelta(days=1)
    hostile = achievement("ACH-\x00", "a title", T0)
    batch = [risk("low", T0), hostile, achievement("ACH-2", "Ten lessons", T0 + day)]

    failures = consumer._apply(batch)

    with stride.database.engine.connect() as connection:
        achievements = set(connection.execute(sa.select(AchievementFact.achievement_id)).scalars())
        levels = connection.execute(sa.select(RiskFact.level)).scalars().all()
    assert levels == ["low"]
    assert "ACH-2" in achievements
    if stride.database.dialect == "postgresql":
        assert failures[0] is None and failures[2] is None
        assert failures[1] is not None and not failures[1].permanent
        assert achievements == {"ACH-2"}
    else:
        assert failures == [None, None, None]


@pytest.mark.parametrize(
    "envelope",
    [
        risk("severe", T0),
        risk("high", T0, success_probability=140),
        risk("high", T0, assessed_at="yesterday"),
        Envelope(
            type="analytics.achievement.earned",
            producer="analytics",
            payload={"student_id": STUDENT, "achievement_id": "ACH-1", "earned_at": T0.isoformat()},
        ),
    ],
)
def test_a_malformed_analytics_event_is_refused_and_writes_nothing(app, envelope):
    with pytest.raises(ContractError):
        apply(app, envelope)
    with app.extensions["stride"].database.engine.connect() as connection:
        for model in (AchievementFact, RiskFact):
            assert connection.execute(sa.select(sa.func.count()).select_from(model)).scalar() == 0
