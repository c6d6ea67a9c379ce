"""The pure rules of the attempts service: quizzes, scoring, lifecycle and reporting.

Nothing here does I/O or reads a clock: callers pass ``now`` and plain values in and
get plain values (frozen dataclasses, dicts, strings) back. Errors are the named
subclasses of ``shared.errors`` in :mod:`.errors`. The scoring rules are written down
in ``services/attempts/SCORING.md``.
"""

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
    "Question",
    "QuestionNotFound",
    "QuestionNotPresented",
    "QuestionResult",
    "QuestionType",
    "Quiz",
    "QuizNotAdaptive",
    "ShortTextKey",
    "TrueFalseKey",
    "UnknownViewerRole",
    "answer_credit",
    "deadline_of",
    "ensure_action_allowed",
    "is_action_allowed",
    "is_expired",
    "normalize_text_answer",
    "parse_quiz_definition",
    "record_answer",
    "score_answer",
    "score_attempt",
    "score_percentage",
    "status_after_scoring",
    "text_answers_match",
    "time_limit_ends_at",
    "time_spent_minutes",
    "validate_answer",
]
