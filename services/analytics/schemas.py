"""Request validation and response shapes of the analytics API (marshmallow).

The response is the spec's LearningAnalytics, every field under its name and nested
as in the spec, plus ``time_zone`` (the zone days and hours are counted in), ``model``
(which success model predicted) and ``null_reasons`` (why each null field is null).
Unknown query parameters are refused, naming the parameter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.analytics.domain.periods import PeriodType

STUDENT_ID = validate.Length(min=1, max=120)
COURSE_ID = validate.Length(min=1, max=120)
PERIOD_TYPES = [p.value for p in PeriodType]


class Moment(fields.Field):
    """A date (``2026-11-02``, midnight UTC) or an ISO 8601 time with its UTC offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("must be a date (YYYY-MM-DD) or an ISO 8601 time with offset")
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                return datetime(day.year, day.month, day.day, tzinfo=UTC)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                "must be a date (YYYY-MM-DD) or an ISO 8601 time with offset"
            ) from None
        if moment.tzinfo is None:
            raise ValidationError("an ISO 8601 time needs its UTC offset (or Z)")
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("is out of range") from None


class AnalyticsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    course_id = fields.String(validate=COURSE_ID, load_default=None)
    period_type = fields.String(
        load_default=PeriodType.WEEKLY.value, validate=validate.OneOf(PERIOD_TYPES)
    )
    start_date = Moment(load_default=None, metadata={"description": "default: now"})
    end_date = Moment(load_default=None, metadata={"description": "custom periods only"})


def _num(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


def _int(description: str) -> fields.Integer:
    return fields.Integer(metadata={"description": description})


class DayMinutesSchema(Schema):
    date = fields.String(metadata={"description": "local date (YYYY-MM-DD)"})
    minutes = fields.Float()


class PeakHoursSchema(Schema):
    morning = _num("minutes started 06:00-12:00 local")
    afternoon = _num("minutes started 12:00-18:00 local")
    evening = _num("minutes started 18:00-24:00 local")
    night = _num("minutes started 00:00-06:00 local")


class TimeMetricsSchema(Schema):
    total_time = _num("minutes of activity in the period")
    lesson_time = _num("minutes in lessons")
    quiz_time = _num("minutes in assessments")
    assignment_time = _num("minutes on assignments")
    resource_time = _num("minutes with resources (videos, downloads)")
    idle_time = _num("detected idle minutes")
    time_by_day = fields.List(fields.Nested(DayMinutesSchema))
    peak_hours = fields.Nested(PeakHoursSchema)


class GradeDistributionSchema(Schema):
    a_count = _int("results 90-100")
    b_count = _int("results 80-89")
    c_count = _int("results 70-79")
    d_count = _int("results 60-69")
    f_count = _int("results below 60")


class PerformanceMetricsSchema(Schema):
    quiz_average = _num("mean quiz score in the period")
    quiz_improvement = _num("later half minus earlier half of the period's quiz scores")
    assignment_average = _num("mean assignment grade in the period")
    completion_rate = _num("share of the known items done (0-100)")
    mastery_level = _num("mean best score per quiz (0-100)")
    strengths = fields.List(fields.String())
    weaknesses = fields.List(fields.String())
    grade_distribution = fields.Nested(GradeDistributionSchema)


class InteractionMetricsSchema(Schema):
    clicks_per_session = _num("interactions per session")
    pages_per_session = _num("page views per session")
    videos_watched = _int("videos completed")
    resources_downloaded = _int("resources downloaded")
    questions_asked = _int("help requests")
    forum_posts = _int("forum posts")


class EngagementMetricsSchema(Schema):
    login_count = _int("logins in the period")
    session_count = _int("sessions in the period")
    avg_session_length = _num("mean session length in minutes")
    participation_score = _num("0-100")
    interaction_metrics = fields.Nested(InteractionMetricsSchema)
    engagement_trend = fields.String(
        allow_none=True, metadata={"description": "increasing, stable or decreasing"}
    )
    risk_level = fields.String(allow_none=True, metadata={"description": "low, medium or high"})


class ContentPreferencesSchema(Schema):
    video_preference = _num("share of typed minutes on video (0-100)")
    text_preference = _num("share on text")
    interactive_preference = _num("share on interactive content")
    audio_preference = _num("share on audio")


class StudyPatternsSchema(Schema):
    consistent_schedule = fields.Boolean(allow_none=True)
    cramming_detected = fields.Boolean(allow_none=True)
    review_frequency = fields.String(
        allow_none=True, metadata={"description": "never, rarely or often"}
    )


class LearningPatternsSchema(Schema):
    preferred_content_type = fields.String(allow_none=True)
    learning_pace = fields.String(metadata={"description": "fast, moderate or slow"})
    optimal_session_length = _num("median minutes of productive sessions")
    preferred_difficulty = fields.String(allow_none=True)
    content_preferences = fields.Nested(ContentPreferencesSchema)
    study_patterns = fields.Nested(StudyPatternsSchema)


class PeerComparisonSchema(Schema):
    ahead_of_peers = _num("percentage of classmates behind the student")
    similar_to_peers = _num("percentage within 5 points")
    behind_peers = _num("percentage of classmates ahead")


class ComparisonMetricsSchema(Schema):
    vs_class_average = _num("percentage above (+) or below (-) the class average")
    vs_previous_period = _num("percentage change of time from the previous period")
    percentile_rank = _num("0-100")
    vs_personal_best = _num("quiz average minus the best of the 12 periods before")
    peer_comparison = fields.Nested(PeerComparisonSchema)


class InterventionSchema(Schema):
    type = fields.String()
    urgency = fields.String()
    description = fields.String()


class MilestoneSchema(Schema):
    type = fields.String()
    description = fields.String()
    estimated_date = fields.DateTime(allow_none=True)
    preparation_needed = fields.String()


class PredictionsSchema(Schema):
    estimated_completion_date = fields.DateTime(allow_none=True)
    success_probability = _num("0-100")
    at_risk_indicators = fields.List(fields.String())
    recommended_interventions = fields.List(fields.Nested(InterventionSchema))
    next_milestone = fields.Nested(MilestoneSchema, allow_none=True)


class AchievementsSchema(Schema):
    total_earned = _int("achievements earned up to the period's end")
    recent_achievements = fields.List(fields.String())
    next_achievement = fields.String(allow_none=True)
    achievement_velocity = _num("achievements per week over the last 4 weeks")


class ModelSchema(Schema):
    source = fields.String(metadata={"description": "prior or trained"})
    trained_on = fields.Integer()


class LearningAnalyticsSchema(Schema):
    id = fields.String()
    student_id = fields.String()
    course_id = fields.String(allow_none=True)
    period_type = fields.String()
    start_date = fields.DateTime()
    end_date = fields.DateTime()
    time_zone = fields.String()
    time_metrics = fields.Nested(TimeMetricsSchema)
    performance_metrics = fields.Nested(PerformanceMetricsSchema)
    engagement_metrics = fields.Nested(EngagementMetricsSchema)
    learning_patterns = fields.Nested(LearningPatternsSchema)
    comparison_metrics = fields.Nested(ComparisonMetricsSchema)
    predictions = fields.Nested(PredictionsSchema)
    achievements = fields.Nested(AchievementsSchema)
    model = fields.Nested(ModelSchema)
    null_reasons = fields.Dict(keys=fields.String(), values=fields.String())


class AtRiskStudentSchema(Schema):
    student_id = fields.String()
    risk_level = fields.String()
    success_probability = fields.Float()
    reasons = fields.List(fields.String())


class CourseAnalyticsSchema(Schema):
    course_id = fields.String()
    as_of = fields.DateTime()
    student_count = fields.Integer()
    known_items = fields.Integer()
    progress_distribution = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "band -> students"}
    )
    score_distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    average_progress = fields.Float(allow_none=True)
    average_score = fields.Float(allow_none=True)
    at_risk = fields.List(fields.Nested(AtRiskStudentSchema))
    model = fields.Nested(ModelSchema)


