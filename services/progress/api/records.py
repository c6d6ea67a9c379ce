"""HTTP route of an institution's historical records: enrollments, submissions and final
results in batches (admins and services, such as an importer)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from services.progress import access
from services.progress.domain import FinalResult, FinalResultRecord, SubmissionRecord
from services.progress.events import Occasion
from services.progress.schemas import EnrollmentRecordsInSchema, EnrollmentRecordsOutSchema
from services.progress.usecases.records import EnrollmentRecord, record_enrollment_history
from shared.blueprints import Blueprint
from shared.time import utcnow
from shared.web import current_principal, request_session

records_blp = Blueprint(
    "progress_records",
    __name__,
    description="An institution's past enrollments, submissions and final results, in batches.",
)


@records_blp.route("/enrollment-records")
class EnrollmentRecordsView(MethodView):
    @records_blp.arguments(EnrollmentRecordsInSchema)
    @records_blp.response(200, EnrollmentRecordsOutSchema)
    @records_blp.alt_response(
        409, description="a record contradicts what is recorded (its index says which)"
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record up to 500 past enrollments, all or nothing; the same records again change
        nothing (admins and services only)."""
        records = [_record_of(raw) for raw in body["records"]]
        access.authorize_record_keeping(current_principal(), (r.key for r in records))
        outcomes = record_enrollment_history(
            request_session(), records, Occasion(utcnow(), g.get("request_id"))
        )
        return {"results": outcomes}


def _record_of(raw: dict[str, Any]) -> EnrollmentRecord:
    final = raw["final_result"]
    return EnrollmentRecord(
        student_id=raw["student_id"],
        course_id=raw["course_id"],
        enrolled_at=raw["enrolled_at"],
        time_zone=raw["time_zone"],
        submissions=tuple(SubmissionRecord(**submission) for submission in raw["submissions"]),
        final_result=None
        if final is None
        else FinalResultRecord(FinalResult(final["result"]), final["at"]),
    )
