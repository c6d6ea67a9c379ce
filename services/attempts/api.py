"""HTTP routes of the attempts service: parse, authorize, call one use case, serialize.

Quizzes and item analysis are in the first half, the attempt lifecycle in the second.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask.views import MethodView

from services.attempts import access, usecases
from services.attempts.documents import presented_questions
from services.attempts.domain import Quiz
from services.attempts.models import QuizRecord, QuizVersion
from services.attempts.schemas import (
    SAVED_ANSWER_DUMPER,
    AnswerInSchema,
    AttemptPageSchema,
    AttemptQuerySchema,
    AttemptSchema,
    AttemptStartSchema,
    FeedbackInSchema,
    IntegrityFlagInSchema,
    ItemAnalysisSchema,
    PresentedAttemptQuestionsSchema,
    QuizInSchema,
    QuizOutSchema,
    QuizVersionQuerySchema,
    SavedAnswerSchema,
    SweepResultSchema,
    decode_answer,
)
from shared.audit import audit_listing
from shared.auth import Principal
from shared.blueprints import Blueprint
from shared.time import utcnow
from shared.web import current_principal, dumped_response, request_session, service_context

DESCRIPTION = (
    "QuizAttempt: quiz definitions, the attempt lifecycle, scoring, integrity flags "
    "and teacher feedback."
)

blp = Blueprint("attempts", __name__, description=DESCRIPTION)
#: The answer save's body as ``@blp.arguments(AnswerInSchema)`` documents it; the view
#: decodes it itself (``decode_answer``).
ANSWER_BODY = {"required": True, "content": {"application/json": {"schema": AnswerInSchema}}}


def correlation_id() -> str | None:
    request_id: str | None = g.get("request_id")
    return request_id


# -- quizzes -----------------------------------------------------------------------------
def _quiz_out(
    principal: Principal, record: QuizRecord, version: QuizVersion, quiz: Quiz
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "quiz_id": quiz.quiz_id,
        "course_id": quiz.course_id,
        "version": version.version,
        "published_at": version.published_at,
        "published_by": version.published_by,
        "title": quiz.title,
        "lesson_id": quiz.lesson_id,
        "passing_score": quiz.passing_score,
        "time_limit_minutes": quiz.time_limit_minutes,
        "attempts_allowed": quiz.attempts_allowed,
        "allow_practice": quiz.allow_practice,
        "adaptive": quiz.adaptive,
        "allow_review": quiz.allow_review,
    }
    if access.may_author(principal, record.course_id):
        out["definition"] = version.definition
    else:
        out["questions"] = presented_questions(quiz, quiz.quiz_id)
    return out


@blp.route("/quizzes/<quiz_id>")
class QuizView(MethodView):
    @blp.arguments(QuizVersionQuerySchema, location="query")
    @blp.response(200, QuizOutSchema)
    def get(self, query: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """A quiz version (default: current). Only its authors get the answer keys."""
        found = usecases.read_quiz(request_session(), quiz_id, query.get("version"))
        return _quiz_out(current_principal(), *found)

    @blp.arguments(QuizInSchema)
    @blp.response(200, QuizOutSchema)
    def put(self, body: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """Publish a quiz definition (teachers of its course, admins); a change adds a version."""
        principal = current_principal()
        session = request_session()
        stored = access.quiz_to_publish(session, principal, quiz_id, body["course_id"])
        published = usecases.publish_quiz(
            session, stored, quiz_id, body, by=principal.sub, now=utcnow()
        )
        return _quiz_out(principal, *published)


@blp.route("/quizzes/<quiz_id>/item-analysis")
class ItemAnalysisView(MethodView):
    @blp.arguments(QuizVersionQuerySchema, location="query")
    @blp.response(200, ItemAnalysisSchema)
    def get(self, query: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """Facility and discrimination per question over closed, graded-kind attempts."""
        principal = current_principal()
        session = request_session()
        record = access.authored_quiz(session, principal, quiz_id, action="analyse")
        counted, analysis = usecases.analyse_items(session, record, query.get("version"))
        audit_listing(
            principal,
            action="analyse",
            resource=f"quiz/{quiz_id}/item-analysis",
            rows=[(row.student_id, row.course_id) for row in counted],
        )
        return analysis


# -- attempts ----------------------------------------------------------------------------
@blp.route("/quizzes/<quiz_id>/attempts")
class QuizAttemptsView(MethodView):
    @blp.arguments(AttemptStartSchema)
    @blp.response(201, AttemptSchema)
    def post(self, body: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """Start the calling student's next attempt (409 when one is open or none is left)."""
        principal = current_principal()
        session = request_session()
        record = access.quiz_to_start(session, principal, quiz_id)
        return usecases.start(
            session,
            record,
            student_id=principal.sub,
            role=principal.role,
            context=usecases.StartContext(
                is_practice=body["is_practice"],
                environment=body.get("environment"),
                session_id=body.get("session_id"),
                device_info=body.get("device_info"),
                location=body.get("location_info"),
                client_ip=request.remote_addr,
            ),
            ip_hash_key=service_context().settings.ip_hash_key,
            now=utcnow(),
            cause=correlation_id(),
        )


