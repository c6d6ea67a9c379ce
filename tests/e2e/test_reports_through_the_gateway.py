"""Reports through the gateway of `stride up`: a student who meets the outline's
certificate criteria finds ``certificate_issued`` and a working ``certificate_url`` on
their progress (progress asks, the reports consumer renders, progress records the URL,
all through the platform's own relays and consumers); a report requested through the
gateway is queued (202 with its URL), built by the reports worker with the outline read
from progress, and served as PDF and HTML; other students are refused.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pypdfium2
import pytest

from shared.time import to_iso, utcnow
from tests.support.local_platform import Platform, running_platform, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.embedded]

COURSE = "CRS-CERT-E2E"
STUDENT = "USR-STU-CERT-E2E"
OTHER_STUDENT = "USR-STU-CERT-E2E-2"

OUTLINE = {
    "modules": [
        {
            "module_id": "MOD-1",
            "title": "Fractions",
            "items": [
                {"item_id": "LSN-1", "kind": "lesson", "title": "Halves"},
                {"item_id": "LSN-2", "kind": "lesson", "title": "Quarters"},
            ],
        }
    ],
    "completion_criteria": {"min_progress_percentage": 100},
    "certificate_criteria": {"requires_completion": True},
}


def fetch_bytes(url: str, token: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def pdf_text(body: bytes) -> str:
    """The document's text (a hyphen where a line broke is marked U+FFFE by pdfium)."""
    document = pypdfium2.PdfDocument(body)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return text.replace("\ufffe", "-").replace("\r", "")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("reports-e2e")) as running:
        yield running


def test_a_certificate_and_a_report_through_the_gateway(platform: Platform):
    teacher = platform.caller(platform.token("teacher", "USR-TEA-CERT", courses=[COURSE]))
    admin = platform.caller(platform.token("admin", "USR-ADM-CERT"))
    student_token = platform.token("student", STUDENT)
    student = platform.caller(student_token)

    status, body = teacher("PUT", f"/api/progress/courses/{COURSE}/outline", OUTLINE)
    assert status == 200, (body, platform.log())
    status, enrollment = admin(
        "POST", "/api/progress/enrollments", {"student_id": STUDENT, "course_id": COURSE}
    )
    assert status == 201, enrollment
    path = f"/api/progress/enrollments/{enrollment['id']}"
    for lesson in ("LSN-1", "LSN-2"):
        status, body = student(
            "POST",
            f"{path}/lessons/{lesson}/completion",
            {"completion_id": f"e2e-{lesson}", "time_spent": 20},
        )
        assert status == 201, body

    seen: dict[str, Any] = {}

    def certificate_issued() -> bool:
        status, document = student("GET", path)
        seen.update(status=status, document=document)
        return status == 200 and bool(document.get("certificate_issued"))

    assert wait_until(certificate_issued, timeout=120), (seen, platform.log())
    url = seen["document"]["certificate_url"]
    # handed out on the gateway's own origin
    assert urllib.parse.urlsplit(url).port == urllib.parse.urlsplit(platform.base).port, url
    assert urllib.parse.urlsplit(url).path.startswith("/api/reports/certificates/")
    status, pdf, media_type = fetch_bytes(url, student_token)
    assert (status, media_type) == (200, "application/pdf"), pdf[:300]
    text = pdf_text(pdf)
    assert STUDENT in text and COURSE in text
    assert fetch_bytes(url, platform.token("student", OTHER_STUDENT))[0] == 404

    # the same student asks for a progress report of the last weeks
    request = {
        "student_id": STUDENT,
        "course_id": COURSE,
        "report_type": "progress",
        "period_start": to_iso(utcnow() - timedelta(days=30)),
        "period_end": to_iso(utcnow() + timedelta(days=1)),
        "configuration": {"format": "pdf", "include_graphs": True},
    }
    status, report = student("POST", "/api/reports/reports", request)
    assert status == 202, (report, platform.log())
    assert report["status"] == "queued"
    report_path = f"/api/reports/reports/{report['id']}"

    def built() -> bool:
        status, document = student("GET", report_path)
        seen.update(status=status, document=document)
        return status == 200 and document["status"] in {"ready", "failed"}

    assert wait_until(built, timeout=120), (seen, platform.log())
    document = seen["document"]
    assert (document["status"], document["failure_reason"]) == ("ready", None)
    assert document["document_version"] == 1
    # the outline came from progress: both of its lessons are required and done
    assert document["summary"]["completion_rate"] == 100
    status, pdf, media_type = fetch_bytes(document["document_url"], student_token)
    assert (status, media_type) == (200, "application/pdf"), pdf[:300]
    assert STUDENT in pdf_text(pdf)
    status, html, _ = fetch_bytes(f"{document['document_url']}?format=html", student_token)
    assert status == 200 and html.count(b"data:image/png;base64,") == 3
    other = platform.caller(platform.token("student", OTHER_STUDENT))
    assert other("GET", report_path)[0] == 404
