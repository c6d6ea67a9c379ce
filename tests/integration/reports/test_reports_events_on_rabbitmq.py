"""The reports consumer on the real RabbitMQ and PostgreSQL: the progress and attempts events
the test publishes are projected by an EventConsumer running the reports handlers, a
certificate request is answered through the outbox, and a malformed event is parked in the
dead-letter queue with its reason while its neighbours are applied."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from services.reports.handlers import registry as reports_registry
from services.reports.models import Certificate, EnrollmentFact, QuizAttemptFact
from shared.events import Envelope
from shared.events.consumer import ERROR_HEADER
from tests.integration.reports.reports_support import COURSE, STUDENT, make_app, outbox_types
from tests.support import backbone

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 3, 10, tzinfo=UTC)
ENROLLMENT = {"enrollment_id": "ENR-1", "student_id": STUDENT, "course_id": COURSE}


broker_settings, pg_app, consumer = backbone.service_on_rabbitmq(
    "reports", make_app, reports_registry
)


def _counts(app: Flask) -> dict[str, int]:
    with app.extensions["stride"].database.engine.connect() as connection:
        return {
            model.__tablename__: connection.execute(
                sa.select(sa.func.count()).select_from(model)
            ).scalar_one()
            for model in (EnrollmentFact, QuizAttemptFact, Certificate)
        }


def enrolled() -> Envelope:
    return Envelope(
        type="progress.enrolled",
        producer="progress",
        subject=STUDENT,
        course_id=COURSE,
        payload={**ENROLLMENT, "enrolled_at": T0.isoformat(), "status": "not_started"},
    )


def certificate_requested(**changes: object) -> Envelope:
    payload = {
        **ENROLLMENT,
        "completed_at": T0.isoformat(),
        "average_score": 91.5,
        "progress_percentage": 100,
        "requested_at": T0.isoformat(),
        **changes,
    }
    return Envelope(
        type="progress.certificate.requested",
        producer="progress",
        subject=STUDENT,
        course_id=COURSE,
        payload=payload,
    )


def submitted(attempt_id: str, **changes: object) -> Envelope:
    payload = {
        "attempt_id": attempt_id,
        "quiz_id": "QZ-1",
        "attempt_number": 1,
        "completed_at": T0.isoformat(),
        "time_spent": 12,
        "score": 80,
        "passed": True,
        **changes,
    }
    return Envelope(
        type="attempts.attempt.submitted",
        producer="attempts",
        subject=STUDENT,
        course_id=COURSE,
        payload=payload,
    )


def test_published_events_are_projected_and_a_certificate_answered(
    pg_app, consumer, broker_settings
):
    backbone.publish_confirmed(
        broker_settings, enrolled(), submitted("ATT-1"), certificate_requested()
    )
    expected = {"enrollments": 1, "quiz_attempts": 1, "certificates": 1}
    assert backbone.run_loops_until([consumer], lambda: _counts(pg_app) == expected, timeout=60), (
        _counts(pg_app)
    )
    assert outbox_types(pg_app) == ["reports.certificate.rendered"]
    assert consumer.stats.parked == 0


@pytest.mark.parametrize(
    ("poison", "named"),
    [
        (certificate_requested(progress_percentage="all"), "progress_percentage"),
        (certificate_requested(enrollment_id=None), "enrollment_id"),
        (submitted("ATT-9", time_spent=-3), "time_spent"),
    ],
)
def test_a_malformed_event_is_parked_with_its_reason_and_writes_nothing(
    pg_app, consumer, broker_settings, poison, named
):
    backbone.publish_confirmed(broker_settings, poison, enrolled())
    assert backbone.run_loops_until(
        [consumer],
        lambda: consumer.stats.parked >= 1 and _counts(pg_app)["enrollments"] == 1,
        timeout=60,
    )
    [parked] = backbone.drain_dead_letters(broker_settings, consumer)
    assert parked.properties["message_id"] == poison.id
    assert named in parked.headers[ERROR_HEADER]
    assert _counts(pg_app) == {"enrollments": 1, "quiz_attempts": 0, "certificates": 0}
    assert outbox_types(pg_app) == []
