"""Time limits of attempts. Every function takes the moments it needs; none reads a clock.

The student is told ``time_limit_ends_at`` (start + limit). The attempt's real
``deadline`` adds the quiz's ``grace_seconds``, slack for network latency: answers and
submissions up to the deadline count in full; after it, answers are refused or ignored
and the attempt is expired, ready to be closed by a sweep.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.errors import InvalidInput

from .quizzes import Quiz
from .rounding import round_score


def require_aware(field: str, moment: object) -> datetime:
    """``moment`` if it is a timezone-aware datetime; else InvalidInput naming ``field``.

    Naive datetimes are refused rather than guessed at: comparing them with aware ones
    would fail later, far from the cause.
    """
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidInput.for_field(field, "must be a timezone-aware date and time")
    return moment


def time_limit_ends_at(quiz: Quiz, started_at: datetime) -> datetime | None:
    """When the time limit runs out (what the student is shown); None without a limit."""
    if quiz.time_limit_minutes is None:
        return None
    return started_at + timedelta(minutes=quiz.time_limit_minutes)


def deadline_of(quiz: Quiz, started_at: datetime) -> datetime | None:
    """The last moment an answer or submission counts: limit end plus grace."""
    ends_at = time_limit_ends_at(quiz, started_at)
    if ends_at is None:
        return None
    return ends_at + timedelta(seconds=quiz.grace_seconds)


def is_expired(quiz: Quiz, started_at: datetime, now: datetime) -> bool:
    """Whether an attempt started at ``started_at`` is past its deadline at ``now``.

    An in-progress attempt that is expired should be closed by the sweep
    (``lifecycle.close_expired_attempt``). A quiz without a time limit never expires.
    """
    require_aware("started_at", started_at)
    require_aware("now", now)
    deadline = deadline_of(quiz, started_at)
    return deadline is not None and now > deadline


def time_spent_minutes(quiz: Quiz, started_at: datetime, ended_at: datetime) -> float:
    """Minutes from start to end, rounded to 2 decimals, capped at the quiz's time limit.

    The cap keeps the grace period and a late sweep out of the student's recorded time.
    """
    minutes = max(0.0, (ended_at - started_at).total_seconds() / 60)
    if quiz.time_limit_minutes is not None:
        minutes = min(minutes, quiz.time_limit_minutes)
    return round_score(minutes)
