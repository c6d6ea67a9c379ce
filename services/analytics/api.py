"""HTTP routes of the analytics service: parse, authorize, call one use case, serialize.

Reading a student's analytics is audited (allowed or refused); a caller who may not
see the student (or the course) gets 404, exactly as for an unknown student.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from services.analytics import usecases
from services.analytics.domain.periods import PeriodType, period_of
from services.analytics.schemas import (
    AnalyticsQuerySchema,
    CourseAnalyticsSchema,
    LearningAnalyticsSchema,
    PrivateAggregateInSchema,
    PrivateAggregateSchema,
    PseudonymousExportSchema,
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
from shared.errors import InvalidInput, NotFound
from shared.time import utcnow
from shared.web import current_principal, read_session, request_session, service_context

DESCRIPTION = (
    "LearningAnalytics: aggregates, comparisons, predictions and risk, built by Celery workers."
)

blp = Blueprint("analytics", __name__, description=DESCRIPTION)

MAX_ID = 120


def _checked_id(value: str, name: str) -> str:
    if not value or len(value) > MAX_ID:
        raise InvalidInput.for_field(name, f"must be 1 to {MAX_ID} characters")
    return value


@blp.route("/students/<student_id>/analytics")
class StudentAnalyticsView(MethodView):
    @blp.arguments(AnalyticsQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, LearningAnalyticsSchema)
    def get(self, query: dict[str, Any], student_id: str) -> dict[str, Any]:
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
        return analytics.document


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
