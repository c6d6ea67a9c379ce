"""The progress service's pure rules: no database, no Flask, no clock, no randomness."""

from .assignments import (
    AssignmentChange,
    AssignmentEntry,
    AssignmentGrading,
    AssignmentReturn,
    AssignmentStatus,
    AssignmentSubmission,
    record_assignment_change,
)
from .criteria import (
    CriteriaEvaluation,
    UnmetCriterion,
    average_score,
    evaluate_certificate,
    evaluate_completion,
)
from .engagement import (
    ActivityRecord,
    Engagement,
    activities_not_yet_counted,
    record_activities,
)
from .lessons import (
    LessonCompletion,
    LessonCompletionReport,
    lesson_completion_from_reports,
    record_lesson_completion,
)
from .navigation import CurrentPosition, current_position, next_unfinished_item
from .outline import (
    CertificateCriteria,
    CompletionCriteria,
    ItemKind,
    Module,
    Outline,
    OutlineItem,
    OutlinePosition,
    require_item_in_outline,
)
from .outline_parsing import parse_outline
from .percentage import progress_percentage
from .quizzes import (
    AttemptGraded,
    AttemptState,
    AttemptSubmitted,
    QuizAttemptFact,
    QuizResult,
    attempt_states_from_facts,
    quiz_result_from_facts,
    quiz_result_of,
    record_attempt_fact,
)
from .status import (
    EnrollmentStatus,
    status_after_student_work,
    status_on_request,
    status_on_resume,
)
from .streaks import (
    DEFAULT_WINDOW_DAYS,
    Streak,
    active_dates_to_keep,
    local_date_of,
    streak_is_running,
    streak_of,
    student_time_zone,
)
from .work import CourseWork

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "ActivityRecord",
    "AssignmentChange",
    "AssignmentEntry",
    "AssignmentGrading",
    "AssignmentReturn",
    "AssignmentStatus",
    "AssignmentSubmission",
    "AttemptGraded",
    "AttemptState",
    "AttemptSubmitted",
    "CertificateCriteria",
    "CompletionCriteria",
    "CourseWork",
    "CriteriaEvaluation",
    "CurrentPosition",
    "Engagement",
    "EnrollmentStatus",
    "ItemKind",
    "LessonCompletion",
    "LessonCompletionReport",
    "Module",
    "Outline",
    "OutlineItem",
    "OutlinePosition",
    "QuizAttemptFact",
    "QuizResult",
    "Streak",
    "UnmetCriterion",
    "active_dates_to_keep",
    "activities_not_yet_counted",
    "attempt_states_from_facts",
    "average_score",
    "current_position",
    "evaluate_certificate",
    "evaluate_completion",
    "lesson_completion_from_reports",
    "local_date_of",
    "next_unfinished_item",
    "parse_outline",
    "progress_percentage",
    "quiz_result_from_facts",
    "quiz_result_of",
    "record_activities",
    "record_assignment_change",
    "record_attempt_fact",
    "record_lesson_completion",
    "require_item_in_outline",
    "status_after_student_work",
    "status_on_request",
    "status_on_resume",
    "streak_is_running",
    "streak_of",
    "student_time_zone",
]
