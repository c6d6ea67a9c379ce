"""``stride oulad judge``: the platform's success predictions on a later term, day by day.

1. The history presentations (2013B) are imported whole; once the consumers caught up,
   the success model is fitted on their enrollments only, as of 61 days after the
   last of them ended (every enrollment of theirs is then finished: completed, or
   without work for the 60 days analytics waits).
2. For each day D (30, 60, 90, 120, 150) the later presentations (2013J) are imported
   as far as day D (only what is new is written), the consumers are waited for, and
   every enrollment's ``success_probability`` and reasons are read through the API as
   of the presentation's start + D days (a custom period ending then).
3. Each day is scored against the final results of ``studentInfo.csv`` (metrics.py),
   overall and by gender, age band and disability, which are read for this report only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from tqdm import tqdm

from shared.oulad.client import ApiClient
from shared.oulad.importer import ImportReport, import_courses
from shared.oulad.mapping import Calendar, Course, outline_of, record_of, student_id
from shared.oulad.metrics import SUCCESS, Judged, Score, by_group, names_own_data, own_data, score
from shared.oulad.reading import Demographics

DAYS = (30, 60, 90, 120, 150)
FAIRNESS = ("gender", "age_band", "disability")
#: the model is fitted this long after the history's end: every enrollment is finished
TRAIN_AFTER_END = timedelta(days=61)
ANALYTICS_PATH = "/api/analytics/students/{student_id}/analytics"


class Platform(Protocol):
    """What the judge asks of the running platform beyond its HTTP API."""

    def wait_until_caught_up(self) -> float: ...

    def retrain(self, now: datetime, course_ids: Sequence[str]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DayReport:
    day: int
    imported: ImportReport
    caught_up_after: float  # seconds
    overall: Score
    fairness: Mapping[str, Mapping[str, Score]]  # attribute -> group -> score


@dataclass(frozen=True)
class JudgeReport:
    history: ImportReport
    model: Mapping[str, Any]
    trained_as_of: datetime
    days: Sequence[DayReport]


def predictions_at(
    client: ApiClient,
    courses: Sequence[Course],
    calendar: Calendar,
    day: int,
    *,
    concurrency: int = 4,
    show_progress: bool = False,
) -> list[Judged]:
    """Every enrollment of ``courses`` started before day ``day``, as analytics predicted
    it as of that day; an enrollment analytics knows nothing of is left out."""
    asks: list[tuple[Course, dict[str, Any], dict[str, Any], datetime, str]] = []
    for course in courses:
        presentation = course.presentation.presentation
        cutoff = calendar.cutoff(presentation, day)
        assert cutoff is not None
        outline = outline_of(course, calendar)
        for registration in course.registrations:
            record = record_of(course, registration, calendar, cutoff)
            if record is not None:
                asks.append((course, record, outline, cutoff, registration.student))

    def ask(job: tuple[Course, dict[str, Any], dict[str, Any], datetime, str]) -> Judged | None:
        course, record, outline, cutoff, student = job
        start = calendar.start(course.presentation.presentation)
        document = client.expect(
            "GET",
            ANALYTICS_PATH.format(student_id=student_id(student)),
            params={
                "course_id": course.course_id,
                "period_type": "custom",
                "start_date": f"{min(start, cutoff - timedelta(days=1)):%Y-%m-%d}",
                "end_date": f"{cutoff:%Y-%m-%d}",
            },
        )
        predicted = document["predictions"]
        if predicted["success_probability"] is None:
            return None
        reasons = tuple(predicted["at_risk_indicators"])
        return Judged(
            student=student,
            course_id=course.course_id,
            succeeded=course.results.get(student) in SUCCESS,
            probability=float(predicted["success_probability"]) / 100,
            indicators=reasons,
            names_own_data=names_own_data(reasons, own_data(record, outline, cutoff)),
            risk_level=document["engagement_metrics"]["risk_level"],
        )

    judged: list[Judged] = []
    with (
        ThreadPoolExecutor(max_workers=concurrency) as pool,
        tqdm(
            total=len(asks),
            unit="student",
            desc=f"day {day}",
            disable=not show_progress,
            file=sys.stderr,
        ) as bar,
    ):
        for found in pool.map(ask, asks):
            bar.update(1)
            if found is not None:
                judged.append(found)
    return judged


def groups_of(demographics: Sequence[Demographics]) -> dict[str, dict[tuple[str, str], str]]:
    """For each fairness attribute, (id_student, course id) -> the student's group."""
    groups: dict[str, dict[tuple[str, str], str]] = {name: {} for name in FAIRNESS}
    for d in demographics:
        key = (d.student, f"OU-{d.module}-{d.presentation}")
        for name in FAIRNESS:
            groups[name][key] = getattr(d, name) or "unknown"
    return groups


