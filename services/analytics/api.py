"""HTTP routes of the analytics service: parse, authorize, call one use case, serialize.

Reading a student's analytics is audited (allowed or refused); a caller who may not
see the student (or the course) gets 404, exactly as for an unknown student.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE

from services.analytics import usecases
from services.analytics.domain.periods import PeriodType, period_of
from services.analytics.schemas import (
    AchievementsQuerySchema,
    AnalyticsQuerySchema,
    CourseAnalyticsSchema,
    LeaderboardSchema,
    LearningAnalyticsSchema,
    PrivateAggregateInSchema,
    PrivateAggregateSchema,
    PseudonymousExportSchema,
    RecomputeInSchema,
    RecomputeJobSchema,
    StudentAchievementsSchema,
)
from shared.audit import (
    DENIED,
    audit_access,
    audit_listing,
    audit_missing,
    authorize,
    authorize_action,
    commit_with_audit,
)
from shared.blueprints import Blueprint
from shared.errors import InvalidInput, NotFound
from shared.serialization import CompiledDumper
from shared.tasks import send_task_after_commit
from shared.time import utcnow
from shared.web import (
    current_principal,
    dumped_response,
    read_session,
    request_session,
    service_context,
)

DESCRIPTION = (
    "LearningAnalytics: aggregates, comparisons, predictions and risk, built by Celery workers."
)

blp = Blueprint("analytics", __name__, description=DESCRIPTION)

MAX_ID = 120


def _checked_id(value: str, name: str) -> str:
    if not value or len(value) > MAX_ID:
        raise InvalidInput.for_field(name, f"must be 1 to {MAX_ID} characters")
    return value


#: the document through a compiled dumper (the schema stays the documentation)
DOCUMENT = CompiledDumper(LearningAnalyticsSchema)


@blp.route("/students/<student_id>/analytics")
class StudentAnalyticsView(MethodView):
    @blp.arguments(AnalyticsQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, LearningAnalyticsSchema)
    def get(self, query: dict[str, Any], student_id: str) -> Response:
        """The student's LearningAnalytics for a period, in one course or in all.

        Students see their own, parents their children's, teachers their courses'
        (with ``course_id``), admins all.
        """
        principal = current_principal()
        _checked_id(student_id, "student_id")
        course_id = query["course_id"]
        now = utcnow()
        period = period_of(
            PeriodType(query["period_type"]), query["start_date"], query["end_date"], now
        )
        resource = f"student/{student_id}/analytics"
        authorize(
            principal,
            action="read",
            resource=resource,
            student_id=student_id,
            course_id=course_id,
        )
        analytics = usecases.student_analytics(read_session(), student_id, course_id, period, now)
        if analytics is None:
            raise audit_missing(principal, action="read", resource=resource)
        return dumped_response(DOCUMENT, analytics.document)


@blp.route("/courses/<course_id>/analytics")
class CourseAnalyticsView(MethodView):
    @blp.response(200, CourseAnalyticsSchema)
    def get(self, course_id: str) -> dict[str, Any]:
        """The class view: distributions of progress and scores, the at-risk list with
        each student's reasons. For the course's teachers and admins."""
        principal = current_principal()
        _checked_id(course_id, "course_id")
        resource = f"course/{course_id}/analytics"
        if not (principal.is_unrestricted or course_id in principal.courses):
            audit_access(
                principal,
                action="read",
                resource=resource,
                student_id=None,
                course_id=course_id,
                outcome=DENIED,
            )
            raise NotFound(f"{resource} not found")
        view = usecases.course_analytics(read_session(), course_id, utcnow())
        if view is None:
            raise audit_missing(principal, action="read", resource=resource)
        audit_listing(
            principal,
            action="read",
            resource=resource,
            rows=[(row["student_id"], course_id) for row in view["at_risk"]],
        )
        return view


def _authorize_beyond_class(resource: str, course_id: str | None = None) -> None:
    principal = current_principal()
    authorize_action(
        principal,
        allowed=principal.is_unrestricted,
        action="read",
        resource=resource,
        course_id=course_id,
    )


@blp.route("/private-aggregates")
class PrivateAggregatesView(MethodView):
    @blp.arguments(PrivateAggregateInSchema)
    @blp.response(200, PrivateAggregateSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """A metric per course for views beyond a class (school-wide): groups below the
        minimum size suppressed, Laplace noise within the month's privacy budget (409
        when spent). Admins and services only."""
        _authorize_beyond_class("private-aggregates")
        now = utcnow()
        period = period_of(PeriodType.CUSTOM, body["start_date"], body["end_date"], now)
        session = request_session()
        result = usecases.private_aggregate_by_course(
            session,
            metric=body["metric"],
            course_ids=body["course_ids"],
            period=period,
            epsilon=body["epsilon"],
            settings=service_context().settings,
            actor=current_principal().sub,
            now=now,
        )
        commit_with_audit(session, 200)
        return result


@blp.route("/exports/courses/<course_id>/students")
class PseudonymousExportView(MethodView):
    @blp.response(200, PseudonymousExportSchema)
    def get(self, course_id: str) -> dict[str, Any]:
        """A course's students under pseudonyms (keyed hash) with coarse bands, for
        exports beyond the class; a course below the minimum group size is refused (409).
        Admins and services only."""
        _checked_id(course_id, "course_id")
        resource = f"exports/course/{course_id}/students"
        _authorize_beyond_class(resource, course_id)
        export = usecases.pseudonymous_export(
            read_session(), course_id, service_context().settings, utcnow()
        )
        if export is None:
            raise audit_missing(current_principal(), action="read", resource=resource)
        return export


@blp.route("/students/<student_id>/achievements")
class StudentAchievementsView(MethodView):
    @blp.arguments(AchievementsQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, StudentAchievementsSchema)
    def get(self, query: dict[str, Any], student_id: str) -> dict[str, Any]:
        """The student's achievements and XP in a course (who may read their analytics)."""
        principal = current_principal()
        _checked_id(student_id, "student_id")
        resource = f"student/{student_id}/achievements"
        authorize(
            principal,
            action="read",
            resource=resource,
            student_id=student_id,
            course_id=query["course_id"],
        )
        found = usecases.student_achievements(
            read_session(), student_id, query["course_id"], utcnow()
        )
        if found is None:
            raise audit_missing(principal, action="read", resource=resource)
        return found


