"""The reports service's rules at their edges: terms, who sees a report, scales, trends,
and every section of a report's content (charts, weights, feedback, next steps)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.reports.domain.content import ReportInputs, attendance_rate, compose_report
from services.reports.domain.grading import DEFAULT_SCALE, GradingScale, grading_scale_from
from services.reports.domain.terms import term_ended_before
from services.reports.domain.texts import say, texts
from services.reports.domain.trends import mastery_level, sub_skill_level, trend_of
from services.reports.domain.visibility import visible_to
from services.reports.domain.work import (
    AssignmentWork,
    CourseSettings,
    EarnedAchievement,
    LessonDone,
    OutlineItem,
    Period,
    QuizAttempt,
    RiskAssessment,
    StudentRecord,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

START = datetime(2026, 9, 1, tzinfo=UTC)
PERIOD = Period(START, START + timedelta(days=28))


def day(n: float) -> datetime:
    return START + timedelta(days=n, hours=10)


OUTLINE = (
    OutlineItem("LSN-1", "lesson", "Intro", "MOD-1", "Limits"),
    OutlineItem("QZ-1", "quiz", "Limits quiz", "MOD-1", "Limits", weight=3),
    OutlineItem("ASG-1", "assignment", "Essay", "MOD-2", "Derivatives", weight=1),
    OutlineItem("LSN-2", "lesson", "Slopes", "MOD-2", "Derivatives"),
    OutlineItem("LSN-X", "lesson", "Extra", "MOD-2", "Derivatives", required=False),
)


def record(**kwargs) -> StudentRecord:
    return StudentRecord("USR-STU-1", "CRS-1", **kwargs)


def report(student: StudentRecord, **kwargs) -> dict:
    return compose_report(ReportInputs(student, kwargs.pop("period", PERIOD), **kwargs))


def utc(year: int, month: int, day_of_month: int) -> datetime:
    return datetime(year, month, day_of_month, tzinfo=UTC)


# -- terms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 6, 1), utc(2026, 1, 1), utc(2026, 6, 1)),
        (date(2026, 5, 31), utc(2025, 9, 1), utc(2026, 1, 1)),
        (date(2026, 1, 1), utc(2025, 9, 1), utc(2026, 1, 1)),
        (date(2026, 8, 31), utc(2026, 1, 1), utc(2026, 6, 1)),
        (date(2026, 9, 1), utc(2026, 6, 1), utc(2026, 9, 1)),
        (date(2026, 12, 31), utc(2026, 6, 1), utc(2026, 9, 1)),
    ],
)
def test_the_term_that_ended_last_before_a_day(today: date, start: datetime, end: datetime):
    assert term_ended_before(today) == Period(start, end)


def test_a_period_holds_its_two_ends_and_nothing_outside():
    assert START in PERIOD and PERIOD.end in PERIOD
    assert START - timedelta(microseconds=1) not in PERIOD
    assert PERIOD.end + timedelta(microseconds=1) not in PERIOD
    assert None not in PERIOD


# -- visibility -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "switch"),
    [
        ("student", "student"),
        ("parent", "parents"),
        ("teacher", "teachers"),
        ("admin", "administrators"),
    ],
)
def test_each_role_sees_a_report_by_its_own_switch(role: str, switch: str):
    assert visible_to(role, {switch: True})
    assert not visible_to(role, {switch: False})
    others = {key: True for key in ("student", "parents", "teachers", "administrators")}
    del others[switch]
    assert not visible_to(role, others)


def test_the_author_always_sees_the_report_and_an_unknown_role_never():
    assert visible_to("teacher", {}, is_author=True)
    assert not visible_to("teacher", {})
    everything = {"student": True, "parents": True, "teachers": True, "administrators": True}
    assert not visible_to("auditor", everything)


# -- grading scales ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentage", "letter", "points"),
    [
        (100, "A", 4.0),
        (93, "A", 4.0),
        (92.99, "A-", 3.7),
        (60, "D", 1.0),
        (59.99, "F", 0.0),
        (0, "F", 0.0),
        (-1, "F", 0.0),
    ],
)
def test_default_scale_bands(percentage: float, letter: str, points: float):
    assert DEFAULT_SCALE.letter_for(percentage) == letter
    assert DEFAULT_SCALE.gpa_points_for(percentage) == points


def test_a_course_scale_is_ordered_from_the_highest_minimum_and_read_back():
    scale = grading_scale_from(
        [
            {"letter": "F", "min_percentage": 0, "gpa_points": 0},
            {"letter": "H", "min_percentage": "80", "gpa_points": 4},
            {"letter": "P", "min_percentage": 50, "gpa_points": "2.5"},
        ]
    )
    assert scale.to_dict() == [
        {"letter": "H", "min_percentage": 80.0, "gpa_points": 4.0},
        {"letter": "P", "min_percentage": 50.0, "gpa_points": 2.5},
        {"letter": "F", "min_percentage": 0.0, "gpa_points": 0.0},
    ]
    assert [scale.letter_for(p) for p in (100, 80, 79.9, 50, 49.9, 0)] == list("HHPPFF")
    assert isinstance(scale, GradingScale)


def refusal(bands: list[dict]) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as error:
        grading_scale_from(bands)
    return error.value.fields


def band(letter: str, minimum: float, points: float) -> dict:
    return {"letter": letter, "min_percentage": minimum, "gpa_points": points}


@pytest.mark.parametrize(
    ("bands", "problem"),
    [
        ([], "must have at least one band"),
        ([band("P", 50, 1), band("P", 0, 0)], "letters must be distinct"),
        (
            [band("P", 50, 1), band("Q", 50, 0), band("F", 0, 0)],
            "min_percentage values must be distinct",
        ),
        ([band("P", 50, 1), band("F", 1, 0)], "the lowest band must start at 0"),
        ([band("P", 50, 1), band("F", 0, 2)], "gpa_points must not rise as the minimum falls"),
    ],
)
def test_a_course_scale_is_refused_naming_its_problem(bands: list[dict], problem: str):
    assert refusal(bands) == {"grading_scale": [problem]}


def test_equal_points_in_two_bands_are_allowed():
    scale = grading_scale_from([band("P", 50, 1), band("Q", 20, 1), band("F", 0, 0)])
    assert [b.letter for b in scale.bands] == ["P", "Q", "F"]


# -- trends and levels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        ([0, 2], "stable"),  # a slope of exactly the threshold is no change
        ([0, 2.01], "improving"),
        ([2, 0], "stable"),
        ([2.01, 0], "declining"),
        ([0, 2.5, 5], "improving"),  # slope 2.5 over three attempts
        ([5, 2.5, 0], "declining"),
        ([0, 2, 4], "stable"),
        ([10, 40, 10, 40], "improving"),  # least squares: 6 points per attempt
        ([50, 50, 50], "stable"),
    ],
)
def test_trend_is_the_least_squares_slope_against_the_threshold(scores, trend):
    assert trend_of(scores) == trend


@pytest.mark.parametrize(
    ("average", "level"),
    [
        (89.99, "proficient"),
        (90, "advanced"),
        (74.99, "developing"),
        (75, "proficient"),
        (59.99, "beginner"),
        (60, "developing"),
        (0, "beginner"),
        (100, "advanced"),
    ],
)
def test_mastery_levels_at_their_edges(average: float, level: str):
    assert mastery_level(average) == level


@pytest.mark.parametrize(
    ("score", "level"), [(39.99, 2), (40, 3), (59.99, 3), (60, 4), (99.9, 5), (120, 5)]
)
def test_sub_skill_levels_at_their_edges(score: float, level: int):
    assert sub_skill_level(score) == level


# -- texts ------------------------------------------------------------------------------


def test_an_unknown_language_reads_english():
    assert texts("fr") is texts("en")
    assert say("fr", "phrase.finish", item="Essay") == "Finish Essay"
    assert say("es", "phrase.finish", item="Essay") == "Terminar Essay"


# -- attendance -------------------------------------------------------------------------


def test_attendance_counts_every_started_week_of_the_period():
    ten_days = Period(START, START + timedelta(days=10))  # two weeks, the second partial
    assert attendance_rate([day(0)], ten_days) == 50.0
    assert attendance_rate([day(0), day(8)], ten_days) == 100.0
    assert attendance_rate([], ten_days) == 0.0
    three_weeks = Period(START, START + timedelta(days=21))
    assert attendance_rate([day(1), day(2)], three_weeks) == 33.3
    instant = Period(START, START)
    assert attendance_rate([START], instant) == 100.0


# -- content ----------------------------------------------------------------------------


def busy_student(**kwargs) -> StudentRecord:
    return record(
        lessons=(
            LessonDone("LSN-1", day(1), time_spent=30, score=70),
            LessonDone("LSN-2", day(40), time_spent=50),
        ),
        attempts=(
            QuizAttempt("A1", "QZ-1", day(2), 60, time_spent=10),
            QuizAttempt("A2", "QZ-1", day(9), 80, time_spent=20),
            QuizAttempt("A0", "QZ-1", day(3), 100, time_spent=5, is_practice=True),
            QuizAttempt("A9", "QZ-1", day(40), 100, time_spent=7),
            QuizAttempt("A3", "QZ-1", day(9.5), None, time_spent=1),
        ),
        assignments=(AssignmentWork("ASG-1", "graded", day(10), grade=100, time_spent=60),),
        **kwargs,
    )


def test_charts_draw_scores_minutes_per_day_and_letters():
    charts = report(busy_student())["charts"]
    assert charts["score_trend"] == [["2026-09-03", 60], ["2026-09-10", 80]]
    # practice counts as time spent; the work after the period does not
    assert charts["time_by_day"] == [
        ["2026-09-02", 30.0],
        ["2026-09-03", 10.0],
        ["2026-09-04", 5.0],
        ["2026-09-10", 21.0],
        ["2026-09-11", 60.0],
    ]
    distribution = dict(charts["grade_distribution"])
    assert [letter for letter, _count in charts["grade_distribution"]][:2] == ["F", "D"]
    assert distribution == {letter: 0 for letter in distribution} | {"B-": 1, "A": 1}


def test_summary_counts_the_work_in_the_period():
    summary = report(busy_student(), outline=OUTLINE)["summary"]
    assert summary == {
        "overall_grade": "B",
        # QZ-1 best counted score 80 (weight 3), ASG-1 100 (weight 1)
        "overall_percentage": 85.0,
        "attendance_rate": 50.0,
        # every required item is done, LSN-2 after the period
        "completion_rate": 100.0,
        "behavior_score": None,
        "effort_score": None,
        "total_time_spent": round((30 + 10 + 20 + 5 + 1 + 60) / 60, 2),
        "assignments_completed": 1,
        "quizzes_taken": 1,
        "gpa_contribution": 0.0,
        "credit_hours": 0.0,
    }


def test_completion_counts_required_items_done_however_long_ago():
    student = record(
        lessons=(LessonDone("LSN-1", day(-100)),),
        attempts=(QuizAttempt("A0", "QZ-1", day(3), 100, is_practice=True),),
        assignments=(AssignmentWork("ASG-1", "draft", day(4)),),
    )
    assert report(student, outline=OUTLINE)["summary"]["completion_rate"] == 25.0
    for status in ("submitted", "graded", "returned", "late"):
        submitted = record(assignments=(AssignmentWork("ASG-1", status, day(4)),))
        assert report(submitted, outline=OUTLINE)["summary"]["completion_rate"] == 25.0
        assert report(submitted, outline=OUTLINE)["summary"]["assignments_completed"] == 1
    drafted = report(record(assignments=(AssignmentWork("ASG-1", "draft", day(4), 90),)))
    assert drafted["summary"]["assignments_completed"] == 0
    assert drafted["summary"]["overall_percentage"] is None


def test_credit_and_gpa_of_a_completed_course_with_a_failing_grade():
    student = record(attempts=(QuizAttempt("A1", "QZ-1", day(2), 40),), course_completed_at=day(3))
    summary = report(student, course=CourseSettings(credit_hours=4))["summary"]
    assert summary["overall_grade"] == "F"
    assert summary["credit_hours"] == 0.0 and summary["gpa_contribution"] == 0.0


def test_a_course_scale_grades_the_report():
    course = CourseSettings(scale_bands=(("H", 80.0, 4.0), ("P", 50.0, 2.5), ("F", 0.0, 0.0)))
    student = record(attempts=(QuizAttempt("A1", "QZ-1", day(2), 66.66),))
    result = report(student, course=course)
    assert result["summary"]["overall_grade"] == "P"
    assert result["summary"]["overall_percentage"] == 66.7
    assert result["charts"]["grade_distribution"] == [["F", 0], ["P", 1], ["H", 0]]


def test_each_graded_item_weighs_its_share_of_the_outline_or_an_equal_share():
    student = record(
        attempts=(
            QuizAttempt("A1", "QZ-1", day(2), 50),
            QuizAttempt("A2", "QZ-2", day(3), 90),
        ),
        assignments=(AssignmentWork("ASG-1", "late", day(4), grade=70),),
    )
    titled = CourseSettings(item_titles={"QZ-2": "Bonus quiz"})
    plain = report(student, course=titled)
    assert [(q["id"], q["title"], q["weight"]) for q in plain["assessments"]["quizzes"]] == [
        ("QZ-1", "QZ-1", 33.3),
        ("QZ-2", "Bonus quiz", 33.3),
    ]
    # unweighted: (50 + 90 + 70) / 3
    assert plain["summary"]["overall_percentage"] == 70.0
    weighted = report(student, outline=OUTLINE, course=titled)
    assert [(q["title"], q["weight"]) for q in weighted["assessments"]["quizzes"]] == [
        ("Limits quiz", 75.0),
        ("Bonus quiz", 33.3),
    ]
    # QZ-1 weighs 3, the others 1: (150 + 90 + 70) / 5
    assert weighted["summary"]["overall_percentage"] == 62.0
    assert weighted["assessments"]["assignments"] == [
        {
            "id": "ASG-1",
            "title": "Essay",
            "submitted": day(4),
            "grade": 70.0,
            "feedback_summary": None,
            "late": False,
        }
    ]


def test_quizzes_are_listed_by_their_last_attempt_with_the_best_score():
    student = record(
        attempts=(
            QuizAttempt("A1", "QZ-2", day(1), 90.04),
            QuizAttempt("A2", "QZ-1", day(2), 70),
            QuizAttempt("A3", "QZ-2", day(5), 40),
            QuizAttempt("A4", "QZ-3", day(3), None),
        )
    )
    quizzes = report(student)["assessments"]["quizzes"]
    assert [(q["id"], q["date"], q["score"], q["trend"]) for q in quizzes] == [
        ("QZ-1", day(2), 70.0, "stable"),
        ("QZ-3", day(3), None, "stable"),
        ("QZ-2", day(5), 90.0, "declining"),
    ]


def test_an_assignment_is_late_only_after_its_due_moment():
    due = CourseSettings(due_dates={"ASG-1": day(4), "ASG-2": day(4)})
    student = record(
        assignments=(
            AssignmentWork("ASG-1", "submitted", day(4)),
            AssignmentWork("ASG-2", "submitted", day(4) + timedelta(seconds=1)),
            AssignmentWork("ASG-3", "submitted", day(20)),
        )
    )
    rows = report(student, course=due, teacher={"feedback_summaries": {"ASG-2": "Rushed"}})
    assignments = rows["assessments"]["assignments"]
    assert [(a["id"], a["late"], a["feedback_summary"]) for a in assignments] == [
        ("ASG-1", False, None),
        ("ASG-2", True, "Rushed"),
        ("ASG-3", False, None),
    ]


def test_skills_gather_the_scored_work_of_each_module():
    skills = report(busy_student(), outline=OUTLINE)["skills"]
    assert skills == [
        {
            "skill_name": "Limits",
            "category": "academic",
            # LSN-1 70, QZ-1 60 and 80 (A9 is after the period, A0 practice)
            "mastery_level": "developing",
            "evidence_count": 3,
            "last_demonstrated": day(9),
            "sub_skills": [{"name": "Intro", "level": 4}, {"name": "Limits quiz", "level": 5}],
        },
        {
            "skill_name": "Derivatives",
            "category": "academic",
            "mastery_level": "advanced",
            "evidence_count": 1,
            "last_demonstrated": day(10),
            "sub_skills": [{"name": "Essay", "level": 5}],
        },
    ]


def test_feedback_names_strengths_declines_and_achievements():
    student = record(
        attempts=(
            QuizAttempt("A1", "QZ-1", day(1), 100),
            QuizAttempt("A2", "QZ-1", day(2), 90),
            QuizAttempt("A3", "QZ-1", day(3), 70),
        ),
        assignments=(AssignmentWork("ASG-1", "graded", day(24), grade=100),),
        course_completed_at=day(25),
        certificate_issued_at=day(26),
    )
    teacher = {"teacher_comments": "Steady.", "action_items": [{"description": "Revise"}]}
    feedback = report(student, outline=OUTLINE, teacher=teacher)["feedback"]
    assert feedback == {
        "strengths": ["Strong mastery of Limits", "Strong mastery of Derivatives"],
        "improvements": ["Scores on Limits quiz are declining"],
        "achievements": [
            "Completed the course",
            "Earned the course certificate",
            "Perfect score on Limits quiz",
        ],
        "teacher_comments": "Steady.",
        "action_items": [{"description": "Revise"}],
        "recommendations": {
            # weeks 0 and 3 of four: attendance 50, not below it
            "academic": [],
            "behavioral": [],
            # QZ-1 best 100 (weight 3), ASG-1 100
            "enrichment": ["Take on enrichment work beyond the course"],
        },
    }


def test_feedback_asks_for_weekly_and_timely_work_and_names_weak_skills():
    student = record(
        attempts=(QuizAttempt("A1", "QZ-1", day(1), 50),),
        assignments=(AssignmentWork("ASG-1", "late", day(2), grade=89.9),),
    )
    due = CourseSettings(due_dates={"ASG-1": day(1)})
    feedback = report(student, outline=OUTLINE, course=due)["feedback"]
    assert feedback["strengths"] == ["Strong mastery of Derivatives"]
    assert feedback["improvements"] == ["Consolidate Limits"]
    assert feedback["achievements"] == []
    assert feedback["recommendations"] == {
        "academic": ["Review the lessons of Limits"],
        "behavioral": [
            "Work on the course at least once a week",
            "Submit assignments by their due date",
        ],
        "enrichment": [],
    }


def test_enrichment_starts_at_an_overall_ninety():
    at_ninety = record(attempts=(QuizAttempt("A1", "QZ-1", day(1), 90),))
    below = record(attempts=(QuizAttempt("A1", "QZ-1", day(1), 89.9),))
    enrichment = "Take on enrichment work beyond the course"
    assert report(at_ninety)["feedback"]["recommendations"]["enrichment"] == [enrichment]
    assert report(below)["feedback"]["recommendations"]["enrichment"] == []


def test_next_steps_focus_on_the_weakest_skill_first():
    student = record(
        attempts=(QuizAttempt("A1", "QZ-1", day(1), 65),),
        assignments=(AssignmentWork("ASG-1", "graded", day(2), grade=40),),
    )
    steps = report(student, outline=OUTLINE)["next_steps"]
    # Derivatives (40, beginner) before Limits (65, developing)
    assert steps["immediate_focus"] == "Review the lessons of Derivatives"
    # (3 * 65 + 40) / 4 = 58.75: below 70
    assert steps["support_services"] == ["Tutoring"]


def test_next_steps_without_a_weak_skill_name_the_first_unfinished_item_or_keep_pace():
    started = record(lessons=(LessonDone("LSN-1", day(1)),))
    focus = report(started, outline=OUTLINE)["next_steps"]["immediate_focus"]
    assert focus == "Finish Limits quiz"
    strong = record(
        lessons=(LessonDone("LSN-1", day(1)), LessonDone("LSN-2", day(2))),
        attempts=(QuizAttempt("A1", "QZ-1", day(1), 95),),
        assignments=(AssignmentWork("ASG-1", "graded", day(3), grade=75),),
    )
    steps = report(strong, outline=OUTLINE)["next_steps"]
    assert steps["immediate_focus"] == "Keep the current pace"
    assert steps["support_services"] == []
    assert steps["parent_actions"] == []


def test_next_steps_keep_the_teacher_s_services_and_resources_once():
    student = record(attempts=(QuizAttempt("A1", "QZ-1", day(1), 69.9),))
    teacher = {
        "support_services": ["Tutoring", "Counselling"],
        "resources": [{"title": "Khan Academy"}],
        "projects": [{"name": "Bridge"}],
    }
    result = report(student, teacher=teacher)
    assert result["next_steps"]["support_services"] == ["Tutoring", "Counselling"]
    assert result["next_steps"]["resources"] == [{"title": "Khan Academy"}]
    assert result["assessments"]["projects"] == [{"name": "Bridge"}]
    at_seventy = record(attempts=(QuizAttempt("A1", "QZ-1", day(1), 70),))
    assert report(at_seventy)["next_steps"]["support_services"] == []


def test_parents_are_asked_to_review_and_to_watch_due_dates_when_work_was_late():
    late = record(assignments=(AssignmentWork("ASG-1", "late", day(2), grade=80),))
    due = CourseSettings(due_dates={"ASG-1": day(1)})
    assert report(late, course=due, for_parents=True)["next_steps"]["parent_actions"] == [
        "Review this report with your child",
        "Check upcoming due dates together each week",
    ]
    on_time = CourseSettings(due_dates={"ASG-1": day(3)})
    assert report(late, course=on_time, for_parents=True)["next_steps"]["parent_actions"] == [
        "Review this report with your child"
    ]
    assert report(late, course=due)["next_steps"]["parent_actions"] == []
    spanish = report(late, course=due, for_parents=True, language="es")["next_steps"]
    assert spanish["parent_actions"][0] == "Revisar este informe con su hijo o hija"


def test_shares_rates_and_hours_are_rounded_as_documented():
    outline = (
        OutlineItem("LSN-1", "lesson", "Intro", "MOD-1", "Limits"),
        OutlineItem("QZ-1", "quiz", "Limits quiz", "MOD-1", "Limits", weight=1),
        OutlineItem("QZ-2", "quiz", "Slopes quiz", "MOD-1", "Limits", weight=2),
    )
    student = record(
        lessons=(LessonDone("LSN-1", day(15), time_spent=10.26),),
        attempts=(QuizAttempt("A1", "QZ-1", day(1), 81),),
        course_completed_at=day(20),
    )
    course = CourseSettings(credit_hours=1.25)
    result = report(student, outline=outline, course=course)
    assert result["charts"]["time_by_day"] == [["2026-09-02", 0.0], ["2026-09-16", 10.3]]
    [quiz] = result["assessments"]["quizzes"]
    assert quiz["weight"] == 33.3
    summary = result["summary"]
    assert summary["completion_rate"] == 66.7
    # the lesson alone is week 2's work, the quiz week 0's
    assert summary["attendance_rate"] == 50.0
    assert summary["total_time_spent"] == 0.17
    # B- is worth 2.7 points: 2.7 * 1.25 = 3.375
    assert summary["gpa_contribution"] == 3.38


def test_an_item_weighing_the_whole_outline_has_all_of_its_weight():
    outline = (OutlineItem("QZ-1", "quiz", "Only quiz", "MOD-1", "Limits", weight=1),)
    student = record(
        attempts=(QuizAttempt("A1", "QZ-1", day(1), 80), QuizAttempt("A2", "QZ-9", day(2), 80))
    )
    quizzes = report(student, outline=outline)["assessments"]["quizzes"]
    assert [(q["id"], q["weight"]) for q in quizzes] == [("QZ-1", 100.0), ("QZ-9", 50.0)]


def test_a_completed_course_with_the_lowest_passing_letter_earns_its_credit():
    student = record(attempts=(QuizAttempt("A1", "QZ-1", day(2), 65),), course_completed_at=day(3))
    summary = report(student, course=CourseSettings(credit_hours=4))["summary"]
    assert summary["overall_grade"] == "D"
    assert summary["credit_hours"] == 4 and summary["gpa_contribution"] == 4.0


def test_the_teacher_s_scores_are_kept():
    teacher = {"behavior_score": 80, "effort_score": 90}
    summary = report(record(), teacher=teacher)["summary"]
    assert (summary["behavior_score"], summary["effort_score"]) == (80, 90)


def test_feedback_is_written_in_the_report_s_language():
    student = record(
        attempts=(
            QuizAttempt("A1", "QZ-1", day(1), 100),
            QuizAttempt("A2", "QZ-1", day(2), 40),
            QuizAttempt("A3", "QZ-1", day(3), 30),
        ),
        course_completed_at=day(25),
        certificate_issued_at=day(26),
    )
    feedback = report(student, outline=OUTLINE, language="es")["feedback"]
    assert feedback["improvements"] == [
        "Consolidar Limits",
        "Las puntuaciones de Limits quiz bajan",
    ]
    assert feedback["achievements"] == [
        "Completó el curso",
        "Obtuvo el certificado del curso",
        "Puntuación perfecta en Limits quiz",
    ]


def test_a_week_is_seven_days_to_the_second():
    eight_days = Period(START, START + timedelta(days=8))
    assert attendance_rate([START, START + timedelta(days=7)], eight_days) == 100.0
    assert attendance_rate([START + timedelta(days=7)], eight_days) == 50.0
    a_week_and_a_second = Period(START, START + timedelta(days=7, seconds=1))
    assert attendance_rate([START], a_week_and_a_second) == 50.0


def test_every_phrase_of_the_report_is_in_its_language():
    student = record(
        attempts=(QuizAttempt("A1", "QZ-1", day(1), 100),),
        assignments=(AssignmentWork("ASG-1", "late", day(2), grade=70),),
    )
    due = CourseSettings(due_dates={"ASG-1": day(1)})
    result = report(student, outline=OUTLINE, course=due, language="es", for_parents=True)
    feedback, steps = result["feedback"], result["next_steps"]
    assert feedback["strengths"] == ["Buen dominio de Limits"]
    assert feedback["recommendations"] == {
        "academic": ["Repasar las lecciones de Derivatives"],
        "behavioral": [
            "Trabajar en el curso al menos una vez por semana",
            "Entregar las tareas a tiempo",
        ],
        # (3 * 100 + 70) / 4 = 92.5
        "enrichment": ["Abordar trabajo de ampliación más allá del curso"],
    }
    assert steps["immediate_focus"] == "Repasar las lecciones de Derivatives"
    assert steps["parent_actions"] == [
        "Revisar este informe con su hijo o hija",
        "Revisar juntos cada semana las próximas entregas",
    ]
    started = record(lessons=(LessonDone("LSN-1", day(1)),))
    focus = report(started, outline=OUTLINE, language="es")["next_steps"]["immediate_focus"]
    assert focus == "Terminar Limits quiz"
    assert report(record(), language="es")["next_steps"]["immediate_focus"] == (
        "Mantener el ritmo actual"
    )


# -- what analytics tells: achievements and risk --------------------------------------------


def test_achievements_earned_in_the_period_are_named_in_order():
    student = record(
        achievements=(
            EarnedAchievement("ACH-2", "Week streak", day(9)),
            EarnedAchievement("ACH-1", "First quiz", day(2)),
            EarnedAchievement("ACH-0", "Before the period", day(-3)),
            EarnedAchievement("ACH-3", "After the period", day(29)),
        )
    )
    assert report(student)["feedback"]["achievements"] == [
        "Achievement earned: First quiz",
        "Achievement earned: Week streak",
    ]
    spanish = report(student, language="es")["feedback"]["achievements"]
    assert spanish == ["Logro obtenido: First quiz", "Logro obtenido: Week streak"]


@pytest.mark.parametrize(
    ("risks", "offered"),
    [
        ((), False),
        ((RiskAssessment("CRS-1", "high", day(5)),), True),
        ((RiskAssessment("CRS-1", "medium", day(-10)),), True),  # still at risk in the period
        ((RiskAssessment("CRS-1", "high", day(5)), RiskAssessment("CRS-1", "low", day(9))), False),
        ((RiskAssessment("CRS-1", "low", day(9)), RiskAssessment("CRS-1", "high", day(5))), False),
        ((RiskAssessment("CRS-1", "low", day(5)), RiskAssessment("CRS-1", "high", day(40))), False),
        ((RiskAssessment("CRS-1", "low", day(5)), RiskAssessment("CRS-2", "high", day(6))), True),
        ((RiskAssessment("CRS-1", "high", PERIOD.end),), True),  # at the period's end itself
        # one after the period's end is passed over, not the end of the search
        ((RiskAssessment("CRS-1", "low", day(40)), RiskAssessment("CRS-1", "high", day(5))), True),
        # two at the same moment: the higher level counts, in either order
        ((RiskAssessment("CRS-1", "low", day(9)), RiskAssessment("CRS-1", "high", day(9))), True),
        ((RiskAssessment("CRS-1", "high", day(9)), RiskAssessment("CRS-1", "low", day(9))), True),
    ],
)
def test_a_student_at_risk_at_the_period_s_end_is_offered_check_ins(risks, offered):
    teacher = {"support_services": ["Math lab"]}
    steps = report(record(risks=risks), teacher=teacher)["next_steps"]
    check_ins = ["Regular check-ins with the teacher"] if offered else []
    assert steps["support_services"] == [*check_ins, "Math lab"]
    if offered:
        spanish = report(record(risks=risks), language="es")["next_steps"]["support_services"]
        assert spanish == ["Seguimiento regular con el docente"]
