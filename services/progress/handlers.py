"""Event handlers of the progress service, registered by event type.

The registry is also the service's subscription: its queue ``stride.progress`` is bound
to exactly the event types registered here.

Idempotency: the inbox makes a redelivered event a no-op; on top of that every
handler merges facts with the domain's order-independent functions (attempt states,
activity ids counted once, the latest certificate rendering), so events applied in
any order give the same enrollment. A payload that breaks its contract raises
``ContractError`` (parked at once, with the reason); one that breaks a rule of the
progress service raises ``InvalidInput`` naming the field (retried, then parked). Either
way nothing of it is written (the handler's savepoint is rolled back).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.progress import events
from services.progress.usecases.activity import apply_activity_reports
from services.progress.usecases.certificates import record_certificate
from services.progress.usecases.quiz_attempts import apply_attempt_reports
from shared.events import Envelope, HandlerRegistry
from shared.time import utcnow

registry = HandlerRegistry("progress")


@registry.handles_batch("attempts.attempt.submitted", "attempts.attempt.graded")
def apply_quiz_attempts(batch: Sequence[Envelope], session: Session) -> None:
    """Merge submitted and graded attempts into the students' ``completed_quizzes`` entries.

    A batch at a time, with the same result as one event at a time.
    """
    apply_attempt_reports(session, [events.attempt_report(event) for event in batch])


@registry.handles_batch("activity.logs.recorded")
def apply_activity_logs(batch: Sequence[Envelope], session: Session) -> None:
    """Count batches of activity logs: last access, time spent and streak per enrollment.

    A consumer batch at a time, with the same result as one event at a time. Records
    without a course are not about course progress and are skipped.
    """
    apply_activity_reports(session, [events.activity_report(event) for event in batch])


@registry.handles("reports.certificate.rendered")
def record_rendered_certificate(event: Envelope, session: Session) -> None:
    """Record the certificate the reports service rendered for an enrollment."""
    record_certificate(session, events.rendered_certificate(event), now=utcnow())