@blp.route("/attempts/<attempt_id>/answers/<question_id>")
class AnswerView(MethodView):
    @blp.doc(requestBody=ANSWER_BODY)
    @blp.response(200, SavedAnswerSchema)
    def put(self, attempt_id: str, question_id: str) -> Response:
        """Save the student's answer to one question (409 once submitted or out of time)."""
        # The most frequent request: the body decoded by msgspec, statements built once,
        # and the answer commits with its audit in one transaction: on PostgreSQL a
        # driver transaction without a session, unless the attempt needs the general
        # path. A body not sent as JSON is read as no body, as webargs read it (422:
        # answer is missing).
        body = decode_answer(request.get_data(cache=True) if request.is_json else b"")
        principal = current_principal()
        now = utcnow()
        database = service_context().database
        saved = None
        if database.dialect == "postgresql":
            saved = usecases.answer_on_driver(
                database,
                principal,
                attempt_id,
                question_id=question_id,
                answer=body.answer,
                time_spent=body.time_spent,
                confidence_level=body.confidence_level,
                now=now,
            )
        if saved is None:
            session = request_session()
            saved = usecases.answer(
                session,
                access.attempt_to_answer(session, principal, attempt_id),
                question_id=question_id,
                answer=body.answer,
                time_spent=body.time_spent,
                confidence_level=body.confidence_level,
                now=now,
                cause=correlation_id(),
            )
        record = saved.record
        return dumped_response(
            SAVED_ANSWER_DUMPER,
            {
                "attempt_id": attempt_id,
                "question_id": record.question_id,
                "question_type": saved.question_type,
                "answer": record.answer,
                "time_spent": record.time_spent_seconds,
                "attempts_before_answer": record.attempts_before_answer,
                "confidence_level": record.confidence_level,
                "question_order": saved.question_order,
            },
        )


@blp.route("/attempts/<attempt_id>/integrity-flags")
class IntegrityFlagsView(MethodView):
    @blp.arguments(IntegrityFlagInSchema)
    @blp.response(200, AttemptSchema)
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Record an integrity flag; a repeat within a second folds into the one held."""
        principal = current_principal()
        session = request_session()
        attempt, quiz = access.attempt_for(
            session, principal, attempt_id, action="flag", rule=access.is_own_attempt, lock=True
        )
        return usecases.flag(
            session, attempt, quiz, body, role=principal.role, now=utcnow(), cause=correlation_id()
        )


@blp.route("/attempts/<attempt_id>/submission")
class SubmissionView(MethodView):
    @blp.response(200, AttemptSchema)
    def post(self, attempt_id: str) -> dict[str, Any]:
        """Submit and score the attempt; submitting again returns the same result."""
        principal = current_principal()
        session = request_session()
        attempt, quiz = access.attempt_for(
            session, principal, attempt_id, action="submit", rule=access.is_own_attempt, lock=True
        )
        return usecases.submit(
            session, attempt, quiz, role=principal.role, now=utcnow(), cause=correlation_id()
        )


@blp.route("/attempts/<attempt_id>/feedback")
class FeedbackView(MethodView):
    @blp.arguments(FeedbackInSchema)
    @blp.response(200, AttemptSchema)
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """A teacher's feedback and points per question; rescores, emits graded once final."""
        principal = current_principal()
        session = request_session()
        attempt, quiz = access.attempt_for(
            session, principal, attempt_id, action="grade", rule=access.is_course_staff, lock=True
        )
        return usecases.give_feedback(
            session,
            attempt,
            quiz,
            feedback=body.get("feedback"),
            points=body["points"],
            by=principal.sub,
            role=principal.role,
            now=utcnow(),
            cause=correlation_id(),
        )


@blp.route("/attempts/<attempt_id>")
class AttemptView(MethodView):
    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """The attempt as the caller's role may see it."""
        principal = current_principal()
        session = request_session()
        attempt, quiz = access.attempt_for(session, principal, attempt_id, action="read")
        return usecases.read_attempt(
            session, attempt, quiz, role=principal.role, now=utcnow(), cause=correlation_id()
        )


@blp.route("/attempts/<attempt_id>/questions")
class AttemptQuestionsView(MethodView):
    @blp.response(200, PresentedAttemptQuestionsSchema)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """The questions presented so far, in the attempt's order, options in its order."""
        attempt, quiz = access.attempt_for(
            request_session(), current_principal(), attempt_id, action="read"
        )
        return {
            "attempt_id": attempt.id,
            "questions": presented_questions(quiz, attempt.id, attempt.question_order),
        }


@blp.route("/attempts")
class AttemptsView(MethodView):
    @blp.arguments(AttemptQuerySchema, location="query")
    @blp.response(200, AttemptPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Attempts the caller may see, filtered, oldest start first."""
        principal = current_principal()
        page, documents = usecases.list_attempts(request_session(), principal, query)
        audit_listing(
            principal,
            action="list",
            resource="attempts",
            rows=[(row.student_id, row.course_id) for row in page.items],
        )
        return {"items": documents, "next_cursor": page.next_cursor}


@blp.route("/attempts/sweep")
class SweepView(MethodView):
    @blp.response(200, SweepResultSchema)
    def post(self) -> dict[str, Any]:
        """Close every attempt past its deadline (service tokens and admins; run by cron)."""
        principal = current_principal()
        access.authorize_operator(principal, action="sweep")
        closed = usecases.sweep(request_session(), utcnow())
        audit_listing(
            principal,
            action="close_expired",
            resource="attempts",
            rows=[(attempt.student_id, attempt.course_id) for attempt in closed],
        )
        return {"closed": len(closed), "attempt_ids": [attempt.id for attempt in closed]}
