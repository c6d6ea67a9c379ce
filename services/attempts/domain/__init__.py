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
    "AttemptNotExpired",
    "AttemptScore",
    "AttemptStateConflict",
    "AttemptStatus",
    "AttemptsExhausted",
    "ClosedAttempt",
    "EssayKey",
    "InvalidAnswer",
    "InvalidQuizDefinition",
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
    "StartedAttempt",
    "TrueFalseKey",
    "UnknownViewerRole",
    "adjusted_difficulty",
    "answer_credit",
    "close_expired_attempt",
    "deadline_of",
    "ensure_action_allowed",
    "ensure_attempt_can_start",
    "grade_attempt",
    "is_action_allowed",
    "is_expired",
    "next_adaptive_question",
    "next_attempt_number",
    "normalize_text_answer",
    "option_order_for",
    "option_orders_for",
    "outcome_of",
    "parse_quiz_definition",
    "question_order_for",
    "record_answer",
    "remaining_attempts",
    "score_answer",
    "score_attempt",
    "score_percentage",
    "seeded_shuffle",
    "start_attempt",
    "status_after_scoring",
    "submit_attempt",
    "text_answers_match",
    "time_limit_ends_at",
    "time_spent_minutes",
    "validate_answer",
]
