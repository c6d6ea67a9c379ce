"""An institution's historical records of enrollments, a batch at a time (``POST
/enrollment-records``).

Each record names a student in a course, when they enrolled, their past submissions and
perhaps the final result. Applying it is the live paths' rules at the record's moments,
never now: the enrollment is created (``progress.enrolled`` with its ``enrolled_at``) or
reused; each submission is the assignment submitted and graded, or the quiz attempt
submitted and graded (``domain.records``); the final result completes or pauses the
enrollment at its moment (``domain.final_results``). The status, completion and
events follow as they do for live work, except certificates: an institution issued
its own when the course ended, so past records request none.

Idempotent: a submission already recorded (same item and moment) and the same final
result are skipped, so sending the same records again writes and emits nothing, and a
record sent again with more submissions adds only those.

All or nothing: every record is checked against its course's outline before anything
is written (``InvalidInput`` naming ``records.<index>.<field>``), and a conflict (another
final result, a resubmission of graded work) refuses the whole batch with its index.

A batch costs a handful of statements whatever its size: its outlines, its advisory
locks, its enrollments (``SELECT ... FOR UPDATE``), their attempt facts and counted
activities; then the new enrollments in one insert, the changed ones in one
``UPDATE``, the facts in one upsert and the events in one insert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.progress import events
from services.progress.domain import (
    EnrollmentStatus,
    FinalResult,
    FinalResultRecord,
    ItemKind,
    Outline,
    SubmissionRecord,
    assignment_changes_of,
    is_new_final_result,
    quiz_facts_of,
    record_assignment_change,
    status_on_final_result,
    student_time_zone,
)
from services.progress.domain.values import require_identifier, require_past
from services.progress.events import MAX_STUDENT_ID_LENGTH, Occasion
from services.progress.models import Enrollment
from services.progress.store.activities import engagements_from_counted
from services.progress.store.attempt_facts import QuizKey, StoredAttemptFacts
from services.progress.store.enrollment_progress import (
    EnrollmentProgress,
    keep_progress,
    progress_by_keys,
    progress_of,
    write_progress,
)
from services.progress.store.enrollments import lock_students_courses
from services.progress.store.entries import store_engagement
from services.progress.store.outlines import no_outline, outlines_of
from services.progress.usecases.derivation import change_status, refresh
from services.progress.usecases.enrollments import MAX_COURSE_ID_LENGTH, new_enrollment
from shared.audit import commit_with_audit
from shared.errors import Conflict, DomainError, InvalidInput
from shared.events import Envelope
from shared.events.outbox import record_events
from shared.time import in_utc

StudentCourse = tuple[str, str]


@dataclass(frozen=True)
class EnrollmentRecord:
    student_id: str
    course_id: str
    enrolled_at: datetime
    time_zone: str = "UTC"
    submissions: tuple[SubmissionRecord, ...] = ()
    final_result: FinalResultRecord | None = None

    @property
    def key(self) -> StudentCourse:
        return (self.student_id, self.course_id)


@dataclass(frozen=True)
class RecordOutcome:
    index: int
    enrollment_id: str
    created: bool
    submissions_recorded: int
    final_result_recorded: bool


def record_enrollment_history(
    session: Session, records: Sequence[EnrollmentRecord], occasion: Occasion
) -> list[RecordOutcome]:
    """Apply the records in one transaction (committed with the request's audit)."""
    outlines = outlines_of(session, {record.course_id for record in records})
    for index, record in enumerate(records):
        _check(record, outlines.get(record.course_id), f"records.{index}", occasion.now)
    keys = sorted({record.key for record in records})
    lock_students_courses(session, keys)
    with session.no_autoflush:
        batch = _Batch(session, keys, outlines, occasion)
        outcomes = [batch.apply(index, record) for index, record in enumerate(records)]
        batch.write()
    commit_with_audit(session, 200)
    return outcomes


def _check(record: EnrollmentRecord, outline: Outline | None, path: str, now: datetime) -> None:
    """Every rule a record must meet before anything is written, named by its path."""
    if outline is None:
        # 409 as for POST /enrollments: the record is sound, the course is not ready
        raise Conflict(f"{path}.course_id: {no_outline(record.course_id).message}")
    with _fields_under(path):
        require_identifier(record.student_id, "student_id", max_length=MAX_STUDENT_ID_LENGTH)
        require_identifier(record.course_id, "course_id", max_length=MAX_COURSE_ID_LENGTH)
        require_past(record.enrolled_at, "enrolled_at", now=now)
        student_time_zone(record.time_zone)
        if record.final_result is not None:
            require_past(record.final_result.at, "final_result.at", now=now)
    for number, submission in enumerate(record.submissions):
        with _fields_under(f"{path}.submissions.{number}"):
            _check_submission(submission, outline, now)


def _check_submission(submission: SubmissionRecord, outline: Outline, now: datetime) -> None:
    position = outline.position_of(submission.item_id)
    if position is None:
        raise InvalidInput.for_field(
            "item_id", f"no quiz or assignment {submission.item_id!r} in this course"
        )
    if position.item.kind is ItemKind.LESSON:
        raise InvalidInput.for_field(
            "item_id", f"{submission.item_id!r} is a lesson; records submit quizzes and assignments"
        )
    require_past(submission.submitted_at, "submitted_at", now=now)
    if submission.graded_at is not None:
        require_past(submission.graded_at, "graded_at", now=now)


@contextmanager
def _fields_under(path: str) -> Iterator[None]:
    """Re-raise an ``InvalidInput`` raised inside with its fields under ``path``, and any
    other refusal of the service's rules with ``path`` in front of its message."""
    try:
        yield
    except InvalidInput as error:
        fields = {f"{path}.{name}": messages for name, messages in error.fields.items()}
        if not fields:
            raise InvalidInput(f"{path}: {error.message}") from error
        name, messages = next(iter(fields.items()))
        raise InvalidInput(f"{name}: {messages[0]}", fields) from error
    except DomainError as error:
        # a conflict (409) or a refusal of another kind, said of this record
        raise type(error)(f"{path}: {error.message}") from error


class _Batch:
    """The enrollments, facts and events of one request's records, kept until written."""

    def __init__(
        self,
        session: Session,
        keys: Sequence[StudentCourse],
        outlines: Mapping[str, Outline],
        occasion: Occasion,
    ) -> None:
        self.session = session
        self.outlines = outlines
        self.occasion = occasion
        self.enrolled = {(p.student_id, p.course_id): p for p in progress_by_keys(session, keys)}
        self.facts = StoredAttemptFacts.of_students_courses(session, keys)
        self.engagements = engagements_from_counted(
            session, [key for key in keys if key not in self.enrolled]
        )
        self.stored_quizzes: defaultdict[StudentCourse, list[QuizKey]] = defaultdict(list)
        for quiz in self.facts.quizzes():
            self.stored_quizzes[(quiz[0], quiz[1])].append(quiz)
        self.created: dict[StudentCourse, Enrollment] = {}
        self.changed: dict[str, EnrollmentProgress] = {}
        #: enrollments whose derived fields wait for the rest of their record's work
        self.unsettled: dict[str, Occasion] = {}
        self.outbox: list[Envelope] = []

    def apply(self, index: int, record: EnrollmentRecord) -> RecordOutcome:
        path = f"records.{index}"
        outline = self.outlines[record.course_id]
        created = record.key not in self.enrolled
        progress = self._new_enrollment(record, outline) if created else self.enrolled[record.key]
        recorded = 0
        ordered = sorted(
            enumerate(record.submissions), key=lambda pair: (pair[1].submitted_at, pair[0])
        )
        for number, submission in ordered:
            with _fields_under(f"{path}.submissions.{number}"):
                recorded += self._submit(progress, outline, submission)
        self._settle(progress, outline)
        final = False
        if record.final_result is not None:
            with _fields_under(f"{path}.final_result"):
                final = self._decide(progress, outline, record.final_result)
        if created or recorded or final:
            progress.updated_at = self.occasion.now
            self.changed[progress.id] = progress
        return RecordOutcome(index, progress.id, created, recorded, final)

    def write(self) -> None:
        """The new enrollments, the changed ones, the facts and the events."""
        created_ids = set()
        for enrollment in self.created.values():
            keep_progress(enrollment, self.changed[enrollment.id])
            created_ids.add(enrollment.id)
        self.session.add_all(self.created.values())
        self.session.flush()
        existing = [p for p in self.changed.values() if p.id not in created_ids]
        write_progress(self.session, existing)
        self.facts.write_changed(self.session)
        record_events(self.session, self.outbox)

    def _new_enrollment(self, record: EnrollmentRecord, outline: Outline) -> EnrollmentProgress:
        enrolled_at = in_utc(record.enrolled_at)
        enrollment = new_enrollment(
            record.student_id, record.course_id, record.time_zone, enrolled_at, self.occasion.now
        )
        progress = progress_of(enrollment)
        for quiz in self.stored_quizzes.get(record.key, ()):
            progress.replace_quiz(quiz[2], self.facts.result_of(quiz))
        engagement = self.engagements.get(record.key)
        if engagement is not None:
            store_engagement(enrollment, engagement)
        at_enrollment = self._at(enrolled_at)
        self.outbox.append(events.enrolled(progress, progress.status, enrolled_at, at_enrollment))
        if progress.completed_quizzes or engagement is not None:
            self._refresh(progress, outline, at_enrollment, after_student_work=True)
        self.enrolled[record.key] = progress
        self.created[record.key] = enrollment
        return progress

    def _submit(
        self, progress: EnrollmentProgress, outline: Outline, submission: SubmissionRecord
    ) -> int:
        """1 when the submission is recorded, 0 when it was recorded before."""
        position = outline.position_of(submission.item_id)
        assert position is not None  # checked by _check
        if position.item.kind is ItemKind.QUIZ:
            return self._quiz(progress, outline, submission)
        return self._assignment(progress, outline, submission)

    def _assignment(
        self, progress: EnrollmentProgress, outline: Outline, submission: SubmissionRecord
    ) -> int:
        item_id = submission.item_id
        existing = progress.assignment(item_id)
        if existing is not None and submission.id in existing.submission_ids:
            return 0
        submit, grade = assignment_changes_of(submission)
        entry = record_assignment_change(existing, item_id, submit)
        at_submission = self._at(submission.submitted_at)
        progress.replace_assignment(entry)
        self.outbox.append(events.assignment_recorded(progress, entry, "submit", at_submission))
        self._after_work(progress, outline, at_submission)
        if grade is not None:
            graded = record_assignment_change(entry, item_id, grade)
            if graded != entry:
                at_grading = self._at(grade.graded_at)
                progress.replace_assignment(graded)
                self.outbox.append(
                    events.assignment_recorded(progress, graded, "grade", at_grading)
                )
                self._after_work(progress, outline, at_grading)
        return 1

    def _quiz(
        self, progress: EnrollmentProgress, outline: Outline, submission: SubmissionRecord
    ) -> int:
        if self.facts.knows(progress.student_id, progress.course_id, submission.id):
            return 0
        quiz = (progress.student_id, progress.course_id, submission.item_id)
        submitted, graded = quiz_facts_of(submission)
        self.facts.merge(quiz, submitted)
        if graded is not None:
            self.facts.merge(quiz, graded)
        if progress.replace_quiz(submission.item_id, self.facts.result_of(quiz)):
            moment = submission.submitted_at if graded is None else graded.graded_at
            self._after_work(progress, outline, self._at(moment))
        return 1

    def _decide(
        self, progress: EnrollmentProgress, outline: Outline, final: FinalResultRecord
    ) -> bool:
        """Record the final result (True), or skip it as recorded before (False)."""
        if not is_new_final_result(progress.final_result_record(), final):
            return False
        at = in_utc(final.at)
        progress.final_result = final.result.value
        progress.final_result_at = at
        occasion = self._at(at)
        status = status_on_final_result(final.result)
        change_status(progress, status, occasion, self.outbox, reason="final_result")
        self._refresh(progress, outline, occasion, after_student_work=False)
        return True

    def _after_work(
        self, progress: EnrollmentProgress, outline: Outline, occasion: Occasion
    ) -> None:
        """Derive after recorded work, now if the work may move the status, else once the
        record's work is all recorded (``_settle``): the fields come out the same, and
        each status change keeps the moment of the work that made it."""
        if _work_may_move_status(progress, outline):
            self.unsettled.pop(progress.id, None)
            self._refresh(progress, outline, occasion, after_student_work=True)
        else:
            self.unsettled[progress.id] = occasion

    def _settle(self, progress: EnrollmentProgress, outline: Outline) -> None:
        occasion = self.unsettled.pop(progress.id, None)
        if occasion is not None:
            self._refresh(progress, outline, occasion, after_student_work=True)

    def _refresh(
        self,
        progress: EnrollmentProgress,
        outline: Outline,
        occasion: Occasion,
        *,
        after_student_work: bool,
    ) -> None:
        refresh(
            progress,
            outline,
            occasion,
            self.outbox,
            after_student_work=after_student_work,
            request_certificate=False,
        )

    def _at(self, moment: datetime) -> Occasion:
        """The record's moment, caused by this request."""
        return Occasion(in_utc(moment), self.occasion.correlation_id)


def _work_may_move_status(progress: EnrollmentProgress, outline: Outline) -> bool:
    """Whether recorded work may change the status (``domain.status``): it starts a
    ``not_started`` enrollment, and completes one whose completion the items (or a
    passing final result) decide; a completed one stays completed."""
    status = EnrollmentStatus(progress.status)
    if status is EnrollmentStatus.NOT_STARTED:
        return True
    if status is EnrollmentStatus.COMPLETED:
        return False
    if progress.final_result is not None:
        return FinalResult(progress.final_result).passed
    return not outline.completion.requires_final_result
