"""`stride import oulad` against the whole platform (`stride up`) on PostgreSQL and
RabbitMQ: a small OULAD-shaped folder goes in through the gateway only; a day cut hides
what came later; a second import writes nothing; no demographic value reaches any
service's database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from shared.config import SERVICES
from shared.oulad.catchup import ServedPlatform, backlog
from shared.oulad.client import ApiClient
from shared.oulad.importer import ImportReport, import_courses
from shared.oulad.mapping import Calendar, courses_of
from shared.oulad.reading import Dataset, read_dataset
from tests.support.local_platform import Platform, running_platform
from tests.support.oulad_folder import MARKERS, write_oulad_folder
from tests.support.rabbitmq import ensure_test_vhost, url_in_test_vhost
from tests.support.stride_http import scratch_postgres_database

pytestmark = pytest.mark.integration

CALENDAR = Calendar({})
AMQP_URL = os.environ.get("STRIDE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, postgres_server: str) -> Iterator[Platform]:
    ensure_test_vhost()
    with ExitStack() as stack:
        servers = {"STRIDE_BROKER_URL": url_in_test_vhost(AMQP_URL)}
        for service in SERVICES:
            url = stack.enter_context(scratch_postgres_database(postgres_server, service))
            servers[f"STRIDE_{service.upper()}_DATABASE_URL"] = url
        yield stack.enter_context(running_platform(tmp_path_factory.mktemp("oulad"), servers))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return read_dataset(write_oulad_folder(tmp_path_factory.mktemp("folder")))


@pytest.fixture(scope="module")
def client(platform: Platform) -> ApiClient:
    return ApiClient(platform.base, platform.token("service", "USR-SVC-OULAD"))


def enrollment(client: ApiClient, student: str, course: str) -> dict[str, Any]:
    document: dict[str, Any] = client.expect(
        "GET",
        "/api/progress/enrollments/by-key",
        params={"student_id": student, "course_id": course},
    )
    return document


def outbox_rows(platform: Platform) -> int:
    engine = sa.create_engine(platform.settings.database_url("progress"))
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    engine.dispose()
    return int(count)


def test_until_day_hides_what_came_later(client: ApiClient, dataset: Dataset):
    later = courses_of(dataset, ["2013J"])

    report = import_courses(client, later, CALENDAR, until_day=30)

    assert (report.records, report.enrollments_created) == (3, 3)
    fourth = enrollment(client, "OU-STU-4", "OU-AAA-2013J")  # TMA day 21, CMA day 46
    assert [a["assignment_id"] for a in fourth["completed_assignments"]] == ["OU-201"]
    fifth = enrollment(client, "OU-STU-5", "OU-AAA-2013J")  # withdraws on day 30
    assert fifth["final_result"] is None
    assert fifth["status"] != "paused"


def test_a_second_import_writes_nothing(client: ApiClient, dataset: Dataset, platform: Platform):
    everything = courses_of(dataset)

    first = import_courses(client, everything, CALENDAR)
    assert first.enrollments_created == 3  # the 2013B ones; 2013J's came with day 30
    assert first.submissions_recorded == 11 - 3  # all but the three before day 30
    assert first.final_results_recorded == 6
    fifth = enrollment(client, "OU-STU-5", "OU-AAA-2013J")
    assert (fifth["final_result"], fifth["status"]) == ("withdrawn", "paused")
    first_student = enrollment(client, "OU-STU-1", "OU-AAA-2013J")
    assert (first_student["final_result"], first_student["status"]) == ("distinction", "completed")
    events = outbox_rows(platform)

    again: ImportReport = import_courses(client, everything, CALENDAR)

    assert again.records == 6
    assert again.written == 0
    assert outbox_rows(platform) == events


def rows_as_text(database_url: str) -> str:
    """Every row of every table of the database, as text."""
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    texts = []
    with psycopg.connect(plain) as connection:
        tables = connection.execute(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            rows = connection.execute(f'SELECT t::text FROM "{schema}"."{table}" AS t')
            texts.extend(row[0] for row in rows)
    return "\n".join(texts)


def test_no_demographic_value_reaches_any_service(
    client: ApiClient, dataset: Dataset, platform: Platform
):
    served = ServedPlatform(platform.settings, timeout=120)
    import_courses(client, courses_of(dataset), CALENDAR)
    served.wait_until_caught_up()
    caught_up = backlog(platform.settings, served.since)
    assert caught_up.empty, caught_up

    everything = {s: rows_as_text(platform.settings.database_url(s)) for s in SERVICES}

    # the students did arrive, in progress and, through the events, in analytics
    assert "OU-STU-4" in everything["progress"]
    assert "OU-STU-4" in everything["analytics"]
    found = {
        (service, column): value
        for service, text in everything.items()
        for column, value in MARKERS.items()
        if value in text
    }
    assert found == {}
