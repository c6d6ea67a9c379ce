"""HTTP routes of the progress service: parse, authorize, call one use case, serialize.

Outlines and enrollments are in ``enrollments``; notes and bookmarks in ``notes``.
"""

from services.progress.api.enrollments import DESCRIPTION, blp
from services.progress.api.notes import notes_blp

BLUEPRINTS = [blp, notes_blp]

__all__ = ["BLUEPRINTS", "DESCRIPTION"]
