"""Reading an OULAD folder: the columns the importer needs and no demographic one."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.oulad.reading import (
    DatasetError,
    Registration,
    Submission,
    read_dataset,
    read_demographics,
)
from tests.support.oulad_folder import MARKERS, write_oulad_folder

pytestmark = pytest.mark.unit

REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "oulad-2013"


def test_reads_every_row_of_a_small_folder(tmp_path: Path):
    dataset = read_dataset(write_oulad_folder(tmp_path))

    assert [(p.module, p.presentation, p.length) for p in dataset.presentations] == [
        ("AAA", "2013B", 200),
        ("AAA", "2013J", 210),
    ]
    exam = next(a for a in dataset.assessments if a.assessment_id == "103")
    assert (exam.kind, exam.day, exam.weight) == ("Exam", None, 100.0)
    assert dataset.registrations[2] == Registration("AAA", "2013B", "3", None, None)
    assert dataset.registrations[1].unregistered_day == 50
    assert Submission("201", "1", -1, True, 85.0) in dataset.submissions
    assert Submission("101", "3", 19, False, None) in dataset.submissions
    assert [r.result for r in dataset.results] == [
        "Pass",
        "Withdrawn",
        "Fail",
        "Distinction",
        "Pass",
        "Withdrawn",
    ]


def test_no_demographic_value_is_read_for_the_import(tmp_path: Path):
    dataset = read_dataset(write_oulad_folder(tmp_path))

    assert not any(marker in repr(dataset) for marker in MARKERS.values())


def test_demographics_are_read_for_the_report(tmp_path: Path):
    [first, *_] = read_demographics(write_oulad_folder(tmp_path))

    assert (first.student, first.gender, first.age_band, first.disability) == (
        "1",
        MARKERS["gender"],
        MARKERS["age_band"],
        MARKERS["disability"],
    )


def test_a_missing_file_is_named(tmp_path: Path):
    write_oulad_folder(tmp_path)
    (tmp_path / "studentAssessment.csv").unlink()

    with pytest.raises(DatasetError, match=r"studentAssessment.csv: missing"):
        read_dataset(tmp_path)


def test_a_bad_day_names_file_and_line(tmp_path: Path):
    write_oulad_folder(tmp_path)
    path = tmp_path / "studentAssessment.csv"
    path.write_text(path.read_text().replace("101,1,18,0,80.0", "101,1,soon,0,80.0"))

    with pytest.raises(DatasetError, match=r"studentAssessment.csv, line 2: 'soon'"):
        read_dataset(tmp_path)


def test_a_missing_column_is_named(tmp_path: Path):
    write_oulad_folder(tmp_path)
    path = tmp_path / "assessments.csv"
    path.write_text(path.read_text().replace("weight", "heft"))

    with pytest.raises(DatasetError, match=r"assessments.csv: no column weight"):
        read_dataset(tmp_path)


def test_the_real_2013_folder_holds_what_its_readme_says():
    dataset = read_dataset(REAL)

    assert len(dataset.registrations) == 13_529
    assert len(dataset.submissions) == 82_842
    assert len(dataset.results) == 13_529
    assert dataset.presentation_codes() == ["2013B", "2013J"]
    assert len({(p.module, p.presentation) for p in dataset.presentations}) == 9
