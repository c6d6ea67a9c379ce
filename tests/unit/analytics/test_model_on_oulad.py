"""The success model on real students: the OULAD 2013 registrations (``../shared/data``).

Each registration becomes an enrollment (registration day), its assessment submissions
submitted attempts with their scores, and Pass or Distinction a completion at the
module's end. The model is trained on the 2013B presentations (February) and judged on
the later 2013J ones (October), as ``stride``'s evaluation does. No activity records:
the click stream is not in the data, so the features come from submissions alone.
Demographics in ``studentInfo.csv`` (gender, region, age, disability, deprivation) are
never read.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.analytics.domain.evaluation import evaluate
from services.analytics.domain.projections import (
    Attempt,
    Enrollment,
    StudentFacts,
)

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "oulad-2013"
STARTS = {"2013B": datetime(2013, 2, 1, tzinfo=UTC), "2013J": datetime(2013, 10, 1, tzinfo=UTC)}


def rows(name: str) -> list[dict[str, str]]:
    path = DATA / name
    if not path.exists():
        pytest.fail(f"the OULAD data is missing at {path}", pytrace=False)
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def oulad_enrollments() -> list[StudentFacts]:
    lengths = {
        (r["code_module"], r["code_presentation"]): int(r["module_presentation_length"])
        for r in rows("courses.csv")
    }
    course_of = {
        r["id_assessment"]: (r["code_module"], r["code_presentation"])
        for r in rows("assessments.csv")
    }
    submissions: dict[tuple[str, str, str], list[Attempt]] = defaultdict(list)
    for r in rows("studentAssessment.csv"):
        module, presentation = course_of[r["id_assessment"]]
        if not r["score"] or r["is_banked"] == "1":
            continue
        student, course = r["id_student"], f"{module}-{presentation}"
        moment = STARTS[presentation] + timedelta(days=int(r["date_submitted"]))
        submissions[(student, module, presentation)].append(
            Attempt(
                attempt_id=f"{r['id_assessment']}-{student}",
                student_id=student,
                course_id=course,
                quiz_id=r["id_assessment"],
                attempt_number=1,
                is_practice=False,
                started_at=moment,
                completed_at=moment,
                time_spent=None,
                score=float(r["score"]),
                passed=float(r["score"]) >= 40,
            )
        )
    registered = {
        (r["id_student"], r["code_module"], r["code_presentation"]): r["date_registration"]
        for r in rows("studentRegistration.csv")
    }
    enrollments = []
    for r in rows("studentInfo.csv"):
        key = (r["id_student"], r["code_module"], r["code_presentation"])
        start = STARTS[r["code_presentation"]]
        day = registered.get(key) or "0"
        enrolled_at = start + timedelta(days=min(0, int(float(day))))
        done = r["final_result"] in {"Pass", "Distinction"}
        course = f"{r['code_module']}-{r['code_presentation']}"
        end = start + timedelta(days=lengths[(r["code_module"], r["code_presentation"])])
        enrollment = Enrollment(
            enrollment_id=f"{course}-{r['id_student']}",
            student_id=r["id_student"],
            course_id=course,
            enrolled_at=max(enrolled_at, start),
            status="completed" if done else "in_progress",
            completed_at=end if done else None,
        )
        enrollments.append(
            StudentFacts(
                student_id=r["id_student"],
                activities=(),
                attempts=tuple(submissions.get(key, [])),
                lessons=(),
                assignments=(),
                enrollments=(enrollment,),
            )
        )
    return enrollments


def test_trained_on_2013b_the_model_ranks_2013j_students_better_than_chance():
    model, scores = evaluate(
        oulad_enrollments(),
        split=datetime(2013, 10, 1, tzinfo=UTC),
        now=datetime(2015, 1, 1, tzinfo=UTC),
    )
    assert model.source == "trained"
    by_day = {score.day: score for score in scores}
    for day in (28, 56):
        assert by_day[day].enrollments > 1000
        assert by_day[day].auc is not None and by_day[day].auc > 0.6, by_day[day]
