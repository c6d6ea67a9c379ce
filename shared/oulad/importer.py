"""``stride import oulad``: an OULAD folder onto the platform through the gateway's API.

For each module presentation, ``PUT /api/progress/courses/{id}/outline`` (a PUT of an
unchanged outline changes nothing), then every registration's enrollment record
``POST /api/progress/enrollment-records``, up to 500 records a request. Progress takes
the records idempotently: an enrollment, submission or final result already there is
not written again, so the import can run again, or again with a later ``until_day``,
and writes only what is new. Nothing is written to a database but through the API.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from shared.oulad.client import ApiClient, ApiError
from shared.oulad.mapping import Calendar, Course, batches, outline_of, records_of

OUTLINE_PATH = "/api/progress/courses/{course_id}/outline"
RECORDS_PATH = "/api/progress/enrollment-records"


@dataclass(frozen=True)
class ImportReport:
    courses: int
    records: int  # records sent
    enrollments_created: int
    submissions_recorded: int
    final_results_recorded: int
    requests: int  # HTTP requests made, retries included
    retries: int
    seconds: float

    @property
    def written(self) -> int:
        """Enrollments, submissions and final results the platform did not have."""
        return self.enrollments_created + self.submissions_recorded + self.final_results_recorded

    def summary(self) -> str:
        return (
            f"{self.courses} course(s), {self.records:,} enrollment record(s) sent: "
            f"{self.enrollments_created:,} enrollment(s) created, "
            f"{self.submissions_recorded:,} submission(s) and "
            f"{self.final_results_recorded:,} final result(s) recorded; "
            f"{self.requests:,} request(s) ({self.retries} retried) in {self.seconds:.1f} s"
        )


def import_courses(
    client: ApiClient,
    courses: Sequence[Course],
    calendar: Calendar,
    until_day: int | None = None,
    *,
    show_progress: bool = False,
) -> ImportReport:
    """Put each course's outline, then send every record; ApiError on a refusal (the
    refused batch wrote nothing, the batches before it stay written)."""
    started = time.monotonic()
    requests_before, retries_before = client.requests, client.retries
    for course in courses:
        client.expect(
            "PUT",
            OUTLINE_PATH.format(course_id=course.course_id),
            json=outline_of(course, calendar),
        )
    records = [record for c in courses for record in records_of(c, calendar, until_day)]
    created = submissions = finals = 0
    with tqdm(
        total=len(records),
        unit="record",
        desc="enrollments",
        disable=not show_progress,
        file=sys.stderr,
    ) as bar:
        for batch in batches(records):
            results = _send(client, batch)
            created += sum(1 for r in results if r["created"])
            submissions += sum(int(r["submissions_recorded"]) for r in results)
            finals += sum(1 for r in results if r["final_result_recorded"])
            bar.update(len(batch))
    return ImportReport(
        courses=len(courses),
        records=len(records),
        enrollments_created=created,
        submissions_recorded=submissions,
        final_results_recorded=finals,
        requests=client.requests - requests_before,
        retries=client.retries - retries_before,
        seconds=time.monotonic() - started,
    )


def _send(client: ApiClient, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    body = client.expect("POST", RECORDS_PATH, json={"records": batch})
    results: list[dict[str, Any]] = body["results"]
    if len(results) != len(batch):
        raise ApiError("POST", RECORDS_PATH, 200, f"{len(results)} results for {len(batch)}")
    return results
