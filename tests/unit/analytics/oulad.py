"""The OULAD 2013 registrations (``../shared/data/oulad-2013``) as the facts analytics keeps.

The mapping follows the importer's (``stride import oulad``): each module presentation is
a course whose outline holds every assessment as an ``assignment`` item with its weight
and due day (one weighted 0 is not required and weighs the default 1); each submission
a submitted assignment at its day, graded with its score (none: submitted, not graded; a
banked one, a mark carried over from an earlier presentation, at the day the dataset
gives it, before the start); a withdrawal a
status change to ``paused`` that took effect on the withdrawal day; Pass and
Distinction a completion at the module's end. One difference: an enrollment starts at
the presentation's start (or its later registration day), not at an earlier
registration, so that checkpoint day D is day D of the presentation. Days count from
2013-02-01 (2013B) and 2013-10-01 (2013J), at midnight UTC. There are no activity
records: the click stream is not in the data.

Of ``studentInfo.csv`` only the ids and ``final_result`` are read; its demographic
columns (gender, region, education, deprivation, age, disability) are never read.

``python -m tests.unit.analytics.oulad`` prints the evaluation table of the README.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.analytics.domain.evaluation import (
    CheckpointScore,
    auc,
    calibration_error,
    evaluate,
)
from services.analytics.domain.features import features_of
from services.analytics.domain.projections import (
    Assignment,
    Enrollment,
    OutlineItem,
    StudentFacts,
)
from services.analytics.domain.risk_model import RiskModel, train, training_set

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "oulad-2013"
STARTS = {"2013B": datetime(2013, 2, 1, tzinfo=UTC), "2013J": datetime(2013, 10, 1, tzinfo=UTC)}
SPLIT = STARTS["2013J"]
NOW = datetime(2015, 1, 1, tzinfo=UTC)
SUCCESS = frozenset({"Pass", "Distinction"})


class MissingData(Exception):
    pass


def columns(name: str, wanted: Sequence[str]) -> Iterator[dict[str, str]]:
    """The ``wanted`` columns of each row of a CSV file, and no other."""
    path = DATA / name
    if not path.exists():
        raise MissingData(f"the OULAD data is missing at {path}")
    with path.open(newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        at = [header.index(column) for column in wanted]
        for row in rows:
            yield {column: row[i] for column, i in zip(wanted, at, strict=True)}


def _day(start: datetime, day: str) -> datetime:
    return start + timedelta(days=float(day))


def outlines() -> dict[str, tuple[OutlineItem, ...]]:
    items: dict[str, list[OutlineItem]] = defaultdict(list)
    wanted = ("code_module", "code_presentation", "id_assessment", "date", "weight")
    for r in columns("assessments.csv", wanted):
        course = f"OU-{r['code_module']}-{r['code_presentation']}"
        due = _day(STARTS[r["code_presentation"]], r["date"]) if r["date"] else None
        items[course].append(
            OutlineItem(
                course_id=course,
                item_id=f"OU-A-{r['id_assessment']}",
                position=len(items[course]),
                kind="assignment",
                module_id=course,
                required=float(r["weight"]) > 0,
                weight=float(r["weight"]) or 1.0,
                due_at=due,
            )
        )
    return {course: tuple(found) for course, found in items.items()}


def oulad_enrollments(*, from_registration: bool = False) -> list[StudentFacts]:
    """The registrations as enrollments; ``from_registration``: an enrollment starts at its
    registration day even before the presentation's start (as the importer dates it)."""
    ends = {
        f"OU-{r['code_module']}-{r['code_presentation']}": _day(
            STARTS[r["code_presentation"]], r["module_presentation_length"]
        )
        for r in columns(
            "courses.csv", ("code_module", "code_presentation", "module_presentation_length")
        )
    }
    course_of = {
        r["id_assessment"]: (
            f"OU-{r['code_module']}-{r['code_presentation']}",
            r["code_presentation"],
        )
        for r in columns("assessments.csv", ("code_module", "code_presentation", "id_assessment"))
    }
    submissions: dict[tuple[str, str], list[Assignment]] = defaultdict(list)
    wanted = ("id_assessment", "id_student", "date_submitted", "is_banked", "score")
    for r in columns("studentAssessment.csv", wanted):
        course, presentation = course_of[r["id_assessment"]]
        student = f"OU-STU-{r['id_student']}"
        moment = _day(STARTS[presentation], r["date_submitted"])
        submissions[(student, course)].append(
            Assignment(
                student_id=student,
                course_id=course,
                assignment_id=f"OU-A-{r['id_assessment']}",
                status="graded" if r["score"] else "submitted",
                submitted_at=moment,
                first_submitted_at=moment,
                grade=float(r["score"]) if r["score"] else None,
                time_spent=None,
            )
        )
    registrations = {
        (f"OU-STU-{r['id_student']}", f"OU-{r['code_module']}-{r['code_presentation']}"): r
        for r in columns(
            "studentRegistration.csv",
            (
                "id_student",
                "code_module",
                "code_presentation",
                "date_registration",
                "date_unregistration",
            ),
        )
    }
    course_outlines = outlines()
    enrollments = []
    wanted = ("id_student", "code_module", "code_presentation", "final_result")
    for r in columns("studentInfo.csv", wanted):
        student = f"OU-STU-{r['id_student']}"
        course = f"OU-{r['code_module']}-{r['code_presentation']}"
        start = STARTS[r["code_presentation"]]
        registration = registrations.get((student, course), {})
        enrolled_at = _day(start, registration.get("date_registration") or "0")
        withdrawn = registration.get("date_unregistration") or ""
        done = r["final_result"] in SUCCESS
        changes: list[tuple[datetime, str]] = []
        if withdrawn:
            changes.append((_day(start, withdrawn), "paused"))
        if done:
            changes.append((ends[course], "completed"))
        enrollment = Enrollment(
            enrollment_id=f"{course}-{student}",
            student_id=student,
            course_id=course,
            enrolled_at=enrolled_at if from_registration else max(enrolled_at, start),
            status=changes[-1][1] if changes else "in_progress",
            completed_at=ends[course] if done else None,
            status_changes=tuple(sorted(changes)),
        )
        enrollments.append(
            StudentFacts(
                student_id=student,
                activities=(),
                attempts=(),
                lessons=(),
                assignments=tuple(submissions.get((student, course), [])),
                enrollments=(enrollment,),
                outline=course_outlines.get(course, ()),
            )
        )
    return enrollments


