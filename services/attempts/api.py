"""HTTP routes of the attempts service: parse, authorize, call the domain, serialize.

Quizzes and item analysis are in the first half, the attempt lifecycle in the second.
Every change is one transaction that also carries its events (the outbox); an attempt
found past its deadline is closed (and that closing committed) before anything else.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from services.attempts import access, attempts
from services.attempts.documents import document_for, question_result
from services.attempts.domain import (
    AttemptForAnalysis,
    AttemptStatus,
    Quiz,
    analyze_items,
)
from services.attempts.models import Attempt, AttemptAnswer
from services.attempts.quizzes import (
    parsed_quiz,
    presented_questions,
    publish_quiz,
    quiz_record,
    quiz_version,
    quizzes_of_versions,
)
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
)
from shared.audit import audit_listing, audit_missing, commit_with_audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events.envelope import utcnow
from shared.pagination import paginate
from shared.web import current_principal, dumped_response, request_session, service_context

DESCRIPTION = (
    "QuizAttempt: quiz definitions, the attempt lifecycle, scoring, integrity flags "
    "and teacher feedback."
)

blp = Blueprint("attempts", __name__, description=DESCRIPTION)
ATTEMPTS = cast(sa.Table, Attempt.__table__)
#: One instance for every answer save: given a class, webargs builds a schema per request.
ANSWER_IN = AnswerInSchema()


def correlation_id() -> str | None:
    request_id: str | None = g.get("request_id")
    return request_id


# -- quizzes -----------------------------------------------------------------------------
def _quiz_out(principal: Principal, record: Any, version: Any, quiz: Quiz) -> dict[str, Any]:
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
        session = request_session()
        record = quiz_record(session, quiz_id)
        number = query.get("version", record.current_version if record else 0)
        if record is None or number > record.current_version:
            raise NotFound(f"quiz {quiz_id} not found")
        version, quiz = quiz_version(session, quiz_id, number)
        return _quiz_out(current_principal(), record, version, quiz)

    @blp.arguments(QuizInSchema)
    @blp.response(200, QuizOutSchema)
    def put(self, body: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """Publish a quiz definition (teachers of its course, admins); a change adds a version."""
        principal = current_principal()
        session = request_session()
        existing = quiz_record(session, quiz_id, lock=True)
        if existing is not None and existing.course_id != body["course_id"]:
            # A quiz id is owned by the course that created it: a teacher of the course
            # the body names learns only that the id is taken (the quiz is readable by
            # any caller anyway), and chooses another.
            access.authorize_quiz_author(principal, quiz_id, body["course_id"], action="publish")
            raise Conflict(f"quiz id {quiz_id} is taken by another course; choose another id")
        course_id = existing.course_id if existing is not None else body["course_id"]
        access.authorize_quiz_author(principal, quiz_id, course_id, action="publish")
        record, version, quiz = publish_quiz(session, quiz_id, body, by=principal.sub, now=utcnow())
        session.commit()
        return _quiz_out(principal, record, version, quiz)


@blp.route("/quizzes/<quiz_id>/item-analysis")
class ItemAnalysisView(MethodView):
    @blp.arguments(QuizVersionQuerySchema, location="query")
    @blp.response(200, ItemAnalysisSchema)
    def get(self, query: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """Facility and discrimination per question over closed, graded-kind attempts."""
        principal = current_principal()
        session = request_session()
        record = quiz_record(session, quiz_id)
        if record is None:
            raise NotFound(f"quiz {quiz_id} not found")
        access.authorize_quiz_author(principal, quiz_id, record.course_id, action="analyse")
        number = query.get("version", record.current_version)
        if number > record.current_version:
            raise NotFound(f"quiz {quiz_id} has no version {number}")
        _, quiz = quiz_version(session, quiz_id, number)
        rows = (
            session.execute(
                sa.select(Attempt).where(
                    Attempt.quiz_id == quiz_id,
                    Attempt.quiz_version == number,
                    Attempt.is_practice.is_(False),
                    Attempt.status != AttemptStatus.IN_PROGRESS.value,
                )
            )
            .scalars()
            .all()
        )
        analysed = [
            AttemptForAnalysis(
                attempt_id=row.id,
                status=AttemptStatus(row.status),
                is_practice=row.is_practice,
                score=row.score or 0.0,
                results=tuple(question_result(stored) for stored in row.results or []),
            )
            for row in rows
        ]
        audit_listing(
            principal,
            action="analyse",
            resource=f"quiz/{quiz_id}/item-analysis",
            rows=[(row.student_id, row.course_id) for row in rows],
        )
        return {
            "quiz_id": quiz_id,
            "version": number,
            "attempts_counted": len(analysed),
            "items": analyze_items(quiz, analysed),
        }


# -- attempts ----------------------------------------------------------------------------
def _attempt(
    session: Session,
    attempt_id: str,
    *,
    action: str,
    rule: access.Rule | None = None,
    lock: bool = False,
) -> tuple[Attempt, Quiz]:
    attempt = access.attempt_for(
        session, current_principal(), attempt_id, action=action, rule=rule, lock=lock
    )
    return attempt, parsed_quiz(session, attempt.quiz_id, attempt.quiz_version)


def _document(session: Session, attempt: Attempt, quiz: Quiz) -> dict[str, Any]:
    answers = attempts.answers_of(session, attempt.id)
    return document_for(current_principal().role, attempt, quiz, answers)


def _close_if_expired(session: Session, attempt: Attempt, quiz: Quiz) -> bool:
    """Close a touched attempt that ran out of time (the caller commits); True if it did.

    Views build their response before committing: on SQLite a query after the commit
    would open a write transaction that the audit writer then waits for.
    """
    return not attempts.ensure_open(session, attempt, quiz, utcnow(), correlation_id())


@blp.route("/quizzes/<quiz_id>/attempts")
class QuizAttemptsView(MethodView):
    @blp.arguments(AttemptStartSchema)
    @blp.response(201, AttemptSchema)
    def post(self, body: dict[str, Any], quiz_id: str) -> dict[str, Any]:
        """Start the calling student's next attempt (409 when one is open or none is left)."""
        principal = current_principal()
        session = request_session()
        record = quiz_record(session, quiz_id)
        if record is None:
            raise audit_missing(principal, action="start", resource=f"quiz/{quiz_id}")
        access.authorize_start(principal, quiz_id, record.course_id)
        quiz = parsed_quiz(session, quiz_id, record.current_version)
        attempt = attempts.start(
            session,
            record,
            quiz,
            student_id=principal.sub,
            context=attempts.StartContext(
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
        session.commit()
        return document_for(principal.role, attempt, quiz, [])


@blp.route("/attempts/<attempt_id>/answers/<question_id>")
class AnswerView(MethodView):
    @blp.arguments(ANSWER_IN)
    @blp.response(200, SavedAnswerSchema)
    def put(self, body: dict[str, Any], attempt_id: str, question_id: str) -> Response:
        """Save the student's answer to one question (409 once submitted or out of time)."""
        # The most frequent request: statements built once, and the answer commits with
        # its audit in one transaction.
        session = request_session()
        target = access.authorize_attempt(
            current_principal(),
            attempt_id,
            attempts.answer_target(session, attempt_id),
            action="answer",
            rule=access.is_own_attempt,
        )
        quiz = parsed_quiz(session, target.quiz_id, target.quiz_version)
        now = utcnow()
        if attempts.is_due_closing(target, quiz, now):
            attempt = session.get_one(Attempt, attempt_id)  # locked by answer_target
            attempts.close_expired(session, [attempt], now, correlation_id())
            session.commit()
            raise attempts.expired_error()
        saved = attempts.save_answer(
            session,
            target,
            quiz,
            question_id=question_id,
            answer=body["answer"],
            time_spent=body["time_spent"],
            confidence_level=body["confidence_level"],
            now=now,
        )
        record = saved.record
        response = dumped_response(
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
        commit_with_audit(session, response.status_code)
        return response


@blp.route("/attempts/<attempt_id>/integrity-flags")
class IntegrityFlagsView(MethodView):
    @blp.arguments(IntegrityFlagInSchema)
    @blp.response(200, AttemptSchema)
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Record an integrity flag; a repeat within a second folds into the one held."""
        session = request_session()
        attempt, quiz = _attempt(
            session, attempt_id, action="flag", rule=access.is_own_attempt, lock=True
        )
        _close_if_expired(session, attempt, quiz)
        attempts.add_flag(session, attempt, body, utcnow(), correlation_id())
        document = _document(session, attempt, quiz)
        session.commit()
        return document


@blp.route("/attempts/<attempt_id>/submission")
class SubmissionView(MethodView):
    @blp.response(200, AttemptSchema)
    def post(self, attempt_id: str) -> dict[str, Any]:
        """Submit and score the attempt; submitting again returns the same result."""
        session = request_session()
        attempt, quiz = _attempt(
            session, attempt_id, action="submit", rule=access.is_own_attempt, lock=True
        )
        _close_if_expired(session, attempt, quiz)
        attempts.submit(session, attempt, quiz, utcnow(), correlation_id())
        document = _document(session, attempt, quiz)
        session.commit()
        return document


@blp.route("/attempts/<attempt_id>/feedback")
class FeedbackView(MethodView):
    @blp.arguments(FeedbackInSchema)
    @blp.response(200, AttemptSchema)
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """A teacher's feedback and points per question; rescores, emits graded once final."""
        principal = current_principal()
        session = request_session()
        attempt, quiz = _attempt(
            session, attempt_id, action="grade", rule=access.is_course_staff, lock=True
        )
        _close_if_expired(session, attempt, quiz)
        attempts.give_feedback(
            session,
            attempt,
            quiz,
            feedback=body.get("feedback"),
            points=body["points"],
            by=principal.sub,
            now=utcnow(),
            cause=correlation_id(),
        )
        document = _document(session, attempt, quiz)
        session.commit()
        return document


@blp.route("/attempts/<attempt_id>")
class AttemptView(MethodView):
    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """The attempt as the caller's role may see it."""
        session = request_session()
        attempt, quiz = _attempt(session, attempt_id, action="read")
        closed = _close_if_expired(session, attempt, quiz)
        document = _document(session, attempt, quiz)
        if closed:
            session.commit()
        return document


@blp.route("/attempts/<attempt_id>/questions")
class AttemptQuestionsView(MethodView):
    @blp.response(200, PresentedAttemptQuestionsSchema)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """The questions presented so far, in the attempt's order, options in its order."""
        session = request_session()
        attempt, quiz = _attempt(session, attempt_id, action="read")
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
        session = request_session()
        conditions = principal.scope().where(Attempt.student_id, Attempt.course_id)
        for name in ("student_id", "quiz_id", "course_id", "status"):
            if query.get(name) is not None:
                conditions.append(getattr(Attempt, name) == query[name])
        page = paginate(
            session,
            sa.select(Attempt).where(*conditions),
            [ATTEMPTS.c.started_at, ATTEMPTS.c.id],
            limit=query["limit"],
            cursor=query["cursor"],
            key_of=lambda row: [row.started_at, row.id],
            datetime_positions=[0],
        )
        audit_listing(
            principal,
            action="list",
            resource="attempts",
            rows=[(row.student_id, row.course_id) for row in page.items],
        )
        quizzes = quizzes_of_versions(session, {(a.quiz_id, a.quiz_version) for a in page.items})
        answers: dict[str, list[AttemptAnswer]] = {row.id: [] for row in page.items}
        if answers:
            for answer in session.execute(
                sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(list(answers)))
            ).scalars():
                answers[answer.attempt_id].append(answer)
        return {
            "items": [
                document_for(
                    principal.role, row, quizzes[(row.quiz_id, row.quiz_version)], answers[row.id]
                )
                for row in page.items
            ],
            "next_cursor": page.next_cursor,
        }


@blp.route("/attempts/sweep")
class SweepView(MethodView):
    @blp.response(200, SweepResultSchema)
    def post(self) -> dict[str, Any]:
        """Close every attempt past its deadline (service tokens and admins; run by cron)."""
        principal = current_principal()
        access.authorize_operator(principal, action="sweep")
        session = request_session()
        closed = attempts.close_expired_attempts(session, utcnow())
        audit_listing(
            principal,
            action="close_expired",
            resource="attempts",
            rows=[(attempt.student_id, attempt.course_id) for attempt in closed],
        )
        session.commit()
        return {"closed": len(closed), "attempt_ids": [attempt.id for attempt in closed]}
