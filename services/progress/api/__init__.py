"""HTTP routes of the progress service: parse, authorize, call one use case, serialize.

Outlines and enrollments are in ``enrollments``; notes and bookmarks in ``notes``; an
institution's historical records in ``records``.
"""

from services.progress.api.enrollments import DESCRIPTION, blp
from services.progress.api.notes import notes_blp
from services.progress.api.records import records_blp

BLUEPRINTS = [blp, notes_blp, records_blp]

__all__ = ["BLUEPRINTS", "DESCRIPTION"]
