"""Quiz attempt facts from the attempts service, applied a batch at a time.

A batch costs a handful of statements whatever its size: the advisory locks of its
(student, course) keys in one statement, the stored facts of its attempts and quizzes
in one query, the enrollments' write models in one ``SELECT ... FOR UPDATE``
(``store.enrollment_progress.progress_by_keys``), the course outlines in one query, the merged
facts in one upsert, the changed enrollments in one ``UPDATE`` and the outgoing events
in one insert; on PostgreSQL the keys and rows of a batch are one JSON parameter
(``shared.recordsets.json_rows``). The merging itself runs event by event, in the
batch's order, with the domain's order-independent functions, so a batch leaves the
enrollments (and the outbox) as applying its events one at a time would.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.progress.events import AttemptReport
from services.progress.store.attempt_facts import StoredAttemptFacts
from services.progress.store.enrollment_progress import (
    EnrollmentProgress,
    progress_by_keys,
    write_progress,
)
from services.progress.store.enrollments import lock_students_courses
from services.progress.store.outlines import no_outline, outlines_of
from services.progress.usecases.derivation import refresh
from shared.events import Envelope
from shared.events.outbox import record_events


def apply_attempt_reports(session: Session, reports: Sequence[AttemptReport]) -> None:
    """Merge the reports' facts; recompute the quiz entries of the enrolled students.

    Raises ``InvalidInput`` (an attempt reported under another quiz) or ``Conflict``
    (an enrolled course without outline) before anything is written.
    """
    if not reports:
        return
    keys = sorted({report.student_course for report in reports})
    lock_students_courses(session, keys)
    # Reads and writes are explicit statements; progress_by_keys flushes what other
    # handlers of the transaction left pending, and nothing else needs flushing.
    with session.no_autoflush:
        facts = StoredAttemptFacts.of_attempts_and_quizzes(
            session, {r.attempt_key for r in reports}, {r.quiz_key for r in reports}
        )
        enrolled = {(p.student_id, p.course_id): p for p in progress_by_keys(session, keys)}
        outlines = outlines_of(session, {course_id for _student, course_id in enrolled})
        outbox: list[Envelope] = []
        changed: dict[str, EnrollmentProgress] = {}
        for report in reports:
            facts.merge(report.quiz_key, report.fact)
            progress = enrolled.get(report.student_course)
            if progress is None:
                continue
            if not progress.replace_quiz(report.quiz_id, facts.result_of(report.quiz_key)):
                continue
            outline = outlines.get(report.course_id)
            if outline is None:
                raise no_outline(report.course_id)
            refresh(progress, outline, report.occasion, outbox, after_student_work=True)
            changed[progress.id] = progress
        facts.write_changed(session)
        write_progress(session, list(changed.values()))
        record_events(session, outbox)
