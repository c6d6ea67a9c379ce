"""The reports service's pure rules: grading scales, trends and the report's content."""

from datetime import UTC, datetime, timedelta

import pytest

from services.reports.domain.content import ReportInputs, attendance_rate, compose_report
from services.reports.domain.grading import DEFAULT_SCALE, grading_scale_from
from services.reports.domain.trends import mastery_level, sub_skill_level, trend_of
from services.reports.domain.work import (
    AssignmentWork,
    CourseSettings,
    LessonDone,
    OutlineItem,
    Period,
    QuizAttempt,
    StudentRecord,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

START = datetime(2026, 9, 1, tzinfo=UTC)
PERIOD = Period(START, START + timedelta(days=28))


def day(n: int) -> datetime:
    return START + timedelta(days=n, hours=10)


OUTLINE = (
    OutlineItem("LSN-1", "lesson", "Intro", "MOD-1", "Limits"),
    OutlineItem("QZ-1", "quiz", "Limits quiz", "MOD-1", "Limits", weight=3),
    OutlineItem("ASG-1", "assignment", "Essay", "MOD-2", "Derivatives", weight=1),
    OutlineItem("LSN-2", "lesson", "Slopes", "MOD-2", "Derivatives"),
)


def record(**kwargs) -> StudentRecord:
    return StudentRecord("USR-STU-1", "CRS-1", **kwargs)


def test_default_scale_gives_letters_and_gpa_points():
    assert DEFAULT_SCALE.letter_for(95) == "A"
    assert DEFAULT_SCALE.letter_for(90) == "A-"
    assert DEFAULT_SCALE.letter_for(59.9) == "F"
    assert DEFAULT_SCALE.gpa_points_for(84) == 3.0


def test_a_course_scale_must_start_at_zero_and_have_distinct_letters():
    scale = grading_scale_from(
        [
            {"letter": "P", "min_percentage": 50, "gpa_points": 1},
            {"letter": "F", "min_percentage": 0, "gpa_points": 0},
        ]
    )
    assert scale.letter_for(50) == "P" and scale.letter_for(49) == "F"
    with pytest.raises(InvalidInput):
        grading_scale_from([{"letter": "P", "min_percentage": 50, "gpa_points": 1}])
    with pytest.raises(InvalidInput):
        grading_scale_from(
            [
                {"letter": "P", "min_percentage": 50, "gpa_points": 1},
                {"letter": "P", "min_percentage": 0, "gpa_points": 0},
            ]
        )


@pytest.mark.parametrize(
    ("scores", "trend"),
    [([], "stable"), ([70], "stable"), ([60, 70, 80], "improving"), ([90, 80], "declining")],
)
def test_trend_is_the_slope_of_scores_in_order(scores, trend):
    assert trend_of(scores) == trend


def test_mastery_and_sub_skill_levels():
    assert [mastery_level(s) for s in (50, 60, 75, 90)] == [
        "beginner",
        "developing",
        "proficient",
        "advanced",
    ]
    assert [sub_skill_level(s) for s in (0, 19.9, 20, 79, 80, 100)] == [1, 1, 2, 4, 5, 5]


def test_attendance_counts_weeks_with_work():
    assert attendance_rate([day(0), day(1), day(15)], PERIOD) == 50.0


def test_content_is_computed_from_the_work_in_the_period():
    student = record(
        lessons=(LessonDone("LSN-1", day(1), time_spent=30),),
        attempts=(
            QuizAttempt("A1", "QZ-1", day(2), 60, time_spent=10),
            QuizAttempt("A2", "QZ-1", day(9), 80, time_spent=20),
            QuizAttempt("A0", "QZ-1", day(3), 100, is_practice=True),
            QuizAttempt("A9", "QZ-1", day(40), 100),
        ),
        assignments=(AssignmentWork("ASG-1", "graded", day(10), grade=100, time_spent=60),),
    )
    course = CourseSettings(credit_hours=3, due_dates={"ASG-1": day(9)})
    report = compose_report(ReportInputs(student, PERIOD, OUTLINE, course))
    summary = report["summary"]
    # weighted: QZ-1 best 80 (weight 3), ASG-1 100 (weight 1) -> 85
    assert summary["overall_percentage"] == 85.0
    assert summary["overall_grade"] == "B"
    assert summary["gpa_contribution"] == 9.0
    assert summary["credit_hours"] == 0.0  # not completed, nothing earned
    assert summary["quizzes_taken"] == 1 and summary["assignments_completed"] == 1
    assert summary["total_time_spent"] == 2.0
    assert summary["completion_rate"] == 75.0
    assert summary["attendance_rate"] == 50.0
    [quiz] = report["assessments"]["quizzes"]
    assert quiz == {
        "id": "QZ-1",
        "title": "Limits quiz",
        "date": day(9),
        "score": 80.0,
        "weight": 75.0,
        "trend": "improving",
    }
    [assignment] = report["assessments"]["assignments"]
    assert assignment["late"] is True and assignment["grade"] == 100.0
    skills = {s["skill_name"]: s for s in report["skills"]}
    assert skills["Limits"]["mastery_level"] == "developing"
    assert skills["Limits"]["evidence_count"] == 2
    assert skills["Derivatives"]["mastery_level"] == "advanced"
    assert report["feedback"]["strengths"] == ["Strong mastery of Derivatives"]
    assert report["feedback"]["recommendations"]["academic"] == ["Review the lessons of Limits"]
    assert report["feedback"]["recommendations"]["behavioral"] == [
        "Submit assignments by their due date"
    ]
    assert report["next_steps"]["immediate_focus"] == "Review the lessons of Limits"


def test_credit_hours_are_earned_by_completing_with_a_passing_grade():
    student = record(
        attempts=(QuizAttempt("A1", "QZ-1", day(2), 95),),
        course_completed_at=day(3),
    )
    course = CourseSettings(credit_hours=4)
    summary = compose_report(ReportInputs(student, PERIOD, OUTLINE, course))["summary"]
    assert summary["credit_hours"] == 4 and summary["gpa_contribution"] == 16.0


def test_teacher_input_is_kept_in_the_report_and_language_is_applied():
    teacher = {
        "behavior_score": 80,
        "effort_score": 90,
        "teacher_comments": "Good term.",
        "goals": [{"goal_id": "G1", "description": "Read", "progress": 50, "milestones": []}],
        "action_items": [{"priority": "high", "description": "Redo quiz"}],
    }
    student = record(attempts=(QuizAttempt("A1", "QZ-1", day(2), 40),))
    report = compose_report(ReportInputs(student, PERIOD, OUTLINE, teacher=teacher, language="es"))
    assert report["summary"]["behavior_score"] == 80
    assert report["feedback"]["teacher_comments"] == "Good term."
    assert report["goals"][0]["goal_id"] == "G1"
    assert report["next_steps"]["support_services"] == ["Tutorías"]


def test_an_empty_record_has_no_grade():
    summary = compose_report(ReportInputs(record(), PERIOD))["summary"]
    assert summary["overall_grade"] is None and summary["overall_percentage"] is None
    assert summary["completion_rate"] is None and summary["attendance_rate"] == 0.0
