"""The reports service's commands and queries: one function each, owning its transaction.

A use case loads through ``store``, decides with ``domain``, writes its events to the
outbox in the same transaction, and commits together with its audit rows
(``commit_with_audit``) or, for the worker and the consumer, in its own unit of work.

``reports`` (request, read, annotate, list), ``sharing``, ``course_settings``,
``certificates``, ``jobs`` (the worker and the schedule) and ``projections`` (consumed
events); ``report_views`` holds what they share: the report as served, and who may view it.
"""

from services.reports.usecases.certificates import certificate_file, issue_certificate
from services.reports.usecases.course_settings import configure_course, show_course_settings
from services.reports.usecases.jobs import (
    JobSkipped,
    build_report,
    enqueue_after_commit,
    fail_build,
    schedule_term_reports,
    start_build,
)
from services.reports.usecases.projections import (
    record_achievements,
    record_assignment_works,
    record_course_completions,
    record_enrollments,
    record_lesson_completion,
    record_quiz_attempt,
    record_risk_levels,
)
from services.reports.usecases.report_views import Enqueue, RenderedDocument, report_document
from services.reports.usecases.requests import (
    enter_teacher_input,
    list_reports,
    new_report,
    report_file,
    request_report,
    show_report,
)
from services.reports.usecases.sharing import (
    create_share_link,
    hash_token,
    list_share_links,
    open_share_link,
    revoke_share_link,
)

__all__ = [
    "Enqueue",
    "JobSkipped",
    "RenderedDocument",
    "build_report",
    "certificate_file",
    "configure_course",
    "create_share_link",
    "enqueue_after_commit",
    "enter_teacher_input",
    "fail_build",
    "hash_token",
    "issue_certificate",
    "list_reports",
    "list_share_links",
    "new_report",
    "open_share_link",
    "record_achievements",
    "record_assignment_works",
    "record_course_completions",
    "record_enrollments",
    "record_lesson_completion",
    "record_quiz_attempt",
    "record_risk_levels",
    "report_document",
    "report_file",
    "request_report",
    "revoke_share_link",
    "schedule_term_reports",
    "show_course_settings",
    "show_report",
    "start_build",
]
