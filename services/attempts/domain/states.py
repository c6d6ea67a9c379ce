"""The states of an attempt and which actions each state allows.

::

    in_progress --submit / close_expired--> pending_grading --grade (all essays)--> graded
         |                                        |                                   |
         +--submit / close_expired (nothing to grade by hand)-------------------------+
                                                                    graded --grade--> graded

* ``in_progress``: answers and integrity flags are recorded.
* ``pending_grading``: closed and auto-scored; an answered essay awaits its teacher.
  ``passed`` is undetermined (None) in this state.
* ``graded``: closed with a final score. A teacher may still regrade.

There is no separate ``submitted`` or ``expired`` state: scoring is immediate, so an
attempt leaves ``in_progress`` straight for one of the closed states, and an attempt
closed by the time-limit sweep is recorded by ``time_limit_exceeded``.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import AttemptStateConflict


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    PENDING_GRADING = "pending_grading"
    GRADED = "graded"


#: Statuses of attempts that have been submitted (by the student or the sweep).
CLOSED_STATUSES = frozenset({AttemptStatus.PENDING_GRADING, AttemptStatus.GRADED})


class AttemptAction(StrEnum):
    ANSWER = "answer"
    RECORD_INTEGRITY_FLAG = "record_integrity_flag"
    SUBMIT = "submit"
    CLOSE_EXPIRED = "close_expired"
    GRADE = "grade"
    GIVE_FEEDBACK = "give_feedback"


ALLOWED_ACTIONS: dict[AttemptStatus, frozenset[AttemptAction]] = {
    AttemptStatus.IN_PROGRESS: frozenset(
        {
            AttemptAction.ANSWER,
            AttemptAction.RECORD_INTEGRITY_FLAG,
            AttemptAction.SUBMIT,
            AttemptAction.CLOSE_EXPIRED,
        }
    ),
    # Integrity flags raised during the attempt may arrive after it closed
    # (see integrity.ensure_integrity_flag_accepted for the time check).
    AttemptStatus.PENDING_GRADING: frozenset(
        {AttemptAction.RECORD_INTEGRITY_FLAG, AttemptAction.GRADE, AttemptAction.GIVE_FEEDBACK}
    ),
    AttemptStatus.GRADED: frozenset(
        {AttemptAction.RECORD_INTEGRITY_FLAG, AttemptAction.GRADE, AttemptAction.GIVE_FEEDBACK}
    ),
}

_ACTION_PHRASES = {
    AttemptAction.ANSWER: "answer a question",
    AttemptAction.RECORD_INTEGRITY_FLAG: "record an integrity flag",
    AttemptAction.SUBMIT: "submit",
    AttemptAction.CLOSE_EXPIRED: "close the attempt as expired",
    AttemptAction.GRADE: "grade",
    AttemptAction.GIVE_FEEDBACK: "give feedback",
}
_STATUS_PHRASES = {
    AttemptStatus.IN_PROGRESS: "still in progress",
    AttemptStatus.PENDING_GRADING: "already submitted and awaiting grading",
    AttemptStatus.GRADED: "already submitted and graded",
}


def is_action_allowed(status: AttemptStatus, action: AttemptAction) -> bool:
    return action in ALLOWED_ACTIONS[status]


def ensure_action_allowed(status: AttemptStatus, action: AttemptAction) -> None:
    """Raise :class:`AttemptStateConflict` with the reason when ``status`` forbids ``action``.

    For example: "cannot answer a question: the attempt is already submitted and graded".
    """
    if not is_action_allowed(status, action):
        raise AttemptStateConflict(
            f"cannot {_ACTION_PHRASES[action]}: the attempt is {_STATUS_PHRASES[status]}"
        )


def status_after_scoring(pending_grading: bool) -> AttemptStatus:
    """The closed status an attempt takes once scored."""
    return AttemptStatus.PENDING_GRADING if pending_grading else AttemptStatus.GRADED
