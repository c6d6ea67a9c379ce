"""The enrollment's derived fields, and the events their changes cause.

After any recorded work (or a new outline) ``refresh`` recomputes percentage and
position with the domain's ``derive_progress``, moves the status, and adds to the
outbox: ``progress.status.changed``, ``progress.course.completed`` (on reaching
``completed``) and, once per enrollment, ``progress.certificate.requested`` when the
certificate criteria are first met. Both work on the one write model,
``store.enrollment_progress.EnrollmentProgress``, whether a request or an event batch loaded it;
the caller records the outbox in its transaction.
"""

from __future__ import annotations

from services.progress import events
from services.progress.domain import EnrollmentStatus, Outline, average_score, derive_progress
from services.progress.events import Occasion
from services.progress.store.enrollment_progress import EnrollmentProgress
from shared.events import Envelope


def refresh(
    progress: EnrollmentProgress,
    outline: Outline,
    occasion: Occasion,
    outbox: list[Envelope],
    *,
    after_student_work: bool,
    request_certificate: bool = True,
) -> None:
    """Recompute the derived fields; add status, completion and certificate events.

    ``request_certificate`` False leaves the certificate alone (an institution's past
    records: the institution issued its certificates when the course ended).
    """
    work = progress.work()
    previous = EnrollmentStatus(progress.status)
    derived = derive_progress(outline, work, previous, after_student_work=after_student_work)
    progress.progress_percentage = derived.progress_percentage
    progress.current_module_id = derived.current_module_id
    progress.current_lesson_id = derived.current_lesson_id
    progress.updated_at = occasion.now
    change_status(progress, derived.status, occasion, outbox, reason="student_work")
    if (
        request_certificate
        and derived.certificate_earned
        and not progress.certificate_issued
        and progress.certificate_requested_at is None
    ):
        progress.certificate_requested_at = occasion.now
        outbox.append(
            events.certificate_requested(
                progress,
                completed_at=progress.completed_at,
                average_score=average_score(outline, work),
                percentage=progress.progress_percentage,
                occasion=occasion,
            )
        )


def change_status(
    progress: EnrollmentProgress,
    new: EnrollmentStatus,
    occasion: Occasion,
    outbox: list[Envelope],
    *,
    reason: str,
) -> None:
    """Set the status if it changes, with ``progress.status.changed`` (and completion)."""
    previous = EnrollmentStatus(progress.status)
    if new is previous:
        return
    progress.status = new.value
    progress.updated_at = occasion.now
    progress.completed_at = occasion.now if new is EnrollmentStatus.COMPLETED else None
    outbox.append(events.status_changed(progress, previous.value, new.value, reason, occasion))
    if new is EnrollmentStatus.COMPLETED:
        outbox.append(events.course_completed(progress, progress.progress_percentage, occasion))
