"""HTTP routes of the attempts service: parse, authorize, call the domain, serialize."""

from __future__ import annotations

from flask_smorest import Blueprint

DESCRIPTION = (
    "QuizAttempt: quiz definitions, the attempt lifecycle, scoring, integrity flags "
    "and teacher feedback."
)

blp = Blueprint("attempts", __name__, description=DESCRIPTION)
