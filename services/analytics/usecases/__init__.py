"""The analytics service's commands and queries: one function each.

Recording facts runs inside the consumer's transaction (the consumer commits it with
the inbox row); the worker's refreshes and jobs own their transactions; queries load
facts through the store and compute with the domain.
"""

from services.analytics.usecases.privacy import (
    private_aggregate_by_course,
    pseudonymous_export,
)
from services.analytics.usecases.reading import (
    course_analytics,
    leaderboard,
    set_leaderboard_membership,
    student_achievements,
    student_analytics,
)
from services.analytics.usecases.recording import (
    record_activities,
    record_facts,
    record_outlines,
)
from services.analytics.usecases.refresh import (
    evaluate_risk_model,
    recompute_job,
    refresh_pending,
    refresh_student,
    refresh_students,
    request_recompute,
    retrain_risk_model,
    run_recompute,
)
from services.analytics.usecases.rollup import Aggregated, aggregate_days

__all__ = [
    "Aggregated",
    "aggregate_days",
    "course_analytics",
    "evaluate_risk_model",
    "leaderboard",
    "private_aggregate_by_course",
    "pseudonymous_export",
    "recompute_job",
    "record_activities",
    "record_facts",
    "record_outlines",
    "refresh_pending",
    "refresh_student",
    "refresh_students",
    "request_recompute",
    "retrain_risk_model",
    "run_recompute",
    "set_leaderboard_membership",
    "student_achievements",
    "student_analytics",
]
