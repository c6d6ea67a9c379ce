"""Facts from other services: quiz attempts, activity logs and rendered certificates.

Attempts and activities are stored per (student, course), whether or not the student
is enrolled yet, and folded with the domain's order-independent merges: per attempt
``record_attempt_fact`` (submission kept, latest grading wins), per activity id one
count. Events apply them in batches (``quiz_facts``, ``activity_facts``); this module
folds what is stored when an enrollment is created, and records certificates. The
quiz entry and the engagement figures are recomputed from what is stored, so any
order and any number of deliveries give the same enrollment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress import entries
from services.progress.domain import (
    ActivityRecord,
    AttemptState,
    Engagement,
    QuizResult,
    active_dates_to_keep,
    quiz_result_of,
)
from services.progress.domain.values import add_seconds
from services.progress.models import CountedActivity, Enrollment
from services.progress.models import QuizAttemptFact as QuizAttemptFactRow
from services.progress.store import (
    enrollment_by_id,
)
from shared.errors import InvalidInput


def record_certificate(
    session: Session, *, enrollment_id: str, url: str, issued_at: datetime, now: datetime
) -> None:
    """Record a rendered certificate; of two renderings the later ``issued_at`` wins."""
    enrollment = enrollment_by_id(session, enrollment_id, for_update=True)
    if enrollment is None:
        raise InvalidInput.for_field("enrollment_id", f"no enrollment {enrollment_id!r}")
    current = enrollment.certificate_issued_at
    if enrollment.certificate_issued and current is not None and current >= issued_at:
        return
    enrollment.certificate_issued = True
    enrollment.certificate_url = url
    enrollment.certificate_issued_at = issued_at
    enrollment.updated_at = now


def group_by_student_course(
    records: Sequence[tuple[str, str, ActivityRecord]],
) -> dict[tuple[str, str], list[ActivityRecord]]:
    """Records grouped by (student, course), in key order (a stable lock order)."""
    groups: dict[tuple[str, str], list[ActivityRecord]] = defaultdict(list)
    for student_id, course_id, record in records:
        groups[(student_id, course_id)].append(record)
    return dict(sorted(groups.items()))


# -- folding what is stored (also when an enrollment is created) -------------------------
def quiz_ids_with_facts(session: Session, student_id: str, course_id: str) -> list[str]:
    query = (
        sa.select(QuizAttemptFactRow.quiz_id)
        .where(
            QuizAttemptFactRow.student_id == student_id,
            QuizAttemptFactRow.course_id == course_id,
        )
        .distinct()
        .order_by(QuizAttemptFactRow.quiz_id)
    )
    return list(session.execute(query).scalars())


def quiz_result_for(session: Session, enrollment: Enrollment, quiz_id: str) -> QuizResult | None:
    rows = session.execute(
        sa.select(QuizAttemptFactRow).where(
            QuizAttemptFactRow.student_id == enrollment.student_id,
            QuizAttemptFactRow.course_id == enrollment.course_id,
            QuizAttemptFactRow.quiz_id == quiz_id,
        )
    ).scalars()
    return quiz_result_of(
        quiz_id, [attempt_state_of(row.attempt_id, row.submission, row.grading) for row in rows]
    )


def engagement_from_counted(session: Session, student_id: str, course_id: str) -> Engagement:
    rows = session.execute(
        sa.select(CountedActivity)
        .where(CountedActivity.student_id == student_id, CountedActivity.course_id == course_id)
        .order_by(CountedActivity.activity_id)
    ).scalars()
    total, latest, dates = 0.0, None, set[date]()
    for row in rows:
        total = add_seconds(total, row.duration_seconds)
        latest = row.occurred_at if latest is None else max(latest, row.occurred_at)
        dates.add(row.local_date)
    return Engagement(latest, total, active_dates_to_keep(dates))


def attempt_state_of(
    attempt_id: str, submission: dict[str, Any] | None, grading: dict[str, Any] | None
) -> AttemptState:
    """An attempt's state from its stored fact."""
    return AttemptState(
        attempt_id=attempt_id,
        submission=None if submission is None else entries.submission_from_json(submission),
        grading=None if grading is None else entries.grading_from_json(grading),
    )
