"""``engagement_metrics``: logins, sessions, participation, interactions and the trend.

``risk_level`` comes from the predictions (``predictions.py``) and is set by the
document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.analytics.domain.nulls import NullReasons, rounded
from services.analytics.domain.periods import Period
from services.analytics.domain.projections import ActivityFact, Kind
from services.analytics.domain.sessions import active_dates, sessions_of

#: the kinds of learning whose breadth counts toward participation
BREADTH_KINDS = (Kind.LESSON, Kind.QUIZ, Kind.ASSIGNMENT, Kind.RESOURCE)
#: a change of more than this share between the period's halves is a trend
TREND_THRESHOLD = 0.2


def participation_score(records: Sequence[ActivityFact], period: Period, time_zone: str) -> float:
    """0-100: 60 x the share of the period's days with activity (a partial day counts
    as a day) + 40 x the share of the four kinds of learning (lessons, quizzes,
    assignments, resources) the student touched."""
    days = max(1, round(period.days))
    active = min(len(active_dates(records, time_zone)), days)
    kinds = {record.kind for record in records} & set(BREADTH_KINDS)
    return 60 * active / days + 40 * len(kinds) / len(BREADTH_KINDS)


def engagement_trend(records: Sequence[ActivityFact], period: Period) -> str | None:
    """Minutes in the period's second half against its first: more than 20% more is
    ``increasing``, more than 20% less ``decreasing``, else ``stable``."""
    middle = period.start + period.length / 2
    first = sum(r.minutes for r in records if r.occurred_at < middle)
    second = sum(r.minutes for r in records if r.occurred_at >= middle)
    if first == 0 and second == 0:
        return None
    if second > first * (1 + TREND_THRESHOLD):
        return "increasing"
    if second < first * (1 - TREND_THRESHOLD):
        return "decreasing"
    return "stable"


def _count(records: Sequence[ActivityFact], activity_type: str) -> int:
    return sum(1 for r in records if r.activity_type == activity_type)


def engagement_metrics(
    records: Sequence[ActivityFact], period: Period, time_zone: str, reasons: NullReasons
) -> dict[str, Any]:
    nulls = reasons.scoped("engagement_metrics")
    sessions = sessions_of(records)
    count = len(sessions)
    no_session = "no session in the period"
    per_session: dict[str, float | None] = {"clicks_per_session": None, "pages_per_session": None}
    average = None
    if count:
        average = sum(s.minutes for s in sessions) / count
        per_session["clicks_per_session"] = sum(r.interaction_count for r in records) / count
        per_session["pages_per_session"] = sum(1 for r in records if r.page_viewed) / count
    else:
        for name in per_session:
            nulls.null(f"interaction_metrics.{name}", no_session)
    trend = engagement_trend(records, period)
    if trend is None:
        nulls.null("engagement_trend", "no activity with a duration in the period")
    return {
        "login_count": _count(records, "login"),
        "session_count": count,
        "avg_session_length": nulls.value("avg_session_length", rounded(average), no_session),
        "participation_score": round(participation_score(records, period, time_zone), 2),
        "interaction_metrics": {
            "clicks_per_session": rounded(per_session["clicks_per_session"]),
            "pages_per_session": rounded(per_session["pages_per_session"]),
            "videos_watched": _count(records, "video_complete"),
            "resources_downloaded": _count(records, "resource_download"),
            "questions_asked": _count(records, "help_requested"),
            "forum_posts": _count(records, "forum_post"),
        },
        "engagement_trend": trend,
        "risk_level": None,
    }
