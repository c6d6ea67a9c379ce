"""What every service inherits from shared/web.py at its edge: deep JSON refused with
400, security headers and no-store, oversized headers 431, refused tokens audited."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from shared.config import SERVICES, Settings
from shared.db import audit_table
from shared.gateway import create_service_app_by_name
from shared.web import MAX_JSON_DEPTH, json_depth_exceeds
from tests.support.probe import create_probe_app

pytestmark = pytest.mark.security

PATH = "/students/USR-STU-1/records"


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = create_probe_app(settings)
    yield application
    application.extensions["stride"].database.dispose()


def audit_rows(app: Flask) -> list[Any]:
    with app.extensions["stride"].database.engine.connect() as connection:
        return list(connection.execute(sa.select(audit_table).order_by(audit_table.c.id)))


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# -- deep JSON ----------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b'{"a": 1}', False),
        (nested(MAX_JSON_DEPTH), False),
        (nested(MAX_JSON_DEPTH + 1), True),
        (b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), True),
        # Brackets inside strings are text, not nesting.
        (b'{"content": "' + b"[[[[" * 100 + b'"}', False),
        (b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', False),
        # Many siblings are wide, not deep.
        (b"[" + b",".join([b"[]"] * 500) + b"]", False),
    ],
)
def test_json_depth(body: bytes, deep: bool):
    assert json_depth_exceeds(body) is deep


@pytest.fixture
def every_service(settings: Settings, tmp_path: Any) -> Iterator[dict[str, Flask]]:
    apps = {
        name: create_service_app_by_name(
            name,
            {
                "STRIDE_SETTINGS": settings,
                "DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db",
                "TESTING": True,
            },
        )
        for name in SERVICES
    }
    yield apps
    for application in apps.values():
        application.extensions["stride"].database.dispose()


def test_deep_json_is_a_400_on_every_route_of_every_service(
    every_service: dict[str, Flask], token_for: Callable[..., str]
):
    """About 1,000 levels once gave a RecursionError (500) in the JSON parser."""
    headers = {"Authorization": f"Bearer {token_for('admin', 'USR-ADM-1')}"}
    tried = 0
    for name, application in every_service.items():
        client = application.test_client()
        for rule in application.url_map.iter_rules():
            for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"}):
                path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"x-\1", rule.rule)
                for depth in (MAX_JSON_DEPTH + 1, 1_000, 100_000):
                    response = client.open(
                        path,
                        method=method,
                        data=nested(depth),
                        headers=headers,
                        content_type="application/json",
                    )
                    where = (name, method, rule.rule, depth)
                    assert response.status_code == 400, where
                    assert response.content_type == "application/problem+json", where
                    assert response.json["type"].endswith("/json_too_deep"), where
                    tried += 1
    assert tried >= 3 * 15  # progress and attempts today; the others inherit the check


def test_json_within_the_limit_reaches_the_view(app: Flask, token_for: Callable[..., str]):
    client = app.test_client()
    response = client.post(
        PATH,
        json={"course_id": "CRS-1", "score": 5, "extra": [[[[1]]]]},
        headers={"Authorization": f"Bearer {token_for('student', 'USR-STU-1')}"},
    )
    assert response.status_code == 422  # the schema refuses "extra": the body was parsed
    assert "extra" in response.json["errors"]


# -- headers ------------------------------------------------------------------------------
def test_every_response_carries_the_security_headers(app: Flask, token_for: Callable[..., str]):
    client = app.test_client()
    token = {"Authorization": f"Bearer {token_for('student', 'USR-STU-1')}"}
    responses = {
        "personal data": client.get(PATH, headers=token),
        "refused": client.get("/students/USR-STU-2/records", headers=token),
        "no token": client.get(PATH),
        "unknown route": client.get("/nowhere", headers=token),
        "failure": client.get("/boom", headers=token),
        "health": client.get("/healthz"),
    }
    for name, response in responses.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name
        assert response.headers["Cache-Control"] == "no-store", name
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], name


def test_the_docs_page_has_a_strict_csp_allowing_only_its_own_script(app: Flask):
    client = app.test_client()
    page = client.get("/docs")
    policy = page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "default-src 'none'" in policy
    [script] = re.findall(r"<script>(.*?)</script>", page.get_data(as_text=True), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    # Static assets may be cached; they hold no personal data.
    asset = client.get("/docs-assets/swagger-ui-bundle.js")
    assert "no-store" not in asset.headers["Cache-Control"]


def test_an_oversized_header_is_a_431_problem(app: Flask, token_for: Callable[..., str]):
    client = app.test_client()
    response = client.get(
        PATH,
        headers={
            "Authorization": f"Bearer {token_for('student', 'USR-STU-1')}",
            "X-Padding": "a" * 65536,
        },
    )
    assert response.status_code == 431
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({f"X-Padding-{n}": "a" * 15_000 for n in range(2)}, 200),  # 30 kB together
        ({f"X-Padding-{n}": "a" * 15_000 for n in range(3)}, 431),  # 45 kB together
        ({"X-Padding": "a" * (16 * 1024 - len("X-Padding"))}, 200),  # one at the limit
        ({"X-Padding": "a" * (16 * 1024 - len("X-Padding") + 1)}, 431),
        ({"Content-Type": "a" * 17_000}, 431),  # not an HTTP_ variable, still a header
        ({"Authorization": "Bearer " + "a" * 17_000}, 401),  # left to the verifier
    ],
)
def test_headers_are_limited_each_and_together(
    app: Flask, token_for: Callable[..., str], headers: dict[str, str], status: int
):
    sent = {"Authorization": f"Bearer {token_for('student', 'USR-STU-1')}", **headers}
    response = app.test_client().get(PATH, headers=sent)
    assert response.status_code == status, response.get_json()


def test_every_request_is_counted_by_method_route_and_status(
    app: Flask, token_for: Callable[..., str]
):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for('student', 'USR-STU-1')}"}
    for _ in range(3):
        assert client.get(PATH, headers=headers).status_code == 200
    assert client.get(PATH).status_code == 401
    assert client.get("/no/such/route", headers=headers).status_code == 404
    for method in ("BREW", "PROPFIND", "X" * 40):  # not one series each
        assert client.open(PATH, method=method, headers=headers).status_code == 405
    exposition = client.get("/metrics").get_data(as_text=True)

    def counted(method: str, endpoint: str, status: str) -> float:
        labels = f'endpoint="{re.escape(endpoint)}",method="{method}",service="[^"]+"'
        found = re.search(
            rf'^stride_http_requests_total\{{{labels},status="{status}"\}} (\S+)$',
            exposition,
            re.MULTILINE,
        )
        return float(found.group(1)) if found else 0.0

    route = "/students/<student_id>/records"
    assert counted("GET", route, "200") == 3
    assert counted("GET", route, "401") == 1
    assert counted("GET", "unmatched", "404") == 1
    assert counted("other", "unmatched", "405") == 3
    assert "BREW" not in exposition
    labels = f'endpoint="{re.escape(route)}",method="GET",service="[^"]+"'
    latency = re.search(
        rf"^stride_http_request_duration_seconds_count\{{{labels}\}} (\S+)$",
        exposition,
        re.MULTILINE,
    )
    assert latency is not None and float(latency.group(1)) == 4


def test_request_ids_are_kept_only_when_well_formed(app: Flask):
    client = app.test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "gateway-id-1"})
    assert kept.headers["X-Request-ID"] == "gateway-id-1"
    for bad in ("has spaces", "x" * 65, "new\\nline", "ü"):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), bad


# -- 401 audited --------------------------------------------------------------------------
def test_a_refused_token_is_audited_with_its_claimed_subject_and_client(
    app: Flask, settings: Settings, token_for: Callable[..., str]
):
    client = app.test_client()
    other = settings.__class__(**{**settings.__dict__, "jwt_issuer": "https://evil.example"})
    from shared.auth import mint_token

    forged = mint_token(other, sub="USR-STU-7", role="admin")
    response = client.get(
        PATH, headers={"Authorization": f"Bearer {forged}"}, environ_base={"REMOTE_ADDR": "1.2.3.4"}
    )
    assert response.status_code == 401
    no_token = client.get(PATH, environ_base={"REMOTE_ADDR": "5.6.7.8"})
    assert no_token.status_code == 401
    first, second = audit_rows(app)
    assert (first.actor, first.role, first.outcome, first.status_code) == (
        "claimed:USR-STU-7",
        "none",
        "unauthenticated",
        401,
    )
    assert first.resource.startswith(f"GET {PATH} client=")
    assert "1.2.3.4" not in first.resource  # the address is kept only as a keyed hash
    assert first.request_id == response.headers["X-Request-ID"]
    assert (second.actor, second.outcome) == ("anonymous", "unauthenticated")
    assert first.resource != second.resource  # two clients, two hashes
