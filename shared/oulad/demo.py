"""``stride oulad demo`` (``make demo``): real students on the running platform.

Two modules (BBB and DDD): their 2013B presentations whole as history, the success
model fitted on them, then their 2013J presentations as far as day 90; prints a
teacher token for the 2013J courses and the URL of the class view whose at-risk list
has the most students with reasons, and a student's analytics as of day 90.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from shared.auth import mint_token
from shared.config import Settings
from shared.oulad.client import ApiClient
from shared.oulad.importer import import_courses
from shared.oulad.judge import TRAIN_AFTER_END, Platform
from shared.oulad.mapping import Calendar, Course

MODULES = ("BBB", "DDD")
HISTORY, LATER = "2013B", "2013J"
DAY = 90
TEACHER = "USR-TEA-OULAD"


class DemoFailed(Exception):
    pass


def run_demo(
    client: ApiClient,
    platform: Platform,
    history: Sequence[Course],
    later: Sequence[Course],
    calendar: Calendar,
    settings: Settings,
    *,
    day: int = DAY,
    show_progress: bool = False,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fill the platform; the chosen course's class view (as the teacher will see it)."""
    if not history or not later:
        raise DemoFailed("the folder holds no history or no later presentation of the modules")
    imported = import_courses(client, history, calendar, show_progress=show_progress)
    say(f"history: {imported.summary()}")
    platform.wait_until_caught_up()
    as_of = max(calendar.end(c.presentation) for c in history) + TRAIN_AFTER_END
    model = platform.retrain(as_of, [c.course_id for c in history])
    say(f"success model: {model['source']}, {model['trained_on']:,} examples")
    imported = import_courses(client, later, calendar, day, show_progress=show_progress)
    say(f"until day {day}: {imported.summary()}")
    platform.wait_until_caught_up()
    views = [
        client.expect("GET", f"/api/analytics/courses/{course.course_id}/analytics")
        for course in later
    ]
    view = max(views, key=lambda v: sum(1 for row in v["at_risk"] if row["reasons"]))
    listed = [row for row in view["at_risk"] if row["reasons"]]
    if not listed:
        raise DemoFailed("no course has an at-risk student with reasons")
    course = next(c for c in later if c.course_id == view["course_id"])
    token = mint_token(settings, sub=TEACHER, role="teacher", courses=[c.course_id for c in later])
    base = client.base_url
    cutoff = calendar.cutoff(course.presentation.presentation, day)
    assert cutoff is not None
    student = listed[0]["student_id"]
    start = cutoff - timedelta(days=day)
    say(
        f"""
{view["student_count"]:,} students in {course.course_id}; {len(listed):,} at risk with reasons,
first: {student}: {"; ".join(listed[0]["reasons"])}

Teacher token ({TEACHER}, courses {", ".join(c.course_id for c in later)}, 8 hours):
TOKEN={token}

The class view (as of now: every 2013J course stopped at day {day}):
  curl -H "Authorization: Bearer $TOKEN" {base}/api/analytics/courses/{course.course_id}/analytics

{student} as analytics saw them on day {day} of the presentation:
  curl -H "Authorization: Bearer $TOKEN" \\
    "{base}/api/analytics/students/{student}/analytics?course_id={course.course_id}\\
&period_type=custom&start_date={start:%Y-%m-%d}&end_date={cutoff:%Y-%m-%d}"
"""
    )
    chosen: dict[str, Any] = view
    return chosen