def evaluation() -> tuple[RiskModel, list[CheckpointScore]]:
    """Trained on the 2013B presentations, judged on the 2013J ones."""
    return evaluate(oulad_enrollments(), split=SPLIT, now=NOW)


def judged_on_presentation_days(
    days: Sequence[int] = (30, 60, 90, 120, 150),
) -> list[CheckpointScore]:
    """As the judge of ``stride oulad judge`` asks: enrollments dated from their registration,
    the model trained on 2013B as of 61 days after its last module ended (every enrollment
    of it finished), every 2013J enrollment predicted as of its presentation's start + D
    days."""
    everyone = oulad_enrollments(from_registration=True)
    history = [f for f in everyone if f.enrollments[0].course_id.endswith("2013B")]
    judged = [f for f in everyone if f.enrollments[0].course_id.endswith("2013J")]
    trained_as_of = max(
        e.completed_at for f in history for e in f.enrollments if e.completed_at is not None
    ) + timedelta(days=61)
    examples, courses = training_set(history, trained_as_of)
    model = train(examples, trained_as_of, courses)
    scores = []
    for day in days:
        moment = STARTS["2013J"] + timedelta(days=day)
        pairs = [
            (f.enrollments[0].completed_at is not None, model.probability(features))
            for f in judged
            if (features := features_of(f, moment)) is not None
        ]
        labels, probabilities = [ok for ok, _ in pairs], [p for _, p in pairs]
        scores.append(
            CheckpointScore(
                day=day,
                enrollments=len(pairs),
                successes=sum(labels),
                auc=auc(labels, probabilities),
                calibration_error=calibration_error(labels, probabilities),
            )
        )
    return scores


def table(scores: Sequence[CheckpointScore]) -> str:
    lines = [
        "| checkpoint day | enrollments | successes | AUC | calibration error |",
        "|---|---|---|---|---|",
    ]
    for s in scores:
        auc = "-" if s.auc is None else f"{s.auc:.3f}"
        ece = "-" if s.calibration_error is None else f"{s.calibration_error:.3f}"
        lines.append(f"| {s.day} | {s.enrollments:,} | {s.successes:,} | {auc} | {ece} |")
    return "\n".join(lines)


if __name__ == "__main__":
    model, scores = evaluation()
    print(f"trained on {model.trained_on:,} examples ({model.source})")
    print(table(scores))
    print("\nenrollments from their registration, judged on day D of the presentation:")
    print(table(judged_on_presentation_days()))
