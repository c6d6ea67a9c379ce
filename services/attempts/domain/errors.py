"""Named errors of the attempts domain.

Each one subclasses an error of ``shared.errors``, so the one table there maps it to an
HTTP status without the API layer knowing these names.
"""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound


class InvalidQuizDefinition(InvalidInput):
    """A raw quiz definition breaks rules; ``fields`` names every path at fault."""


class InvalidAnswer(InvalidInput):
    """A student's answer does not have the shape its question type needs."""


class PracticeNotAllowed(InvalidInput):
    """A practice attempt was requested on a quiz that does not allow practice."""


class QuestionNotFound(NotFound):
    """The question id is not part of the quiz."""


class AttemptStateConflict(Conflict):
    """The attempt's status does not allow the requested action."""


class AttemptExpired(Conflict):
    """The attempt's time limit (plus grace) has run out; it only awaits closing."""


class AttemptNotExpired(Conflict):
    """The sweep tried to close an attempt whose deadline has not passed."""


class AttemptsExhausted(Conflict):
    """The student has used every graded attempt the quiz allows."""


class AttemptAlreadyInProgress(Conflict):
    """The student already has an open, unexpired attempt on this quiz."""


class AnswerChangeNotAllowed(Conflict):
    """An adaptive quiz does not let an answer change once the next question was chosen."""


class QuestionNotPresented(Conflict):
    """An adaptive attempt may only answer the questions it has presented."""


class QuizNotAdaptive(Conflict):
    """An adaptive rule was asked of a quiz that is not adaptive."""


class UnknownViewerRole(Forbidden):
    """The caller's role is none of student, parent, teacher, admin or service."""
