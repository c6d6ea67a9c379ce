"""The rules of ``predictions`` one by one: risk bands, the wording of each reason, the
threshold of a reason, pace, the class's order of milestones and every null's reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.analytics.domain.features import NAMES, Features
from services.analytics.domain.predictions import (
    _reason,
    assess,
    milestone_order,
    pace_per_day,
    reasons_of,
    risk_level,
)
from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.risk_model import PRIOR, RiskModel
from services.analytics.store import student_facts
from shared.events import Envelope
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_STUDENT,
    STUDENT,
    activity,
    analytics_document,
    analytics_session,
    apply,
    assignment,
    at,
    course_completed,
    enrolled,
    facts_of,
    lesson_completed,
    outline_published,
    record,
    submitted,
)

pytestmark = pytest.mark.unit

#: the end of the default weekly period of ``analytics_document`` (Monday Nov 9 00:00),
#: the moment its predictions are made as of
WEEK_END = datetime(2026, 11, 9, tzinfo=UTC)


def features(**values: object) -> Features:
    """A typical student (the prior's centers), but for ``values``."""
    typical: dict[str, object] = dict(zip(NAMES, PRIOR.centers, strict=True))
    return Features(**{**typical, **values})  # type: ignore[arg-type]


def only(name: str, coefficient: float, intercept: float = 0.0) -> RiskModel:
    """A model in which only ``name`` weighs, by ``coefficient`` per unit."""
    return RiskModel(
        source="prior",
        intercept=intercept,
        coefficients=tuple(coefficient if n == name else 0.0 for n in NAMES),
        centers=PRIOR.centers,
        scales=PRIOR.scales,
    )


@pytest.mark.parametrize(
    ("probability", "level"),
    [(100.0, "low"), (70.0, "low"), (69.99, "medium"), (40.0, "medium"), (39.99, "high")],
)
def test_risk_bands_include_their_lower_bound(probability: float, level: str):
    assert risk_level(probability) == level


@pytest.mark.parametrize(
    ("name", "values", "words"),
    [
        ("days_since_activity", {"days_since_activity": 12.4}, "no activity for 12 days"),
        (
            "submissions_per_week",
            {"submissions_per_week": 0.5},
            "0.5 quiz or assignment submissions per week (typical 1.0)",
        ),
        (
            "mean_lateness",
            {"mean_lateness": 2.5, "late": 2},
            "2 assessments submitted late, by 2.5 days on average",
        ),
        (
            "mean_lateness",
            {"mean_lateness": 3.0, "late": 1},
            "1 assessment submitted late, by 3.0 days on average",
        ),
        (
            "missed_share",
            {"missed_share": 1.0, "due": 1, "due_submitted": 0},
            "submitted 0 of the 1 assessment due so far",
        ),
        ("recent_score", {"recent_score": 41.6}, "latest scores average 42 (typical 70)"),
        (
            "days_since_submission",
            {"days_since_submission": 20.0},
            "no submission in the 20 days since the start",
        ),
        (
            "days_since_submission",
            {"days_since_submission": 20.0, "last_submission_at": at(3)},
            "last submission 20 days ago",
        ),
        (
            "score_trend",
            {"score_trend": -15.2},
            "latest score 15 points below the earlier average",
        ),
        ("paused", {"paused": 1.0}, "stopped the course (paused) on an unknown day"),
        (
            "paused",
            {"paused": 1.0, "paused_since": at(25)},
            "stopped the course (paused) on 2026-11-27",
        ),
    ],
)
def test_each_reason_quotes_the_students_own_values(
    name: str, values: dict[str, object], words: str
):
    assert _reason(name, features(**values), PRIOR) == words


def test_a_contribution_exactly_at_the_threshold_is_no_reason():
    paused = features(paused=1.0)
    assert reasons_of(paused, only("paused", -0.1)) == []
    assert reasons_of(paused, only("paused", -0.11)) == ["paused"]


def test_the_probability_is_a_percentage_to_two_decimals():
    # intercept 0.5 alone: 1 / (1 + e^-0.5) = 0.622459...
    student = facts_of([enrolled(at(0)), lesson_completed("LSN-1", at(1))])
    assessment = assess(student, only("paused", 0.0, intercept=0.5), at(2))
    assert assessment is not None
    assert assessment.probability == 62.25
    # below 70 with no reason of the student's own: low, not medium
    assert (assessment.level, assessment.reasons) == ("low", ())


def test_pace_counts_at_least_one_day_however_recent_the_start():
    student = facts_of([enrolled(at(0)), lesson_completed("LSN-1", at(0, 6))])
    # half a day since the start: one item over one day, not over half a day
    assert pace_per_day(student, at(0, 12)) == 1.0
    # two days: one item over two days
    assert pace_per_day(student, at(2)) == 0.5


def test_no_pace_without_a_start():
    assert pace_per_day(StudentFacts(STUDENT, (), (), (), (), ()), at(3)) == 0.0


def test_milestones_in_the_median_days_from_each_classmates_start():
    first, second, late_starter = "USR-STU-7", "USR-STU-8", "USR-STU-9"
    events = [
        enrolled(at(0), student=first),
        lesson_completed("LSN-1", at(1), student=first, completion_id="a"),
        lesson_completed("LSN-1", at(4), student=first, completion_id="b"),  # again: the first
        submitted("AT-1", "QZ-1", at(2), 80.0, student=first),
        submitted("AT-2", "QZ-1", at(5), 90.0, number=2, student=first),  # passed again
        submitted("AT-3", "QZ-2", at(1), 90.0, student=first, practice=True),  # practice
        submitted("AT-4", "QZ-3", at(1), 20.0, student=first),  # failed
        assignment("ASG-1", "submit", at(5), occurred=at(5), student=first),
        lesson_completed("LSN-9", at(10), student=first),  # exactly as of: not yet
        enrolled(at(2), student=second),
        lesson_completed("LSN-1", at(5), student=second),
        lesson_completed("LSN-1", at(2, 12), student=second, completion_id="c"),
        enrolled(at(1), student=late_starter),
    ]
    with analytics_session() as session:
        apply(session, events)
        classmates = {
            # a classmate analytics knows nothing of yet (no start) is passed over
            "USR-STU-0": student_facts(session, "USR-STU-0", COURSE),
            **{s: student_facts(session, s, COURSE) for s in (first, second, late_starter)},
        }
    assert milestone_order(classmates, at(10)) == {
        (COURSE, "lesson", "LSN-1"): (1.0 + 0.5) / 2,
        (COURSE, "quiz", "QZ-1"): 2.0,
        (COURSE, "assignment", "ASG-1"): 5.0,
    }


def test_without_a_course_every_prediction_is_null_and_says_why():
    document = analytics_document([enrolled(at(0)), lesson_completed("LSN-1", at(1))], course=None)
    assert document["predictions"] == {
        "estimated_completion_date": None,
        "success_probability": None,
        "at_risk_indicators": [],
        "recommended_interventions": [],
        "next_milestone": None,
    }
    why = "predictions are per course: ask with course_id"
    assert {k: v for k, v in document["null_reasons"].items() if k.startswith("predictions")} == {
        "predictions.estimated_completion_date": why,
        "predictions.success_probability": why,
        "predictions.next_milestone": why,
    }


def predictions_nulls(document: dict) -> dict[str, str]:
    return {k: v for k, v in document["null_reasons"].items() if k.startswith("predictions.")}


def test_a_student_who_starts_after_the_moment_has_no_prediction_yet():
    events = [
        enrolled(at(10)),  # after the week's end
        enrolled(at(0), student=OTHER_STUDENT),
        lesson_completed("LSN-1", at(1), student=OTHER_STUDENT),
    ]
    predictions = analytics_document(events)["predictions"]
    assert predictions == {
        "estimated_completion_date": None,
        "success_probability": None,
        "at_risk_indicators": [],
        "recommended_interventions": [],
        "next_milestone": {
            "type": "lesson",
            "description": "lesson LSN-1",
            "estimated_date": None,
            "preparation_needed": "none beyond the items before it",
        },
    }
    assert predictions_nulls(analytics_document(events)) == {
        "predictions.success_probability": "no fact of the student in the course yet",
        "predictions.estimated_completion_date": "no item done in the last 28 days",
        "predictions.next_milestone.estimated_date": "no item done in the last 28 days",
    }


def test_nothing_to_predict_before_the_course_has_any_item():
    document = analytics_document([enrolled(at(0)), activity([record("R1", "login", at(1))])])
    assert document["predictions"]["estimated_completion_date"] is None
    assert document["predictions"]["next_milestone"] is None
    nulls = predictions_nulls(document)
    assert nulls["predictions.estimated_completion_date"] == (
        "no lesson, quiz or assignment is known yet"
    )
    assert nulls["predictions.next_milestone"] == "every known item of the course is done"


def test_a_completed_course_is_completed_on_its_completion_day():
    events = [
        enrolled(at(0)),
        lesson_completed("LSN-1", at(1)),
        course_completed(at(2)),
        lesson_completed("LSN-2", at(0, 1), student=OTHER_STUDENT),
    ]
    predictions = analytics_document(events)["predictions"]
    assert predictions["estimated_completion_date"] == at(2)
    assert predictions["next_milestone"]["description"] == "lesson LSN-2"


def test_every_intervention_says_what_to_do_and_how_urgently():
    events = [
        enrolled(at(0)),
        activity([record("R1", "quiz_start", at(1), duration=1800, quiz_id="QZ-1")]),
        submitted("AT-1", "QZ-1", at(1), 50.0),
        submitted("AT-2", "QZ-1", at(2), 55.0, number=2),
    ]
    interventions = analytics_document(events)["predictions"]["recommended_interventions"]
    assert interventions[:2] == [
        {
            "type": "tutoring",
            "urgency": "high",
            "description": "Offer tutoring on the weakest topics.",
        },
        {
            "type": "study_plan",
            "urgency": "high",
            "description": "Break the remaining course into weekly goals.",
        },
    ]


def weak_quizzes() -> list[Envelope]:
    return [
        enrolled(at(0)),
        submitted("AT-1", "QZ-4", at(1), 30.0),
        submitted("AT-2", "QZ-2", at(1, 1), 40.0),
        submitted("AT-3", "QZ-3", at(1, 2), 59.5),
        submitted("AT-4", "QZ-1", at(1, 3), 50.0),
        submitted("AT-5", "QZ-0", at(1, 4), 60.0),  # passed: not weak
    ]


def test_before_a_quiz_review_the_first_three_quizzes_scored_below_60():
    milestone = analytics_document(weak_quizzes())["predictions"]["next_milestone"]
    assert milestone["description"] == "quiz QZ-1"
    assert milestone["type"] == "assessment"
    assert milestone["preparation_needed"] == (
        "review the quizzes scored below 60: QZ-1, QZ-2, QZ-3"
    )


def test_before_a_lesson_address_the_first_reason_whatever_the_weak_quizzes():
    lesson = activity([record("R1", "lesson_start", at(1), lesson_id="LSN-1")])
    predictions = analytics_document([*weak_quizzes(), lesson])["predictions"]
    milestone = predictions["next_milestone"]
    assert milestone["description"] == "lesson LSN-1"
    assert predictions["at_risk_indicators"]
    assert milestone["preparation_needed"] == (
        f"address first: {predictions['at_risk_indicators'][0]}"
    )


def test_the_next_due_date_counts_from_the_moment_itself_in_date_order():
    outline = outline_published(
        1,
        [
            {"item_id": "TMA-2", "kind": "assignment", "due_at": at(8)},
            {"item_id": "TMA-1", "kind": "assignment", "due_at": WEEK_END},
        ],
    )
    milestone = analytics_document([enrolled(at(0)), outline])["predictions"]["next_milestone"]
    assert milestone == {
        "type": "assignment",
        "description": "assignment TMA-1, due 2026-11-09 00:00 UTC",
        "estimated_date": WEEK_END,
        "preparation_needed": "address first: active on 0% of recent days (typical 30%)",
    }
