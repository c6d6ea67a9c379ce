"""The pure rules of the attempts service: quizzes, scoring, lifecycle and reporting.

Nothing here does I/O or reads a clock: callers pass ``now`` and plain values in and
get plain values (frozen dataclasses, dicts, strings) back. Errors are the named
subclasses of ``shared.errors`` in :mod:`.errors`. The scoring rules are written down
in ``services/attempts/SCORING.md``.
"""

from .adaptive import (
    AdaptiveOutcome,
    AdaptiveStep,
    adjusted_difficulty,
    next_adaptive_question,
    outcome_of,
)
from .answering import AnswerRecord, record_answer
from .answers import validate_answer
from .attempt_scoring import AttemptScore, score_attempt, score_percentage
from .definitions import parse_quiz_definition
from .errors import (
    AnswerChangeNotAllowed,
    AttemptAlreadyInProgress,
    AttemptExpired,
    AttemptNotExpired,
    AttemptsExhausted,
    AttemptStateConflict,
    InvalidAnswer,
    InvalidQuizDefinition,
    PracticeNotAllowed,
    QuestionNotFound,
    QuestionNotPresented,
    QuizNotAdaptive,
    UnknownViewerRole,
)
from .feedback import SkillResult, auto_feedback, skill_breakdown
from .integrity import (
    IntegrityFlag,
    IntegrityFlagType,
    add_integrity_flag,
    count_flags_by_type,
    count_interruptions,
    ensure_integrity_flag_accepted,
    parse_integrity_flag,
)
from .item_analysis import AttemptForAnalysis, ItemStatistics, analyze_items
from .lifecycle import (
    ClosedAttempt,
    PreviousAttempt,
    StartedAttempt,
    close_expired_attempt,
    ensure_attempt_can_start,
    grade_attempt,
    next_attempt_number,
    remaining_attempts,
    start_attempt,
    submit_attempt,
)
from .presentation import option_order_for, option_orders_for, question_order_for, seeded_shuffle
from .question_scoring import QuestionResult, answer_credit, score_answer
from .question_types import (
    AnswerKey,
    AnswerValue,
    EssayKey,
    MatchingKey,
    MultipleChoiceKey,
    MultipleResponseKey,
    NumericKey,
    Option,
    OrderingKey,
    QuestionType,
    ShortTextKey,
    TrueFalseKey,
)
from .quizzes import Question, Quiz
from .states import (
    ALLOWED_ACTIONS,
    CLOSED_STATUSES,
    AttemptAction,
    AttemptStatus,
    ensure_action_allowed,
    is_action_allowed,
    status_after_scoring,
)
from .text_matching import normalize_text_answer, text_answers_match
from .timing import deadline_of, is_expired, time_limit_ends_at, time_spent_minutes
from .visibility import (
    ViewerRole,
    may_see_correct_answers,
    redact_attempt,
    visible_answer_fields,
    visible_attempt_fields,
)

__all__ = [
    "ALLOWED_ACTIONS",
    "CLOSED_STATUSES",
    "AdaptiveOutcome",
    "AdaptiveStep",
    "AnswerChangeNotAllowed",
    "AnswerKey",
    "AnswerRecord",
    "AnswerValue",
    "AttemptAction",
    "AttemptAlreadyInProgress",
    "AttemptExpired",
    "AttemptForAnalysis",
    "AttemptNotExpired",
    "AttemptScore",
    "AttemptStateConflict",
    "AttemptStatus",
    "AttemptsExhausted",
    "ClosedAttempt",
    "EssayKey",
    "IntegrityFlag",
    "IntegrityFlagType",
    "InvalidAnswer",
    "InvalidQuizDefinition",
    "ItemStatistics",
    "MatchingKey",
    "MultipleChoiceKey",
    "MultipleResponseKey",
    "NumericKey",
    "Option",
    "OrderingKey",
    "PracticeNotAllowed",
    "PreviousAttempt",
    "Question",
    "QuestionNotFound",
    "QuestionNotPresented",
    "QuestionResult",
    "QuestionType",
    "Quiz",
    "QuizNotAdaptive",
    "ShortTextKey",
    "SkillResult",
    "StartedAttempt",
    "TrueFalseKey",
    "UnknownViewerRole",
    "ViewerRole",
    "add_integrity_flag",
    "adjusted_difficulty",
    "analyze_items",
    "answer_credit",
    "auto_feedback",
    "close_expired_attempt",
    "count_flags_by_type",
    "count_interruptions",
    "deadline_of",
    "ensure_action_allowed",
    "ensure_attempt_can_start",
    "ensure_integrity_flag_accepted",
    "grade_attempt",
    "is_action_allowed",
    "is_expired",
    "may_see_correct_answers",
    "next_adaptive_question",
    "next_attempt_number",
    "normalize_text_answer",
    "option_order_for",
    "option_orders_for",
    "outcome_of",
    "parse_integrity_flag",
    "parse_quiz_definition",
    "question_order_for",
    "record_answer",
    "redact_attempt",
    "remaining_attempts",
    "score_answer",
    "score_attempt",
    "score_percentage",
    "seeded_shuffle",
    "skill_breakdown",
    "start_attempt",
    "status_after_scoring",
    "submit_attempt",
    "text_answers_match",
    "time_limit_ends_at",
    "time_spent_minutes",
    "validate_answer",
    "visible_answer_fields",
    "visible_attempt_fields",
]
