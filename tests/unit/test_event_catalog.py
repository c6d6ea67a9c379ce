"""docs/events.md and the typed contracts of shared/events/contracts describe the same events.

* every registered contract is documented: a heading names its event type, and one of
  the sections it heads shows a JSON example with exactly the contract's fields;
* every event the page documents has a contract: the events of its headings, and those
  of its catalog rows, except rows whose state says they are planned.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest

from shared.cli import registry_of
from shared.config import SERVICES
from shared.events.contracts import activity, contracts

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
EVENT_NAME = re.compile(r"`([a-z][a-z_]*(?:\.[a-z][a-z_]*)+)`")
JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of every heading of the page."""
    parts = re.split(r"^(#+ .*)$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def events_of_heading(heading: str) -> set[str]:
    return set(EVENT_NAME.findall(heading))


def catalog_table(text: str) -> list[tuple[set[str], set[str], str]]:
    """(events, consumers, state) of each row of the catalog table; ``a.b.c / d / e.f``
    abbreviates ``a.b.d`` (the last part replaced) and ``a.e.f`` (the service kept)."""
    catalog = dict(sections(text))["## Catalog"]
    rows = []
    for line in catalog.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([a-z_.]+)`", cells[0])
        first, events = names[0].split("."), {names[0]}
        for short in names[1:]:
            parts = short.split(".")
            events.add(".".join([*first[:-1], *parts] if len(parts) == 1 else [first[0], *parts]))
        consumers = {name.strip() for name in cells[2].split(",")}
        rows.append((events, consumers, cells[-1]))
    return rows


def catalog_rows(text: str) -> list[tuple[set[str], str]]:
    """(events, state) of each row of the catalog table."""
    return [(events, state) for events, _consumers, state in catalog_table(text)]


def example_keys(body: str) -> list[set[str]]:
    return [set(json.loads(block)) for block in JSON_BLOCK.findall(body)]


def fields_of(cls: type[msgspec.Struct]) -> set[str]:
    return set(cls.__struct_fields__)


def test_the_catalog_is_read_as_written() -> None:
    rows = catalog_rows(PAGE.read_text())
    assert ({"progress.enrolled", "progress.lesson.completed",
             "progress.assignment.recorded", "progress.course.completed"}
            in [events for events, _state in rows])  # fmt: skip
    assert {"analytics.risk.changed", "analytics.achievement.earned"} in [
        events for events, _state in rows
    ]
    assert any("attempts.attempt.flagged" in events for events, _state in rows)


@pytest.mark.parametrize(
    ("event_type", "version"), sorted(contracts()), ids=lambda value: str(value)
)
def test_every_contract_is_documented_with_its_fields(event_type: str, version: int) -> None:
    cls = contracts()[(event_type, version)]
    headed = [
        (heading, body)
        for heading, body in sections(PAGE.read_text())
        if event_type in events_of_heading(heading)
    ]
    assert headed, f"docs/events.md has no heading naming {event_type}"
    if version > 1:
        assert any(f"(version {version})" in heading for heading, _body in headed)
    examples = [keys for _heading, body in headed for keys in example_keys(body)]
    assert fields_of(cls) in examples, (
        f"no example of {event_type} shows exactly the fields {sorted(fields_of(cls))}"
    )


def test_the_activity_record_example_shows_every_field_of_a_record() -> None:
    [(_heading, body)] = [
        section
        for section in sections(PAGE.read_text())
        if section[0].startswith("### `activity.logs.recorded`")
    ]
    [example] = [json.loads(block) for block in JSON_BLOCK.findall(body)]
    assert set(example["records"][0]) == fields_of(activity.ActivityRecord)


def test_every_documented_event_has_a_contract() -> None:
    text = PAGE.read_text()
    registered = {event_type for event_type, _version in contracts()}
    documented = set().union(*(events_of_heading(heading) for heading, _body in sections(text)))
    for events, state in catalog_rows(text):
        if not state.startswith("planned"):
            documented |= events
    assert documented - registered == set()


@pytest.mark.parametrize("service", SERVICES)
def test_the_catalog_names_each_service_where_it_consumes(service: str) -> None:
    """A service is named among a row's consumers if and only if it handles one of the
    row's events (its queue is bound to exactly the types its registry handles)."""
    handled = set(registry_of(service).event_types)
    rows = [
        (events, consumers)
        for events, consumers, state in catalog_table(PAGE.read_text())
        if not state.startswith("planned")
    ]
    named = [sorted(events) for events, consumers in rows if service in consumers]
    consumed = [sorted(events) for events, _consumers in rows if events & handled]
    assert named == consumed
    assert handled <= set().union(*(events for events, _consumers in rows))
