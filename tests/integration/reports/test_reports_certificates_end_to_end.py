"""End to end on the real PostgreSQL and RabbitMQ, through the gateway's paths: a student
who meets the outline's certificate criteria finds ``certificate_issued`` and a working
``certificate_url`` on their progress.

The progress and reports apps are mounted as the gateway mounts them (``/api/<service>``)
and served over HTTP; their outbox relays and event consumers run the services' own
handlers, on queues named for this test so parallel runs never share one.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pypdfium2
import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from services.progress.app import create_app as create_progress_app
from services.progress.handlers import registry as progress_registry
from services.reports.app import create_app as create_reports_app
from services.reports.handlers import registry as reports_registry
from shared.config import Settings
from shared.events import HandlerRegistry
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from tests.support import backbone

pytestmark = pytest.mark.integration

COURSE = "CRS-CERT-1"
STUDENT = "USR-STU-CERT-1"


def _copy(registry: HandlerRegistry, name: str) -> HandlerRegistry:
    copy = HandlerRegistry(name)
    for event_type in registry.event_types:
        handler = registry.handler_for(event_type)
        assert handler is not None
        copy.handles(event_type)(handler)
    return copy


class Http:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path if path.startswith("/") else path, data=data, method=method
        )
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers["Content-Type"]

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, raw, _ = self.call(method, path, body)
        return status, json.loads(raw or b"null")


@pytest.fixture
def platform(
    settings_for: Callable[..., Settings],
    make_postgres_database: Callable[[str], str],
    rabbitmq_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:
    server = make_server("127.0.0.1", 0, lambda environ, start: None, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    # the consumer process reads its settings from the environment, as in production
    monkeypatch.setenv("STRIDE_PUBLIC_URL", base)
    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url, STRIDE_PUBLIC_URL=base)
    progress = create_progress_app(
        {"STRIDE_SETTINGS": settings, "DATABASE_URL": make_postgres_database("progress")}
    )
    reports = create_reports_app(
        {"STRIDE_SETTINGS": settings, "DATABASE_URL": make_postgres_database("reports")}
    )
    server.app = DispatcherMiddleware(
        NotFound(), {"/api/progress": progress.wsgi_app, "/api/reports": reports.wsgi_app}
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    suffix = uuid.uuid4().hex[:8]
    databases = {
        "progress": progress.extensions["stride"].database,
        "reports": reports.extensions["stride"].database,
    }
    consumers = [
        EventConsumer(
            _copy(progress_registry, f"progresse2e{suffix}"), databases["progress"], settings
        ),
        EventConsumer(
            _copy(reports_registry, f"reportse2e{suffix}"), databases["reports"], settings
        ),
    ]
    with kombu_connection(settings) as connection:
        for consumer in consumers:
            consumer.declare(connection)
    relays = [backbone.new_relay(name, db, settings) for name, db in databases.items()]
    yield {"base": base, "settings": settings, "loops": [*consumers, *relays]}
    server.shutdown()
    for consumer in consumers:
        backbone.delete_queues(settings, consumer)
    for database in databases.values():
        database.dispose()


def test_a_student_meeting_the_criteria_gets_a_working_certificate(platform, token_for):
    base = platform["base"]
    admin = Http(base, token_for("admin", "USR-ADM-1"))
    student = Http(base, token_for("student", STUDENT))
    outline = {
        "modules": [
            {
                "module_id": "MOD-1",
                "title": "Basics",
                "items": [
                    {"item_id": "LSN-1", "kind": "lesson", "title": "One"},
                    {"item_id": "LSN-2", "kind": "lesson", "title": "Two"},
                ],
            }
        ],
        "certificate_criteria": {"requires_completion": True},
    }
    status, _ = admin.json("PUT", f"/api/progress/courses/{COURSE}/outline", outline)
    assert status == 200
    status, enrollment = admin.json(
        "POST", "/api/progress/enrollments", {"student_id": STUDENT, "course_id": COURSE}
    )
    assert status == 201, enrollment
    path = f"/api/progress/enrollments/{enrollment['id']}"
    for lesson in ("LSN-1", "LSN-2"):
        status, body = student.json(
            "POST",
            f"{path}/lessons/{lesson}/completion",
            {"completion_id": f"c-{lesson}", "time_spent": 10},
        )
        assert status in (200, 201), body

    progress: dict[str, Any] = {}

    def issued() -> bool:
        nonlocal progress
        progress = student.json("GET", path)[1]
        return bool(progress.get("certificate_issued"))

    assert backbone.run_loops_until(platform["loops"], issued, timeout=120), progress
    url = progress["certificate_url"]
    assert url.startswith(f"{base}/api/reports/certificates/") and url.endswith(".pdf")
    status, pdf, media_type = student.call("GET", url)
    assert status == 200 and media_type == "application/pdf"
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert STUDENT in text and COURSE in text
    stranger = Http(base, token_for("student", "USR-STU-OTHER"))
    assert stranger.call("GET", url)[0] == 404
