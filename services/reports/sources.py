"""Where the worker's data comes from beyond the events the service keeps.

Students' work (lessons, quizzes, assignments, completions, certificates) comes from the
service's own projections of progress and attempts events (``store.student_record``).
What no event carries, a course's outline (item titles, kinds, weights, modules), is
read from the progress API with a service token, retried with exponential backoff
while progress is down. Analytics data will plug in the same way, as another source
read through its API, once that service serves it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from services.reports.domain.work import OutlineItem
from shared.auth import mint_token
from shared.config import Settings

SERVICE_SUBJECT = "svc-reports"


class SourceUnavailable(Exception):
    """Another service did not answer after the retries; the job may be retried later."""


class OutlineSource(Protocol):
    def outline(self, course_id: str) -> list[OutlineItem] | None: ...


def outline_items(document: dict[str, Any]) -> list[OutlineItem]:
    """The items of an outline document (progress's ``PUT /courses/{id}/outline`` body)."""
    items = []
    for module in document.get("modules", []):
        for item in module.get("items", []):
            items.append(
                OutlineItem(
                    item_id=item["item_id"],
                    kind=item["kind"],
                    title=item.get("title", item["item_id"]),
                    module_id=module["module_id"],
                    module_title=module.get("title", module["module_id"]),
                    weight=float(item.get("weight", 1.0)),
                    required=bool(item.get("required", True)),
                )
            )
    return items


class ProgressOutlines:
    """Outlines read from the progress API (``GET /courses/{course_id}/outline``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = settings.service_url("progress")
        self.settings = settings
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep

    def _token(self) -> str:
        return self.settings.service_token or mint_token(
            self.settings, sub=SERVICE_SUBJECT, role="service", ttl=timedelta(minutes=10)
        )

    def outline(self, course_id: str) -> list[OutlineItem] | None:
        url = f"{self.base_url}/courses/{urllib.parse.quote(course_id, safe='')}/outline"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self._token()}"})
        last_error = ""
        for attempt in range(self.attempts):
            if attempt:
                self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    return outline_items(json.loads(response.read())["outline"])
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                last_error = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 429:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_error = repr(exc)
        raise SourceUnavailable(f"progress API at {self.base_url} did not answer: {last_error}")
