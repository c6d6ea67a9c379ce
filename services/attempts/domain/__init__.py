"""The pure rules of the attempts service: quizzes, scoring, lifecycle and reporting.

Nothing here does I/O or reads a clock: callers pass ``now`` and plain values in and
get plain values (frozen dataclasses, dicts, strings) back. Errors are the named
subclasses of ``shared.errors`` in :mod:`.errors`. The scoring rules are written down
in ``services/attempts/SCORING.md``.
"""

from .answers import validate_answer
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
from .text_matching import normalize_text_answer, text_answers_match

__all__ = [
    "AnswerChangeNotAllowed",
    "AnswerKey",
    "AnswerValue",
    "AttemptAlreadyInProgress",
    "AttemptExpired",
    "AttemptNotExpired",
    "AttemptStateConflict",
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
    "QuestionType",
    "Quiz",
    "QuizNotAdaptive",
    "ShortTextKey",
    "TrueFalseKey",
    "UnknownViewerRole",
    "normalize_text_answer",
    "parse_quiz_definition",
    "text_answers_match",
    "validate_answer",
]
