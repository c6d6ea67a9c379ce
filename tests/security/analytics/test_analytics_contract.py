"""Every field of the spec's LearningAnalytics model is in the OpenAPI schemas, under its
name and nested as in the spec; a served document carries every one of them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.analytics.analytics_api_support import feed
from tests.unit.analytics.streams import COURSE, STUDENT, at, submitted

pytestmark = pytest.mark.security

#: the fields of ``LearningAnalytics`` in spec/progress-tracking-models.md ([] = list item)
SPEC_FIELDS = [
    "id",
    "student_id",
    "course_id",
    "period_type",
    "start_date",
    "end_date",
    "time_metrics",
    "time_metrics.total_time",
    "time_metrics.lesson_time",
    "time_metrics.quiz_time",
    "time_metrics.assignment_time",
    "time_metrics.resource_time",
    "time_metrics.idle_time",
    "time_metrics.time_by_day",
    "time_metrics.time_by_day.[].date",
    "time_metrics.time_by_day.[].minutes",
    "time_metrics.peak_hours",
    "time_metrics.peak_hours.morning",
    "time_metrics.peak_hours.afternoon",
    "time_metrics.peak_hours.evening",
    "time_metrics.peak_hours.night",
    "performance_metrics",
    "performance_metrics.quiz_average",
    "performance_metrics.quiz_improvement",
    "performance_metrics.assignment_average",
    "performance_metrics.completion_rate",
    "performance_metrics.mastery_level",
    "performance_metrics.strengths",
    "performance_metrics.weaknesses",
    "performance_metrics.grade_distribution",
    "performance_metrics.grade_distribution.a_count",
    "performance_metrics.grade_distribution.b_count",
    "performance_metrics.grade_distribution.c_count",
    "performance_metrics.grade_distribution.d_count",
    "performance_metrics.grade_distribution.f_count",
    "engagement_metrics",
    "engagement_metrics.login_count",
    "engagement_metrics.session_count",
    "engagement_metrics.avg_session_length",
    "engagement_metrics.participation_score",
    "engagement_metrics.interaction_metrics",
    "engagement_metrics.interaction_metrics.clicks_per_session",
    "engagement_metrics.interaction_metrics.pages_per_session",
    "engagement_metrics.interaction_metrics.videos_watched",
    "engagement_metrics.interaction_metrics.resources_downloaded",
    "engagement_metrics.interaction_metrics.questions_asked",
    "engagement_metrics.interaction_metrics.forum_posts",
    "engagement_metrics.engagement_trend",
    "engagement_metrics.risk_level",
    "learning_patterns",
    "learning_patterns.preferred_content_type",
    "learning_patterns.learning_pace",
    "learning_patterns.optimal_session_length",
    "learning_patterns.preferred_difficulty",
    "learning_patterns.content_preferences",
    "learning_patterns.content_preferences.video_preference",
    "learning_patterns.content_preferences.text_preference",
    "learning_patterns.content_preferences.interactive_preference",
    "learning_patterns.content_preferences.audio_preference",
    "learning_patterns.study_patterns",
    "learning_patterns.study_patterns.consistent_schedule",
    "learning_patterns.study_patterns.cramming_detected",
    "learning_patterns.study_patterns.review_frequency",
    "comparison_metrics",
    "comparison_metrics.vs_class_average",
    "comparison_metrics.vs_previous_period",
    "comparison_metrics.percentile_rank",
    "comparison_metrics.vs_personal_best",
    "comparison_metrics.peer_comparison",
    "comparison_metrics.peer_comparison.ahead_of_peers",
    "comparison_metrics.peer_comparison.similar_to_peers",
    "comparison_metrics.peer_comparison.behind_peers",
    "predictions",
    "predictions.estimated_completion_date",
    "predictions.success_probability",
    "predictions.at_risk_indicators",
    "predictions.recommended_interventions",
    "predictions.recommended_interventions.[].type",
    "predictions.recommended_interventions.[].urgency",
    "predictions.recommended_interventions.[].description",
    "predictions.next_milestone",
    "predictions.next_milestone.type",
    "predictions.next_milestone.description",
    "predictions.next_milestone.estimated_date",
    "predictions.next_milestone.preparation_needed",
    "achievements",
    "achievements.total_earned",
    "achievements.recent_achievements",
    "achievements.next_achievement",
    "achievements.achievement_velocity",
]


def openapi_paths(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> set[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            return set().union(*(openapi_paths(spec, s, prefix) for s in schema[combined]))
    if schema.get("type") == "array":
        return openapi_paths(spec, schema["items"], f"{prefix}[].")
    found = set()
    for name, sub in schema.get("properties", {}).items():
        found.add(prefix + name)
        found |= openapi_paths(spec, sub, f"{prefix}{name}.")
    return found


def document_paths(value: Any, prefix: str = "") -> set[str]:
    found = set()
    if isinstance(value, dict):
        for name, sub in value.items():
            found.add(prefix + name)
            found |= document_paths(sub, f"{prefix}{name}.")
    elif isinstance(value, list):
        for item in value:
            found |= document_paths(item, f"{prefix}[].")
    return found


def test_every_spec_field_is_in_the_openapi_schema(app):
    spec = app.test_client().get("/openapi.json").json
    schema = spec["components"]["schemas"]["LearningAnalytics"]
    missing = set(SPEC_FIELDS) - openapi_paths(spec, schema)
    assert not missing


def test_a_served_document_carries_every_spec_field(app, caller):
    feed(app, [submitted("AT-1", "QZ-1", at(1), 40.0)])
    response = caller("admin", "USR-ADM-1").get(
        f"/students/{STUDENT}/analytics?course_id={COURSE}&start_date=2026-11-02"
    )
    assert response.status_code == 200
    present = document_paths(response.json)
    # list items exist only when the lists are not empty
    missing = {p for p in SPEC_FIELDS if "[]" not in p} - present
    assert not missing
