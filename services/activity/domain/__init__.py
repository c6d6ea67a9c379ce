"""The activity service's pure rules: the ActivityLog vocabulary and limits, the checks a
record must pass, data minimization, sessions and monthly partitions. No I/O."""

from services.activity.domain.minimization import hash_ip, strip_query
from services.activity.domain.months import (
    month_of,
    month_range,
    months_ahead,
    months_to_archive,
    next_month,
    parse_month,
    partition_name,
)
from services.activity.domain.records import (
    ACTIVITY_TYPES,
    CATEGORIES,
    CONNECTION_TYPES,
    DEFAULT_CATEGORY,
    INPUT_METHODS,
    LIMITS,
    MAX_BATCH_RECORDS,
    REQUIRED_CONTEXT,
    ActivityCategory,
    ActivityType,
    ConnectionType,
    InputMethod,
    Limits,
    duplicate_problems,
    is_time_zone,
    record_problems,
)
from services.activity.domain.sessions import session_duration_minutes

__all__ = [
    "ACTIVITY_TYPES",
    "CATEGORIES",
    "CONNECTION_TYPES",
    "DEFAULT_CATEGORY",
    "INPUT_METHODS",
    "LIMITS",
    "MAX_BATCH_RECORDS",
    "REQUIRED_CONTEXT",
    "ActivityCategory",
    "ActivityType",
    "ConnectionType",
    "InputMethod",
    "Limits",
    "duplicate_problems",
    "hash_ip",
    "is_time_zone",
    "month_of",
    "month_range",
    "months_ahead",
    "months_to_archive",
    "next_month",
    "parse_month",
    "partition_name",
    "record_problems",
    "session_duration_minutes",
    "strip_query",
]