PRIVATE_METRICS = ["total_time", "quiz_average", "completion_rate"]


class PrivateAggregateInSchema(Schema):
    class Meta:
        unknown = RAISE

    metric = fields.String(required=True, validate=validate.OneOf(PRIVATE_METRICS))
    course_ids = fields.List(
        fields.String(validate=COURSE_ID),
        validate=validate.Length(min=1, max=500),
        load_default=None,
        metadata={"description": "default: every course"},
    )
    start_date = Moment(required=True)
    end_date = Moment(required=True)
    epsilon = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(min=0.01, max=1.0),
        metadata={"description": "privacy loss this query spends (0.01-1)"},
    )


class PrivateGroupSchema(Schema):
    group = fields.String()
    count = fields.Integer(metadata={"description": "noisy count of enrollments"})
    value = fields.Float(metadata={"description": "noisy mean of the metric"})


class PrivateAggregateSchema(Schema):
    metric = fields.String()
    start_date = fields.DateTime()
    end_date = fields.DateTime()
    epsilon_spent = fields.Float()
    budget_month = fields.String()
    budget_remaining = fields.Float()
    min_group_size = fields.Integer()
    groups = fields.List(fields.Nested(PrivateGroupSchema))
    suppressed_groups = fields.Integer()


class PseudonymousRowSchema(Schema):
    pseudonym = fields.String()
    completion_band = fields.String(allow_none=True)
    score_band = fields.String(allow_none=True)
    risk_level = fields.String(allow_none=True)


class PseudonymousExportSchema(Schema):
    course_id = fields.String()
    as_of = fields.DateTime()
    students = fields.List(fields.Nested(PseudonymousRowSchema))


class EarnedSchema(Schema):
    achievement_id = fields.String()
    title = fields.String()
    xp = fields.Integer()
    earned_at = fields.DateTime()


class AchievementsQuerySchema(Schema):
    course_id = fields.String(required=True, validate=COURSE_ID)


class StudentAchievementsSchema(Schema):
    student_id = fields.String()
    course_id = fields.String()
    xp = fields.Integer()
    earned = fields.List(fields.Nested(EarnedSchema))
    next_achievement = fields.String(allow_none=True)


class LeaderboardRowSchema(Schema):
    rank = fields.Integer()
    student_id = fields.String()
    xp = fields.Integer()


class LeaderboardSchema(Schema):
    course_id = fields.String()
    rows = fields.List(fields.Nested(LeaderboardRowSchema))


class RecomputeInSchema(Schema):
    class Meta:
        unknown = RAISE

    course_id = fields.String(validate=COURSE_ID, load_default=None)


class RecomputeJobSchema(Schema):
    id = fields.String()
    course_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "queued, running or finished"})
    total = fields.Integer(metadata={"description": "(student, course) pairs to refresh"})
    done = fields.Integer()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
