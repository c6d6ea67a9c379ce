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
from .lessons import (
    LessonCompletion,
    LessonCompletionReport,
    lesson_completion_from_reports,
    record_lesson_completion,
)
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

__all__ = [
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
    "ItemKind",
    "LessonCompletion",
    "LessonCompletionReport",
    "Module",
    "Outline",
    "OutlineItem",
    "OutlinePosition",
    "QuizAttemptFact",
    "QuizResult",
    "attempt_states_from_facts",
    "lesson_completion_from_reports",
    "parse_outline",
    "quiz_result_from_facts",
    "quiz_result_of",
    "record_assignment_change",
    "record_attempt_fact",
    "record_lesson_completion",
    "require_item_in_outline",
]
