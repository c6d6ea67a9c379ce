"""``stride analytics evaluate`` on a small crafted analytics database (SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.analytics
from services.analytics.domain.evaluation import default_split
from services.analytics.store import enrollment_facts, latest_risk_model
from shared.cli import main
from shared.db import Database
from shared.migrations import upgrade
from tests.unit.analytics.streams import COURSE, analytics_session, apply, at
from tests.unit.analytics.test_model_evaluation import cohort

pytestmark = pytest.mark.unit

MIGRATIONS = Path(services.analytics.__file__).parent / "migrations"


@pytest.fixture
def crafted_database(tmp_path, monkeypatch) -> str:
    """50 enrollments started on day 0 (25 completed), 10 on day 100 (6 completed)."""
    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    upgrade("analytics", url, MIGRATIONS)
    database = Database(url)
    with database.unit_of_work() as session:
        apply(session, cohort("EARLY", 0, 25, 25) + cohort("LATE", 100, 6, 4))
        session.commit()
    database.dispose()
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("STRIDE_ANALYTICS_DATABASE_URL", url)
    return url


def rows_of(output: str) -> dict[str, list[str]]:
    lines = output.strip().splitlines()
    header = lines.index(next(line for line in lines if line.split()[:1] == ["day"]))
    return {line.split()[0]: line.split()[1:] for line in lines[header + 1 :]}


def test_the_table_reports_each_checkpoint_of_the_later_enrollments(crafted_database, capsys):
    status = main(["analytics", "evaluate", "--split", "2027-02-01", "--now", "2027-07-01"])
    output = capsys.readouterr().out
    assert status == 0
    assert "trained on enrollments started before 2027-02-01 00:00 UTC (trained" in output
    rows = rows_of(output)
    days = ["7", "14", "30", "60", "90", "120", "150", "180", "210", "240", "270", "300"]
    assert list(rows) == days
    # day 7: the 10 later enrollments, 6 of them successes, perfectly ranked
    assert rows["7"][:3] == ["10", "6", "1.000"]
    # the completers completed on day 30: from then on only the 4 leavers are judged
    assert rows["60"][:3] == ["4", "0", "-"]


def test_without_a_split_the_latest_started_third_or_so_is_judged(crafted_database, capsys):
    assert main(["analytics", "evaluate", "--now", "2027-07-01"]) == 0
    output = capsys.readouterr().out
    assert "started before 2027-02-10 08:00 UTC" in output  # day 100: the later 10 of 60
    assert rows_of(output)["7"][:2] == ["10", "6"]


def test_an_empty_database_has_nothing_to_evaluate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("STRIDE_ANALYTICS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["analytics", "evaluate"]) == 0
    assert "no finished enrollment to evaluate on" in capsys.readouterr().out


def test_a_split_that_is_not_a_date_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["analytics", "evaluate", "--split", "yesterday"])
    assert exit_.value.code == 2
    assert "'yesterday' is not YYYY-MM-DD or ISO 8601" in capsys.readouterr().err


def test_the_default_split_is_the_start_leaving_a_third_or_so_to_judge():
    with analytics_session() as session:
        apply(session, cohort("EARLY", 0, 25, 25) + cohort("LATE", 100, 6, 4))
        enrollments = enrollment_facts(session)
    assert default_split(enrollments, at(250)) == at(100)
    assert default_split(enrollments[:3], at(250)) is None  # one start only


def latest_model(url: str) -> tuple[str, int]:
    database = Database(url)
    with database.unit_of_work() as session:
        model = latest_risk_model(session)
    database.dispose()
    return model.source, model.trained_on


def test_retrain_fits_and_keeps_the_model_as_of_the_moment_given(crafted_database, capsys):
    assert main(["analytics", "retrain", "--now", "2027-07-01"]) == 0
    assert "analytics: success model trained on" in capsys.readouterr().out
    source, trained_on = latest_model(crafted_database)
    assert source == "trained" and trained_on > 0


def test_retrain_on_the_courses_given_only(crafted_database, capsys):
    assert main(["analytics", "retrain", "--now", "2027-07-01", "--courses", "CRS-NONE"]) == 0
    assert "(too little history: the prior serves)" in capsys.readouterr().out
    assert latest_model(crafted_database) == ("prior", 0)
    assert main(["analytics", "retrain", "--now", "2027-07-01", "--courses", COURSE]) == 0
    assert latest_model(crafted_database)[0] == "trained"
