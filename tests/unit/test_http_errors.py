"""Every error answers application/problem+json with a request id; never a stack trace."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from shared.config import Settings
from tests.support.probe import create_probe_app

pytestmark = pytest.mark.unit


@pytest.fixture
def client(settings_for: Callable[..., Settings]) -> FlaskClient:
    return create_probe_app(settings_for(STRIDE_MAX_CONTENT_LENGTH="2048")).test_client()


@pytest.fixture
def auth(token_for: Callable) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('admin', 'USR-ADM-1')}"}


def test_validation_error_names_the_field_and_the_problem(client: FlaskClient, auth):
    response = client.post(
        "/students/S1/records", json={"course_id": "C1", "score": 140}, headers=auth
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["errors"] == {
        "score": ["Must be greater than or equal to 0 and less than or equal to 100."]
    }
    assert "score" in body["detail"]


def test_missing_and_mistyped_fields_are_all_reported(client: FlaskClient, auth):
    response = client.post("/students/S1/records", json={"score": "high"}, headers=auth)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"course_id", "score"}


def test_unknown_fields_are_refused(client: FlaskClient, auth):
    response = client.post(
        "/students/S1/records", json={"course_id": "C1", "score": 1, "grade": "A"}, headers=auth
    )
    assert response.status_code == 422
    assert "grade" in response.json["errors"]


def test_invalid_json_is_a_4xx(client: FlaskClient, auth):
    response = client.post(
        "/students/S1/records", data="{not json", content_type="application/json", headers=auth
    )
    assert 400 <= response.status_code < 500
    assert response.content_type == "application/problem+json"


def test_unknown_route_is_404(client: FlaskClient):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json["type"].endswith("not_found")


def test_wrong_method_is_405_with_allow_header(client: FlaskClient, auth):
    response = client.delete("/students/S1/records", headers=auth)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_oversized_body_is_413(client: FlaskClient, auth):
    response = client.post(
        "/students/S1/records", json={"course_id": "C" * 5000, "score": 1}, headers=auth
    )
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_unexpected_error_is_500_without_internals(client: FlaskClient, auth):
    response = client.get("/boom", headers=auth)
    assert response.status_code == 500
    assert "internal detail" not in response.get_data(as_text=True)
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_request_id_is_echoed_or_generated(client: FlaskClient):
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["X-Request-ID"]) == 32


def test_every_log_line_of_a_request_is_json_with_its_request_id(
    settings_for: Callable[..., Settings], token_for: Callable, capsys: pytest.CaptureFixture
):
    client = create_probe_app(settings_for(STRIDE_LOG_LEVEL="INFO")).test_client()
    capsys.readouterr()
    auth = {"Authorization": f"Bearer {token_for('admin', 'USR-ADM-1')}"}
    client.get("/boom", headers={**auth, "X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert {line["event"] for line in lines} >= {"request.failed", "request.finished"}
    assert all(line.get("request_id") == "trace-42" for line in lines)


def test_an_unreachable_database_answers_503_not_500(
    settings_for: Callable[..., Settings], token_for: Callable
):
    settings = settings_for(STRIDE_AUTO_MIGRATE="false")
    app = create_probe_app(settings, "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    response = app.test_client().get(
        "/students/S1/records",
        headers={"Authorization": f"Bearer {token_for('admin', 'USR-ADM-1')}"},
    )
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