def run_judge(
    client: ApiClient,
    platform: Platform,
    history: Sequence[Course],
    later: Sequence[Course],
    demographics: Sequence[Demographics],
    calendar: Calendar,
    days: Sequence[int] = DAYS,
    *,
    concurrency: int = 4,
    show_progress: bool = False,
    say: Callable[[str], None] = print,
) -> JudgeReport:
    if not history or not later:
        raise ValueError("the judge needs history and later presentations in the folder")
    imported = import_courses(client, history, calendar, show_progress=show_progress)
    say(f"history: {imported.summary()}")
    platform.wait_until_caught_up()
    trained_as_of = max(calendar.end(c.presentation) for c in history) + TRAIN_AFTER_END
    model = platform.retrain(trained_as_of, [c.course_id for c in history])
    say(
        f"success model fitted on the history as of {trained_as_of:%Y-%m-%d}: "
        f"{model['source']}, {model['trained_on']:,} examples"
    )
    groups = groups_of(demographics)
    reports = []
    for day in sorted(days):
        now_imported = import_courses(client, later, calendar, day, show_progress=show_progress)
        say(f"day {day}: {now_imported.summary()}")
        waited = platform.wait_until_caught_up()
        judged = predictions_at(
            client, later, calendar, day, concurrency=concurrency, show_progress=show_progress
        )
        reports.append(
            DayReport(
                day=day,
                imported=now_imported,
                caught_up_after=waited,
                overall=score(judged),
                fairness={name: by_group(judged, groups[name]) for name in FAIRNESS},
            )
        )
        say(table([reports[-1]]))
    return JudgeReport(imported, model, trained_as_of, reports)


def _ratio(value: float | None, places: int = 3) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def table(days: Sequence[DayReport]) -> str:
    lines = [
        "| day | students | successes | AUC | calibration error | at risk "
        "| at-risk reasons naming own data | import s | requests | caught up s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d in days:
        s = d.overall
        lines.append(
            f"| {d.day} | {s.students:,} | {s.successes:,} | {_ratio(s.auc)} "
            f"| {_ratio(s.calibration_error)} | {s.at_risk:,} ({_share(s.at_risk_rate)}) "
            f"| {_share(s.named_share)} | {d.imported.seconds:.1f} | {d.imported.requests} "
            f"| {d.caught_up_after:.1f} |"
        )
    return "\n".join(lines)


def fairness_table(days: Sequence[DayReport]) -> str:
    lines = [
        "| day | attribute | group | students | successes | AUC | at-risk rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in days:
        for attribute, groups in d.fairness.items():
            for group, s in groups.items():
                lines.append(
                    f"| {d.day} | {attribute} | {group} | {s.students:,} | {s.successes:,} "
                    f"| {_ratio(s.auc)} | {_share(s.at_risk_rate)} |"
                )
    return "\n".join(lines)


def report_text(report: JudgeReport) -> str:
    return "\n\n".join(
        (
            f"Success model: {report.model['source']}, {report.model['trained_on']:,} examples, "
            f"fitted as of {report.trained_as_of:%Y-%m-%d} on the history "
            f"({report.history.records:,} enrollments).",
            "Predictions of the later term, as of day D of its presentations "
            "(success = Pass or Distinction):",
            table(report.days),
            "By group (from studentInfo.csv, never imported):",
            fairness_table(report.days),
        )
    )
