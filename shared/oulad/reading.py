"""The CSV files of an OULAD folder as frozen records, reading only the columns needed.

The importer reads ids, days, weights, scores and final results, never a demographic
column (gender, region, education, deprivation, age, disability): ``read_dataset`` does
not even look them up. ``read_demographics`` reads the three the judge's fairness table
groups by, for the report only; nothing it returns is ever sent to the platform.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

FILES = (
    "courses.csv",
    "assessments.csv",
    "studentRegistration.csv",
    "studentAssessment.csv",
    "studentInfo.csv",
)


class DatasetError(Exception):
    """The folder is not an OULAD folder, or a row breaks its format (file and line said)."""


@dataclass(frozen=True)
class Presentation:
    module: str  # code_module, e.g. AAA
    presentation: str  # code_presentation, e.g. 2013J
    length: int  # module_presentation_length, in days


@dataclass(frozen=True)
class Assessment:
    assessment_id: str
    module: str
    presentation: str
    kind: str  # TMA, CMA or Exam
    day: int | None  # due day; None for an exam without a date (due at the module's end)
    weight: float


@dataclass(frozen=True)
class Registration:
    module: str
    presentation: str
    student: str  # id_student
    registered_day: int | None
    unregistered_day: int | None  # withdrawal


@dataclass(frozen=True)
class Submission:
    assessment_id: str
    student: str
    day: int
    banked: bool
    score: float | None


@dataclass(frozen=True)
class FinalResult:
    module: str
    presentation: str
    student: str
    result: str  # Pass, Distinction, Fail or Withdrawn


@dataclass(frozen=True)
class Demographics:
    module: str
    presentation: str
    student: str
    gender: str
    age_band: str
    disability: str


@dataclass(frozen=True)
class Dataset:
    presentations: tuple[Presentation, ...]
    assessments: tuple[Assessment, ...]
    registrations: tuple[Registration, ...]
    submissions: tuple[Submission, ...]
    results: tuple[FinalResult, ...]

    def presentation_codes(self) -> list[str]:
        return sorted({p.presentation for p in self.presentations})


def _rows(folder: Path, name: str, wanted: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, the ``wanted`` columns) of each row of ``folder/name``."""
    path = folder / name
    if not path.is_file():
        raise DatasetError(f"{path}: missing; an OULAD folder holds {', '.join(FILES)}")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        header = [column.strip() for column in next(rows, [])]
        missing = [column for column in wanted if column not in header]
        if missing:
            raise DatasetError(f"{path}: no column {', '.join(missing)}")
        at = [header.index(column) for column in wanted]
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) < len(header):
                raise DatasetError(f"{path}, line {line}: {len(row)} fields, not {len(header)}")
            yield line, {column: row[i].strip() for column, i in zip(wanted, at, strict=True)}


def _day(value: str, where: str) -> int | None:
    """A day count ("19", "-159.0"); None when empty."""
    if value in ("", "?"):
        return None
    try:
        number = float(value)
    except ValueError:
        raise DatasetError(f"{where}: {value!r} is not a day number") from None
    if number != int(number):
        raise DatasetError(f"{where}: {value!r} is not a whole day")
    return int(number)


def _number(value: str, where: str) -> float | None:
    if value in ("", "?"):
        return None
    try:
        return float(value)
    except ValueError:
        raise DatasetError(f"{where}: {value!r} is not a number") from None


def read_dataset(folder: Path) -> Dataset:
    """Every presentation, assessment, registration, submission and final result of the
    folder (no demographic column is read)."""
    presentations = []
    for n, r in _rows(
        folder, "courses.csv", ("code_module", "code_presentation", "module_presentation_length")
    ):
        length = _day(r["module_presentation_length"], f"courses.csv, line {n}")
        if length is None or length <= 0:
            raise DatasetError(f"courses.csv, line {n}: module_presentation_length must be > 0")
        presentations.append(Presentation(r["code_module"], r["code_presentation"], length))
    assessments = []
    for n, r in _rows(
        folder,
        "assessments.csv",
        ("code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"),
    ):
        where = f"assessments.csv, line {n}"
        if r["assessment_type"] not in ("TMA", "CMA", "Exam"):
            raise DatasetError(f"{where}: assessment_type {r['assessment_type']!r} is unknown")
        assessments.append(
            Assessment(
                assessment_id=r["id_assessment"],
                module=r["code_module"],
                presentation=r["code_presentation"],
                kind=r["assessment_type"],
                day=_day(r["date"], where),
                weight=_number(r["weight"], where) or 0.0,
            )
        )
    registrations = tuple(
        Registration(
            module=r["code_module"],
            presentation=r["code_presentation"],
            student=r["id_student"],
            registered_day=_day(r["date_registration"], f"studentRegistration.csv, line {n}"),
            unregistered_day=_day(r["date_unregistration"], f"studentRegistration.csv, line {n}"),
        )
        for n, r in _rows(
            folder,
            "studentRegistration.csv",
            (
                "code_module",
                "code_presentation",
                "id_student",
                "date_registration",
                "date_unregistration",
            ),
        )
    )
    submissions = []
    for n, r in _rows(
        folder,
        "studentAssessment.csv",
        ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
    ):
        where = f"studentAssessment.csv, line {n}"
        day = _day(r["date_submitted"], where)
        if day is None:
            raise DatasetError(f"{where}: date_submitted is empty")
        submissions.append(
            Submission(
                assessment_id=r["id_assessment"],
                student=r["id_student"],
                day=day,
                banked=r["is_banked"] == "1",
                score=_number(r["score"], where),
            )
        )
    results = tuple(
        FinalResult(r["code_module"], r["code_presentation"], r["id_student"], r["final_result"])
        for _, r in _rows(
            folder,
            "studentInfo.csv",
            ("code_module", "code_presentation", "id_student", "final_result"),
        )
    )
    return Dataset(
        tuple(presentations), tuple(assessments), registrations, tuple(submissions), results
    )


def read_demographics(folder: Path) -> tuple[Demographics, ...]:
    """Gender, age band and disability of each registration, for the judge's fairness
    table only: never imported."""
    wanted = ("code_module", "code_presentation", "id_student", "gender", "age_band", "disability")
    return tuple(
        Demographics(
            r["code_module"],
            r["code_presentation"],
            r["id_student"],
            r["gender"],
            r["age_band"],
            r["disability"],
        )
        for _, r in _rows(folder, "studentInfo.csv", wanted)
    )
