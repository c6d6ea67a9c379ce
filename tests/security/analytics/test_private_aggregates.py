"""Views that leave a class: small groups suppressed, a privacy budget spent and then
refused, pseudonymous ids, and only admins and services may ask."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from services.analytics.domain.privacy import (
    Mechanisms,
    laplace_mechanisms,
    private_aggregate,
    pseudonym,
)
from shared.config import Settings
from tests.integration.analytics.analytics_api_support import (
    Caller,
    audit_rows,
    feed,
    make_app,
)
from tests.unit.analytics.streams import at, submitted

pytestmark = pytest.mark.security

BIG, SMALL = "CRS-BIG", "CRS-SMALL"
QUERY = {
    "metric": "quiz_average",
    "start_date": "2026-11-01",
    "end_date": "2026-12-01",
}


@pytest.fixture
def app(settings_for: Callable[..., Settings], tmp_path: Path) -> Iterator[Flask]:
    settings = settings_for(STRIDE_MIN_GROUP_SIZE="3", STRIDE_PRIVACY_BUDGET="1.0")
    flask_app = make_app(settings, f"sqlite:///{tmp_path}/analytics.db")
    events = [
        submitted(f"AT-{n}", "QZ-1", at(1), 50.0 + n, student=f"USR-STU-{n}", course=BIG)
        for n in range(4)
    ]
    events += [
        submitted(f"AT-S{n}", "QZ-1", at(1), 90.0, student=f"USR-STU-{n}", course=SMALL)
        for n in range(2)
    ]
    feed(flask_app, events)
    yield flask_app
    flask_app.extensions["stride"].database.dispose()


@pytest.fixture
def admin(caller) -> Caller:
    return caller("admin", "USR-ADM-1")


def test_a_group_smaller_than_the_minimum_is_suppressed(admin):
    response = admin.post("/private-aggregates", json={**QUERY, "epsilon": 0.5})
    assert response.status_code == 200, response.json
    assert [g["group"] for g in response.json["groups"]] == [BIG]
    assert response.json["suppressed_groups"] == 1
    assert response.json["min_group_size"] == 3


def test_the_budget_is_spent_and_then_refused(admin):
    first = admin.post("/private-aggregates", json={**QUERY, "epsilon": 0.6})
    assert first.status_code == 200
    assert first.json["epsilon_spent"] == pytest.approx(0.6)
    assert first.json["budget_remaining"] == pytest.approx(0.4)
    refused = admin.post("/private-aggregates", json={**QUERY, "epsilon": 0.6})
    assert refused.status_code == 409
    assert "privacy budget" in refused.json["detail"]
    last = admin.post("/private-aggregates", json={**QUERY, "epsilon": 0.4})
    assert last.status_code == 200
    assert last.json["budget_remaining"] == pytest.approx(0.0)
    assert admin.post("/private-aggregates", json={**QUERY, "epsilon": 0.01}).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**QUERY, "epsilon": 0}, "epsilon"),
        ({**QUERY, "epsilon": 5}, "epsilon"),
        ({**QUERY, "metric": "gender"}, "metric"),
        ({**QUERY, "epsilon": 0.5, "group_by": "student"}, "group_by"),
        ({"metric": "quiz_average", "epsilon": 0.5}, "start_date"),
    ],
)
def test_bad_queries_are_refused_and_spend_nothing(admin, body, field):
    response = admin.post("/private-aggregates", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    spent = admin.post("/private-aggregates", json={**QUERY, "epsilon": 1.0})
    assert spent.status_code == 200  # the whole budget was still there


@pytest.mark.parametrize(
    ("role", "claims"),
    [("teacher", {"courses": [BIG]}), ("student", {}), ("parent", {"students": ["USR-STU-1"]})],
)
def test_only_admins_and_services_may_ask(app, caller, role, claims):
    who = caller(role, "USR-X", **claims)
    assert who.post("/private-aggregates", json={**QUERY, "epsilon": 0.5}).status_code == 403
    assert who.get(f"/exports/courses/{BIG}/students").status_code == 403
    assert {row.outcome for row in audit_rows(app) if row.actor == "USR-X"} == {"denied"}


def test_the_export_shows_pseudonyms_never_ids(app, admin, settings_for):
    response = admin.get(f"/exports/courses/{BIG}/students")
    assert response.status_code == 200
    rows = response.json["students"]
    key = app.extensions["stride"].settings.pseudonym_key
    assert sorted(r["pseudonym"] for r in rows) == sorted(
        pseudonym(key, f"USR-STU-{n}") for n in range(4)
    )
    assert "USR-STU" not in response.get_data(as_text=True)
    assert admin.get(f"/exports/courses/{SMALL}/students").status_code == 409
    assert admin.get("/exports/courses/CRS-NONE/students").status_code == 404


def test_pseudonyms_are_stable_and_keyed():
    assert pseudonym("k1", "USR-STU-1") == pseudonym("k1", "USR-STU-1")
    assert pseudonym("k1", "USR-STU-1") != pseudonym("k2", "USR-STU-1")


def test_noise_is_laplace_from_opendp_and_spends_the_asked_epsilon():
    mechanisms = laplace_mechanisms(0.5, upper=100.0)
    assert mechanisms.epsilon == pytest.approx(0.5)
    assert mechanisms.count(10.0) != 10.0


def test_shown_values_are_noisy_sum_over_noisy_count_clamped():
    shifted = Mechanisms(count=lambda c: c + 1, total=lambda t: t + 50, epsilon=1.0)
    shown, suppressed = private_aggregate(
        {"A": [10.0, 20.0, 150.0], "B": [1.0]},
        lower=0.0,
        upper=100.0,
        min_group_size=2,
        mechanisms=shifted,
    )
    # A: values clamped to 10, 20, 100 (sum 130); (130 + 50) / (3 + 1) = 45
    assert [(g.group, g.count, g.value) for g in shown] == [("A", 4, 45.0)]
    assert suppressed == 1
