"""Bad requests get a 4xx naming the field, never a 500."""

from __future__ import annotations

import pytest

from tests.integration.analytics.analytics_api_support import feed
from tests.unit.analytics.streams import COURSE, STUDENT, at, submitted

pytestmark = pytest.mark.security

BASE = f"/students/{STUDENT}/analytics"


@pytest.fixture
def admin(app, caller):
    feed(app, [submitted("AT-1", "QZ-1", at(1), 40.0)])
    return caller("admin", "USR-ADM-1")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period_type=yearly", "period_type"),
        ("start_date=yesterday", "start_date"),
        ("start_date=2026-11-02T10:00:00", "start_date"),
        ("start_date=2026-13-01", "start_date"),
        ("end_date=2026-11-09", "end_date"),
        ("period_type=custom&start_date=2026-11-02", "end_date"),
        ("period_type=custom&end_date=2026-11-02", "start_date"),
        ("period_type=custom&start_date=2026-11-09&end_date=2026-11-02", "end_date"),
        ("period_type=custom&start_date=2020-01-01&end_date=2026-11-02", "end_date"),
        ("course_id=" + "C" * 121, "course_id"),
        ("colour=blue", "colour"),
    ],
)
def test_a_bad_period_or_parameter_is_refused_naming_it(admin, query, field):
    response = admin.get(f"{BASE}?{query}")
    assert response.status_code in {400, 422}, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]


def test_a_custom_period_is_served(admin):
    response = admin.get(
        f"{BASE}?course_id={COURSE}&period_type=custom&start_date=2026-11-02"
        "&end_date=2026-11-05T12:00:00Z"
    )
    assert response.status_code == 200, response.json
    assert (response.json["start_date"], response.json["end_date"]) == (
        "2026-11-02T00:00:00+00:00",
        "2026-11-05T12:00:00+00:00",
    )


def test_an_unknown_student_or_course_is_404(admin, caller):
    assert admin.get("/students/USR-NOBODY/analytics").status_code == 404
    assert admin.get(f"{BASE}?course_id=CRS-NONE").status_code == 404
    assert admin.get("/courses/CRS-NONE/analytics").status_code == 404
    assert admin.get("/students/" + "S" * 121 + "/analytics").status_code == 422


def test_oversized_and_malformed_bodies_are_refused(admin):
    huge = admin.post(
        "/private-aggregates",
        data="x" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    broken = admin.post(
        "/private-aggregates", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert admin.post("/recompute-jobs", json={"course_id": 7}).status_code == 422
