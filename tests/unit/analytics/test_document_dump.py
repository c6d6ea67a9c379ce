"""The LearningAnalytics document leaves the API through a compiled dumper: the same JSON
as the schema's own dump, for documents of any event stream."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from services.analytics.api import DOCUMENT
from services.analytics.schemas import LearningAnalyticsSchema
from shared.events import Envelope
from tests.support.json_types import json_types
from tests.unit.analytics.streams import COURSE, STUDENT, analytics_document
from tests.unit.analytics.test_projections_any_order import streams

pytestmark = pytest.mark.unit


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=streams())
def test_the_compiled_dump_is_the_schemas_dump(stream: list[Envelope]) -> None:
    for course in (COURSE, None):
        document = analytics_document(stream, student=STUDENT, course=course)
        expected = LearningAnalyticsSchema().dump(document)
        dumped = DOCUMENT.dump(document)
        assert dumped == expected
        assert json_types(dumped) == json_types(expected)
