"""HTTP routes of the reports service: parse, authorize, call one use case, serialize."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g
from flask.views import MethodView
from sqlalchemy.orm import Session

from services.reports import usecases
from services.reports.schemas import (
    CourseSettingsOutSchema,
    CourseSettingsSchema,
    DocumentQuerySchema,
    ReportInSchema,
    ReportPageSchema,
    ReportQuerySchema,
    ReportSchema,
    ShareLinkInSchema,
    ShareLinkSchema,
    TeacherInputSchema,
)
from shared.blueprints import Blueprint
from shared.web import current_principal, request_session, service_context

DESCRIPTION = (
    "PerformanceReport: report jobs, documents (PDF, HTML, JSON), share links and the access log."
)

blp = Blueprint("reports", __name__, description=DESCRIPTION)


def _enqueue(session: Session, report_id: str, job_id: str) -> None:
    usecases.enqueue_after_commit(session, current_app.extensions["celery"], report_id, job_id)


def _file(document: usecases.RenderedDocument, name: str) -> Response:
    response = Response(document.body, mimetype=document.media_type.split(";")[0])
    response.headers["Content-Type"] = document.media_type
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{document.fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Stride-Cache"] = "hit" if document.cached else "miss"
    return response


@blp.route("/reports")
class ReportsView(MethodView):
    @blp.arguments(ReportInSchema)
    @blp.response(202, ReportSchema)
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Queue a report; a worker builds it. Answers 202 with the report's URL (Location)."""
        document = usecases.request_report(
            request_session(), current_principal(), data, enqueue=_enqueue
        )
        return document, 202, {"Location": document["document_url"].removesuffix("/document")}

    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Reports the caller may see (newest last), filtered by student and course."""
        return usecases.list_reports(
            request_session(),
            current_principal(),
            query.get("student_id"),
            query.get("course_id"),
            limit=query["limit"],
            cursor=query.get("cursor"),
        )


@blp.route("/reports/<report_id>")
class ReportView(MethodView):
    @blp.response(200, ReportSchema)
    def get(self, report_id: str) -> dict[str, Any]:
        """The report: its status (queued, running, ready, failed and why) and content."""
        return usecases.show_report(
            request_session(), current_principal(), report_id, g.get("request_id")
        )


@blp.route("/reports/<report_id>/document")
class ReportDocumentView(MethodView):
    @blp.arguments(DocumentQuerySchema, location="query")
    @blp.response(200, description="the document (PDF, HTML or JSON)")
    def get(self, query: dict[str, Any], report_id: str) -> Response:
        """The rendered document, cached until the report's data changes."""
        document = usecases.report_file(
            request_session(),
            current_principal(),
            report_id,
            query.get("format"),
            g.get("request_id"),
        )
        return _file(document, f"report-{report_id}")


@blp.route("/reports/<report_id>/teacher-input")
class TeacherInputView(MethodView):
    @blp.arguments(TeacherInputSchema)
    @blp.response(202, ReportSchema)
    def put(self, data: dict[str, Any], report_id: str) -> tuple[dict[str, Any], int]:
        """Comments, goals, behaviour and effort scores, action items...: the report is rebuilt."""
        document = usecases.enter_teacher_input(
            request_session(), current_principal(), report_id, data, enqueue=_enqueue
        )
        return document, 202


@blp.route("/reports/<report_id>/share-links")
class ShareLinksView(MethodView):
    @blp.arguments(ShareLinkInSchema)
    @blp.response(201, ShareLinkSchema)
    def post(self, data: dict[str, Any], report_id: str) -> tuple[dict[str, Any], int]:
        """A share link until ``expires_at``; its URL (with the token) is shown only now."""
        link = usecases.create_share_link(
            request_session(),
            current_principal(),
            report_id,
            data["expires_at"],
            service_context().settings,
        )
        return link, 201

    @blp.response(200, ShareLinkSchema(many=True))
    def get(self, report_id: str) -> list[dict[str, Any]]:
        """The report's share links (without their tokens)."""
        return usecases.list_share_links(request_session(), current_principal(), report_id)


@blp.route("/reports/<report_id>/share-links/<link_id>")
class ShareLinkView(MethodView):
    @blp.response(200, ShareLinkSchema)
    def delete(self, report_id: str, link_id: str) -> dict[str, Any]:
        """Revoke a share link: it is refused from now on."""
        return usecases.revoke_share_link(
            request_session(), current_principal(), report_id, link_id
        )


@blp.route("/shared/<token>")
class SharedReportView(MethodView):
    @blp.arguments(DocumentQuerySchema, location="query")
    @blp.response(200, description="the shared report's document")
    def get(self, query: dict[str, Any], token: str) -> Response:
        """A shared report, for any signed-in holder of a valid (unexpired, unrevoked) link."""
        document = usecases.open_share_link(
            request_session(), current_principal(), token, query.get("format"), g.get("request_id")
        )
        return _file(document, "shared-report")


@blp.route("/courses/<course_id>/settings")
class CourseSettingsView(MethodView):
    @blp.arguments(CourseSettingsSchema)
    @blp.response(200, CourseSettingsOutSchema)
    def put(self, data: dict[str, Any], course_id: str) -> dict[str, Any]:
        """The course's grading scale (letter bands, GPA points), credit hours and due dates."""
        return usecases.configure_course(request_session(), current_principal(), course_id, data)

    @blp.response(200, CourseSettingsOutSchema)
    def get(self, course_id: str) -> dict[str, Any]:
        return usecases.show_course_settings(request_session(), current_principal(), course_id)


@blp.route("/certificates/<certificate_id>.pdf")
class CertificateView(MethodView):
    @blp.response(200, description="the certificate PDF")
    def get(self, certificate_id: str) -> Response:
        """A course certificate (the student, their parents, the course's teachers, admins)."""
        body = usecases.certificate_file(request_session(), current_principal(), certificate_id)
        response = Response(body, mimetype="application/pdf")
        response.headers["Content-Disposition"] = (
            f'inline; filename="certificate-{certificate_id}.pdf"'
        )
        return response
