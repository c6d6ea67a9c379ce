"""``CompiledDumper`` gives exactly what ``schema.dump`` gives, or refuses the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump, pre_dump

from shared.events.envelope import parse_iso
from shared.serialization import CompiledDumper, compiled_dumper
from tests.support.json_types import json_types

pytestmark = pytest.mark.unit


class Entry(Schema):
    entry_id = fields.String()
    at = fields.DateTime(allow_none=True)
    minutes = fields.Float()
    count = fields.Integer()
    passed = fields.Boolean()


class Document(Schema):
    id = fields.String()
    renamed = fields.String(data_key="shown_as", attribute="stored_as")
    when = fields.DateTime()
    day = fields.Date(allow_none=True)
    score = fields.Float(allow_none=True)
    whole = fields.Integer()
    flag = fields.Boolean()
    entries = fields.List(fields.Nested(Entry))
    one = fields.Nested(Entry, allow_none=True)
    many = fields.Nested(Entry, many=True)
    tags = fields.List(fields.String())
    extra = fields.Dict()
    reasons = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    anything = fields.Raw()
    secret = fields.String(load_only=True)
    defaulted = fields.String(dump_default="fallback")


class Summary(Document):
    class Meta:
        exclude = ("entries", "many")


MOMENT = datetime(2013, 10, 3, 8, 30, 15, 250_000, tzinfo=UTC)


def document(**changes: Any) -> dict[str, Any]:
    entry = {"entry_id": "E-1", "at": MOMENT, "minutes": 5, "count": 2.0, "passed": True}
    base: dict[str, Any] = {
        "id": 42,
        "stored_as": "shown",
        "when": MOMENT.astimezone(timezone(timedelta(hours=-4))),
        "day": date(2013, 10, 3),
        "score": 87,
        "whole": 3.0,
        "flag": False,
        "entries": [entry, {**entry, "at": None, "entry_id": "E-2"}],
        "one": entry,
        "many": [entry],
        "tags": ["a", "b"],
        "extra": {"nested": {"deep": [1, 2]}},
        "reasons": {"a": "why", "b": None, 3: 4},
        "scores": {"x": 1, "y": 2.5},
        "anything": [1, "x"],
        "secret": "never shown",
    }
    base.update(changes)
    return base


CASES = {
    "full": document(),
    "nones": document(day=None, score=None, one=None, entries=[], many=[]),
    "missing keys": {"id": "only the id", "when": MOMENT},
    "attribute object": SimpleNamespace(**document()),
    "naive datetime": document(when=datetime(2013, 1, 1, 12)),
    "empty collections": document(tags=[], extra={}, entries=[], reasons={}, scores={}),
}


@pytest.mark.parametrize("schema", [Document, Summary], ids=["document", "summary"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_same_output_as_marshmallow(schema: type[Schema], case: Any) -> None:
    expected = schema().dump(case)
    dumped = CompiledDumper(schema).dump(case)
    assert dumped == expected
    assert list(dumped) == list(expected), "keys in the schema's order"
    assert json_types(dumped) == json_types(expected), "5 and 5.0 are not the same JSON"


def test_many() -> None:
    entries = [document()["one"], {"entry_id": "E-9", "at": None}]
    assert CompiledDumper(Entry).dump(entries, many=True) == Entry(many=True).dump(entries)


def test_the_dumper_of_a_schema_is_built_once() -> None:
    assert compiled_dumper(Document) is compiled_dumper(Document)


class WithHook(Schema):
    at = fields.DateTime()

    @pre_dump
    def parse(self, entry: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {"at": parse_iso(entry["at"])} if isinstance(entry["at"], str) else entry


class Holder(Schema):
    items = fields.List(fields.Nested(WithHook))


def test_hooks_are_refused_unless_the_dumper_replicates_them() -> None:
    with pytest.raises(TypeError, match="parse"):
        CompiledDumper(Holder)
    dumper = CompiledDumper(Holder, replicated_hooks={"parse"}, parse_datetime=parse_iso)
    value = {"items": [{"at": "2013-10-03T08:30:15Z"}, {"at": MOMENT}]}
    assert dumper.dump(value) == Holder().dump(value)


class WithPostDump(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {"name": data["name"].upper()}


class WithMethod(Schema):
    name = fields.Method("compute")

    def compute(self, _obj: Any) -> str:
        return "computed"


class StringNumbers(Schema):
    amount = fields.Float(as_string=True)


class CustomFormat(Schema):
    at = fields.DateTime(format="%Y")


class Dotted(Schema):
    deep = fields.String(attribute="a.b")


@pytest.mark.parametrize("schema", [WithPostDump, WithMethod, StringNumbers, CustomFormat, Dotted])
def test_what_it_cannot_replicate_is_refused_when_built(schema: type[Schema]) -> None:
    with pytest.raises(TypeError):
        CompiledDumper(schema)


def test_a_string_in_a_datetime_field_fails_as_in_marshmallow() -> None:
    with pytest.raises((TypeError, AttributeError)):
        Entry().dump({"at": "2013-10-03T08:30:15Z"})
    with pytest.raises(TypeError):
        CompiledDumper(Entry).dump({"at": "2013-10-03T08:30:15Z"})
