"""The progress service's pure rules: no database, no Flask, no clock, no randomness.

Functions and frozen dataclasses take plain values and return plain values; broken
rules raise the exceptions of ``shared.errors`` (``InvalidInput`` naming the field,
``Conflict`` saying why a move is refused). ``services/progress/COMPUTATION.md``
explains how each figure is computed.

* ``outline``, ``outline_parsing``: the course outline and its criteria;
* ``lessons``, ``quizzes``, ``assignments``: the spec's completed_* entries,
  idempotent and (for events) independent of arrival order;
* ``work``, ``percentage``, ``navigation``, ``criteria``, ``status``, ``summary``:
  what the entries mean for progress, position, completion and certificate;
* ``final_results``: the institution's final result, which decides an enrollment;
* ``records``: an institution's past submissions, as the facts the live paths record;
* ``streaks``, ``engagement``: days active in the student's time zone, time spent;
* ``notes``, ``bookmarks``, ``preferences``, ``custom_fields``: the student's own data.
"""

from .assignments import (
    AssignmentChange,
    AssignmentEntry,
    AssignmentGrading,
    AssignmentReturn,
    AssignmentStatus,
    AssignmentSubmission,
    record_assignment_change,
)
from .bookmarks import (
    Bookmark,
    BookmarkContentType,
    BookmarkPosition,
    create_bookmark,
    parse_position,
)
from .criteria import (
    CriteriaEvaluation,
    UnmetCriterion,
    average_score,
    certificate_met,
    completion_met,
    evaluate_certificate,
    evaluate_completion,
)
from .custom_fields import validate_custom_fields
from .engagement import (
    ActivityRecord,
    Engagement,
    activities_not_yet_counted,
    record_activities,
)
from .final_results import (
    FinalResult,
    FinalResultRecord,
    is_new_final_result,
    status_on_final_result,
)
from .lessons import (
    LessonCompletion,
    LessonCompletionReport,
    lesson_completion_from_reports,
    record_lesson_completion,
)
from .navigation import CurrentPosition, current_position, next_unfinished_item
from .notes import (
    MAX_NOTE_LENGTH,
    Note,
    edit_note,
    escape_note_for_html,
    normalize_tags,
    note_matches,
    notes_matching,
    require_note_content,
    write_note,
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
from .percentage import progress_percentage
from .preferences import NotificationPreferences, notification_preferences_after
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
from .records import (
    DEFAULT_PASS_MARK,
    SubmissionRecord,
    assignment_changes_of,
    quiz_facts_of,
    recorded_submission_id,
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
from .summary import DerivedProgress, derive_progress
from .work import CourseWork

__all__ = [
    "DEFAULT_PASS_MARK",
    "DEFAULT_WINDOW_DAYS",
    "MAX_NOTE_LENGTH",
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
    "Bookmark",
    "BookmarkContentType",
    "BookmarkPosition",
    "CertificateCriteria",
    "CompletionCriteria",
    "CourseWork",
    "CriteriaEvaluation",
    "CurrentPosition",
    "DerivedProgress",
    "Engagement",
    "EnrollmentStatus",
    "FinalResult",
    "FinalResultRecord",
    "ItemKind",
    "LessonCompletion",
    "LessonCompletionReport",
    "Module",
    "Note",
    "NotificationPreferences",
    "Outline",
    "OutlineItem",
    "OutlinePosition",
    "QuizAttemptFact",
    "QuizResult",
    "Streak",
    "SubmissionRecord",
    "UnmetCriterion",
    "active_dates_to_keep",
    "activities_not_yet_counted",
    "assignment_changes_of",
    "attempt_states_from_facts",
    "average_score",
    "certificate_met",
    "completion_met",
    "create_bookmark",
    "current_position",
    "derive_progress",
    "edit_note",
    "escape_note_for_html",
    "evaluate_certificate",
    "evaluate_completion",
    "is_new_final_result",
    "lesson_completion_from_reports",
    "local_date_of",
    "next_unfinished_item",
    "normalize_tags",
    "note_matches",
    "notes_matching",
    "notification_preferences_after",
    "parse_outline",
    "parse_position",
    "progress_percentage",
    "quiz_facts_of",
    "quiz_result_from_facts",
    "quiz_result_of",
    "record_activities",
    "record_assignment_change",
    "record_attempt_fact",
    "record_lesson_completion",
    "recorded_submission_id",
    "require_item_in_outline",
    "require_note_content",
    "status_after_student_work",
    "status_on_final_result",
    "status_on_request",
    "status_on_resume",
    "streak_is_running",
    "streak_of",
    "student_time_zone",
    "validate_custom_fields",
    "write_note",
]
