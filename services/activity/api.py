"""HTTP routes of the activity service: parse, authorize, call the domain, serialize."""

from __future__ import annotations

from flask_smorest import Blueprint

DESCRIPTION = "ActivityLog: fine-grained student activity, recorded one by one or in batches."

blp = Blueprint("activity", __name__, description=DESCRIPTION)
