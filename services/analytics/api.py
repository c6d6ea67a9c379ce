"""HTTP routes of the analytics service: parse, authorize, call the domain, serialize."""

from __future__ import annotations

from flask_smorest import Blueprint

DESCRIPTION = (
    "LearningAnalytics: aggregates, comparisons, predictions and risk, built by Celery workers."
)

blp = Blueprint("analytics", __name__, description=DESCRIPTION)
