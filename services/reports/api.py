"""HTTP routes of the reports service: parse, authorize, call the domain, serialize."""

from __future__ import annotations

from flask_smorest import Blueprint

DESCRIPTION = (
    "PerformanceReport: report jobs, documents (PDF, HTML, JSON), share links and the access log."
)

blp = Blueprint("reports", __name__, description=DESCRIPTION)
