"""What analytics said on a past day can be asked later: the document of a custom period
predicts from the facts known before its end, on SQLite and on the real PostgreSQL, with
the course's outline (due dates, weights) kept from progress.outline.published."""

from __future__ import annotations

import pytest

from tests.integration.analytics import analytics_api_support as support
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    assignment,
    at,
    enrolled,
    outline_published,
    status_changed,
)

pytestmark = pytest.mark.integration

app = support.app  # on SQLite and on the real PostgreSQL
caller = support.caller
feed = support.feed

PATH = f"/students/{STUDENT}/analytics"
DAY_20 = (
    f"?course_id={COURSE}&period_type=custom&start_date=2026-11-02&end_date=2026-11-22T08:00:00Z"
)
OUTLINE = [
    {"item_id": "TMA-1", "kind": "assignment", "weight": 20.0, "due_at": at(10)},
    {"item_id": "TMA-2", "kind": "assignment", "weight": 80.0, "due_at": at(18)},
    {"item_id": "TMA-3", "kind": "assignment", "weight": 50.0, "due_at": at(40)},
]


def test_the_prediction_of_day_20_is_the_same_before_and_after_later_facts(app, caller):
    teacher = caller("teacher", "USR-TEA-1", courses=[COURSE])
    feed(
        app,
        [
            enrolled(at(0)),
            outline_published(1, OUTLINE),
            outline_published(1, OUTLINE),  # again: nothing changes
            assignment("TMA-1", "submit", at(12), occurred=at(12)),
            assignment("TMA-1", "grade", at(12), occurred=at(13), grade=45.0),
        ],
    )
    first = teacher.get(PATH + DAY_20)
    assert first.status_code == 200, first.json
    then = first.json["predictions"]
    assert "submitted 1 of the 2 assessments due so far" in then["at_risk_indicators"]
    assert then["next_milestone"]["description"] == "assignment TMA-3, due 2026-12-12 08:00 UTC"
    feed(
        app,
        [
            assignment("TMA-2", "submit", at(22), occurred=at(22)),
            assignment("TMA-2", "grade", at(22), occurred=at(23), grade=95.0),
            status_changed(at(28), "in_progress", "paused", changed_at=at(25)),
        ],
    )
    later = teacher.get(PATH + DAY_20)
    assert later.status_code == 200
    assert later.json["predictions"] == then
    day_27 = DAY_20.replace("2026-11-22T08:00:00Z", "2026-11-29T08:00:00Z")
    after_the_pause = teacher.get(PATH + day_27).json["predictions"]
    assert "stopped the course (paused) on 2026-11-27" in after_the_pause["at_risk_indicators"]


def test_an_older_outline_arriving_late_leaves_the_newer_one(app, caller):
    admin = caller("admin", "USR-ADM-1")
    newer = [{**item, "due_at": at(5)} for item in OUTLINE]  # everything due by day 5
    feed(app, [enrolled(at(0)), outline_published(2, newer), outline_published(1, OUTLINE)])
    predictions = admin.get(PATH + DAY_20).json["predictions"]
    assert "submitted 0 of the 3 assessments due so far" in predictions["at_risk_indicators"]
