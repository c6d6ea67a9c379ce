"""A small OULAD-shaped folder written for a test: the five CSV files with the original
columns. Its demographic values are markers found nowhere else, so a test can search
the platform's databases for them."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

#: demographic values of the folder: none may ever reach a service
MARKERS = {
    "gender": "Gx-Marker",
    "region": "Region-Marker-Qz",
    "highest_education": "Education-Marker-Qz",
    "imd_band": "Band-Marker-Qz",
    "age_band": "Age-Marker-Qz",
    "disability": "Dx-Marker",
}

COURSES = [("AAA", "2013B", 200), ("AAA", "2013J", 210)]
ASSESSMENTS = [
    ("AAA", "2013B", 101, "TMA", "20.0", "50.0"),
    ("AAA", "2013B", 102, "CMA", "60.0", "0.0"),
    ("AAA", "2013B", 103, "Exam", "", "100.0"),
    ("AAA", "2013J", 201, "TMA", "20.0", "40.0"),
    ("AAA", "2013J", 202, "CMA", "45.0", "60.0"),
    ("AAA", "2013J", 203, "Exam", "209.0", "100.0"),
]
#: (module, presentation, student, registered, unregistered, final result)
REGISTRATIONS = [
    ("AAA", "2013B", 1, "-30.0", "", "Pass"),
    ("AAA", "2013B", 2, "-10.0", "50.0", "Withdrawn"),
    ("AAA", "2013B", 3, "", "", "Fail"),
    ("AAA", "2013J", 1, "-20.0", "", "Distinction"),
    ("AAA", "2013J", 4, "5.0", "", "Pass"),
    ("AAA", "2013J", 5, "-3.0", "30.0", "Withdrawn"),
]
#: (assessment, student, day submitted, banked, score)
SUBMISSIONS = [
    (101, 1, "18", "0", "80.0"),
    (102, 1, "55", "0", "90.0"),
    (103, 1, "199", "0", "70.0"),
    (101, 2, "25", "0", "40.0"),
    (101, 3, "19", "0", ""),
    (201, 1, "-1", "1", "85.0"),
    (202, 1, "44", "0", "75.0"),
    (203, 1, "209", "0", "88.0"),
    (201, 4, "21", "0", "55.0"),
    (202, 4, "46", "0", "60.0"),
    (201, 5, "19", "0", "30.0"),
]


INFO_COLUMNS = (
    "code_module",
    "code_presentation",
    "id_student",
    "gender",
    "region",
    "highest_education",
    "imd_band",
    "age_band",
    "num_of_prev_attempts",
    "studied_credits",
    "disability",
    "final_result",
)


def _info_row(registration: tuple[str, str, int, str, str, str]) -> list[object]:
    module, presentation, student, _, _, result = registration
    known = {
        "code_module": module,
        "code_presentation": presentation,
        "id_student": student,
        "num_of_prev_attempts": 0,
        "studied_credits": 60,
        "final_result": result,
        **MARKERS,
    }
    return [known[column] for column in INFO_COLUMNS]


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_oulad_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "courses.csv",
        ("code_module", "code_presentation", "module_presentation_length"),
        COURSES,
    )
    _write(
        folder / "assessments.csv",
        ("code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"),
        ASSESSMENTS,
    )
    _write(
        folder / "studentRegistration.csv",
        (
            "code_module",
            "code_presentation",
            "id_student",
            "date_registration",
            "date_unregistration",
        ),
        [row[:5] for row in REGISTRATIONS],
    )
    _write(
        folder / "studentAssessment.csv",
        ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
        SUBMISSIONS,
    )
    _write(folder / "studentInfo.csv", INFO_COLUMNS, [_info_row(r) for r in REGISTRATIONS])
    return folder