@blp.route("/courses/<course_id>/leaderboard/members/<student_id>")
class LeaderboardMembershipView(MethodView):
    @blp.response(204)
    def put(self, course_id: str, student_id: str) -> None:
        """Opt into the course's leaderboard (the student themself only)."""
        self._change(course_id, student_id, joined=True)

    @blp.response(204)
    def delete(self, course_id: str, student_id: str) -> None:
        """Opt out of the course's leaderboard (the student themself only)."""
        self._change(course_id, student_id, joined=False)

    def _change(self, course_id: str, student_id: str, *, joined: bool) -> None:
        principal = current_principal()
        _checked_id(course_id, "course_id")
        _checked_id(student_id, "student_id")
        resource = f"course/{course_id}/leaderboard/{student_id}"
        authorize(
            principal,
            action="join" if joined else "leave",
            resource=resource,
            student_id=student_id,
            course_id=course_id,
            change=True,
            permitted=principal.role == "student" and principal.sub == student_id,
        )
        session = request_session()
        if usecases.student_achievements(session, student_id, course_id, utcnow()) is None:
            raise audit_missing(principal, action="join", resource=resource)
        usecases.set_leaderboard_membership(session, course_id, student_id, joined, utcnow())
        commit_with_audit(session, 204)


@blp.route("/courses/<course_id>/leaderboard")
class LeaderboardView(MethodView):
    @blp.response(200, LeaderboardSchema)
    def get(self, course_id: str) -> dict[str, Any]:
        """The opted-in students by XP. A student who opted in sees their neighbours (two
        places above and below); the course's teachers and admins see all of it."""
        principal = current_principal()
        _checked_id(course_id, "course_id")
        resource = f"course/{course_id}/leaderboard"
        staff = principal.is_unrestricted or (
            principal.role == "teacher" and course_id in principal.courses
        )
        viewer = principal.sub if principal.role == "student" else None
        rows = None
        if staff or viewer is not None:
            rows = usecases.leaderboard(read_session(), course_id, viewer, utcnow())
        if rows is None:
            audit_access(
                principal,
                action="read",
                resource=resource,
                student_id=viewer,
                course_id=course_id,
                outcome=DENIED,
            )
            raise NotFound(f"{resource} not found")
        audit_listing(
            principal,
            action="read",
            resource=resource,
            rows=[(row["student_id"], course_id) for row in rows],
        )
        return {"course_id": course_id, "rows": rows}


@blp.route("/recompute-jobs")
class RecomputeJobsView(MethodView):
    @blp.arguments(RecomputeInSchema)
    @blp.response(202, RecomputeJobSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Recompute the analytics of a course (or of every course) on the worker; the
        job reports its progress. Admins only."""
        principal = current_principal()
        authorize_action(
            principal,
            allowed=principal.role == "admin",
            action="recompute",
            resource="recompute-jobs",
            course_id=body["course_id"],
        )
        session = request_session()
        job = usecases.request_recompute(session, body["course_id"], principal.sub, utcnow())
        send_task_after_commit(
            session, current_app.extensions["celery"], "analytics.recompute", job["id"]
        )
        commit_with_audit(session, 202)
        return job


@blp.route("/recompute-jobs/<job_id>")
class RecomputeJobView(MethodView):
    @blp.response(200, RecomputeJobSchema)
    def get(self, job_id: str) -> dict[str, Any]:
        """A recompute job's progress. Admins only."""
        principal = current_principal()
        authorize_action(
            principal,
            allowed=principal.role == "admin",
            action="read",
            resource=f"recompute-jobs/{job_id[:60]}",
        )
        job = usecases.recompute_job(read_session(), job_id)
        if job is None:
            raise NotFound(f"recompute job {job_id[:60]} not found")
        return job
