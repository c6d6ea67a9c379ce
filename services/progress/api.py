"""HTTP routes of the progress service: parse, authorize, call the domain, serialize."""

from __future__ import annotations

from flask_smorest import Blueprint

DESCRIPTION = (
    "StudentCourseProgress: course outlines, enrollments, lessons, quizzes and "
    "assignments done, streaks, certificates, notes and bookmarks."
)

blp = Blueprint("progress", __name__, description=DESCRIPTION)
