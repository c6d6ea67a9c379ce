"""The answer save's body: the documented schema (marshmallow, as flask-smorest's parser
read it) and the hot path (msgspec) accept the same bodies with the same values, and
refuse the same bodies with the same status and the same errors, field by field.

Both are fed the same generated bodies: valid ones and ones broken in every field (wrong
types, booleans and strings for numbers, out of range, null, missing, unknown keys), and
bodies that are no JSON object at all.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from services.attempts.schemas import (
    ANSWER_DECODER,
    MAX_CONFIDENCE_LEVEL,
    MAX_TIME_SPENT,
    MIN_CONFIDENCE_LEVEL,
    AnswerInSchema,
    decode_answer,
)

pytestmark = pytest.mark.unit

SCHEMA = AnswerInSchema()


class _Missing:
    """A field left out of the body (named in test ids, the same in every process)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
ANSWERS = st.one_of(JSON_VALUE.filter(lambda value: value is not None), st.just(None))
TIMES = st.one_of(
    st.integers(0, MAX_TIME_SPENT),
    st.floats(0, MAX_TIME_SPENT),
    st.sampled_from([-0.0, -1, -0.001, MAX_TIME_SPENT + 0.5, 10**30, 1e300]),
    st.sampled_from([True, False, "12", " 7.5 ", "1e3", "", "abc", "NaN", "-Infinity"]),
    st.sampled_from([[], {}, [1], {"s": 1}]),
    st.none(),
)
CONFIDENCES = st.one_of(
    st.integers(MIN_CONFIDENCE_LEVEL, MAX_CONFIDENCE_LEVEL),
    st.integers(-3, 9),
    st.sampled_from([10**30, 3.0, 2.5, True, False, "3", "", [3], {}]),
    st.none(),
)


def field(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.just(MISSING))


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """An answer body, each field valid, broken or missing, maybe with unknown keys."""
    drawn = {
        "answer": draw(field(ANSWERS)),
        "time_spent": draw(field(TIMES)),
        "confidence_level": draw(field(CONFIDENCES)),
    }
    body = {name: value for name, value in drawn.items() if value is not MISSING}
    for name in draw(st.lists(st.sampled_from(["seconds", "Answer", "x", ""]), max_size=2)):
        body[name] = draw(JSON_LEAF)
    return body


BODIES = bodies()
#: texts no encoder of a well-formed client writes: every status webargs answered
ODD_TEXTS = [
    b"",
    b" ",
    b"{",
    b"[]",
    b'["answer"]',
    b'"a"',
    b"3",
    b"null",
    b"true",
    b'{"answer": "a"} x',
    b'{"answer": "a"}\n',
    b'{"answer": NaN}',
    b'{"answer": Infinity}',
    b'{"answer": 1e400}',
    b'{"answer": "a", "time_spent": NaN}',
    b'{"answer": "a", "time_spent": -Infinity}',
    b'{"answer": "a", "time_spent": 1e400}',
    b'{"answer": "a", "confidence_level": 1e400}',
    b'{"answer": "\\ud800"}',
    b'{"answer": "\xff"}',
    b'\xef\xbb\xbf{"answer": "a"}',
    '{"answer": "a"}'.encode("utf-16"),
    b'{"answer": "b", "answer": "a"}',
    b'{"answer": "a", "time_spent": 1, "time_spent": -1}',
    b'{"answer": "a\x01"}',
    b'{"answer": "a"}\x00',
]


def schema_verdict(body: bytes) -> tuple[int, Any]:
    """What flask-smorest's parser (webargs) answered for ``body`` sent as JSON: 200 and
    the loaded values, or the status and the messages of the body (``json``) that
    shared/http.py turns into the problem's ``errors``."""
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except ValueError:
        return 400, ["Invalid JSON body."]
    try:
        return 200, SCHEMA.load(data)
    except ValidationError as exc:
        return 422, exc.messages


def decoded_verdict(body: bytes) -> tuple[int, Any]:
    try:
        answer = decode_answer(body)
    except HTTPException as exc:
        data = getattr(exc, "data", {})
        return exc.code or 500, data["messages"]["json"]
    return 200, msgspec.structs.asdict(answer)


def as_text(verdict: tuple[int, Any]) -> str:
    """The verdict as JSON text: NaN equals NaN, and 1 differs from 1.0 and from true."""
    return json.dumps(verdict, sort_keys=True)


def fast_path_values(body: bytes) -> dict[str, Any] | None:
    try:
        return msgspec.structs.asdict(ANSWER_DECODER.decode(body))
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def only_python_reads(body: bytes) -> bool:
    """Bodies webargs accepted that are no strict JSON of the documented types: a number
    sent as a string, NaN, Infinity or a number too large for a float, a lone surrogate."""
    try:
        data = msgspec.json.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return True
    return isinstance(data, dict) and isinstance(data.get("time_spent"), str)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_both_accept_and_refuse_the_same_bodies_naming_the_same_fields(
    body: dict[str, Any],
) -> None:
    text = json.dumps(body).encode()
    assert as_text(decoded_verdict(text)) == as_text(schema_verdict(text)), text


@pytest.mark.parametrize("text", ODD_TEXTS, ids=[repr(text)[:40] for text in ODD_TEXTS])
def test_both_answer_odd_texts_alike(text: bytes) -> None:
    assert as_text(decoded_verdict(text)) == as_text(schema_verdict(text))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_the_msgspec_type_accepts_exactly_what_the_schema_accepts(body: dict[str, Any]) -> None:
    """The fast path alone, without the schema: it never accepts what the schema refuses,
    reads the same values, and refuses nothing strict JSON the schema accepts."""
    text = json.dumps(body).encode()
    status, loaded = schema_verdict(text)
    fast = fast_path_values(text)
    if fast is not None:
        assert status == 200, text
        assert json.dumps(fast, sort_keys=True) == json.dumps(loaded, sort_keys=True)
    else:
        assert status != 200 or only_python_reads(text), text


FULL_BODY: dict[str, Any] = {"answer": ["2", "3"], "time_spent": 30.5, "confidence_level": 4}
#: values by field, at and past every bound; MISSING removes the field
EDGES: dict[str, list[Any]] = {
    "answer": ["", 0, False, [], {}, None, MISSING],
    "time_spent": [
        0, -0.0, MAX_TIME_SPENT, MAX_TIME_SPENT - 0.001, -0.001, MAX_TIME_SPENT + 0.001,
        10**30, 1e300, True, False, "12", "abc", "", [], {}, None, MISSING,
    ],
    "confidence_level": [
        MIN_CONFIDENCE_LEVEL, MAX_CONFIDENCE_LEVEL, MIN_CONFIDENCE_LEVEL - 1,
        MAX_CONFIDENCE_LEVEL + 1, 10**30, 3.0, 2.5, True, False, "3", [], {}, None, MISSING,
    ],
    "seconds": [3, None],
}  # fmt: skip
CASES = [(name, value) for name, values in EDGES.items() for value in values]


def with_edge(name: str, value: Any) -> bytes:
    body = {key: item for key, item in FULL_BODY.items() if key != name}
    if value is not MISSING:
        body[name] = value
    return json.dumps(body).encode()


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v!r}"[:40] for n, v in CASES])
def test_every_bound_is_judged_alike(name: str, value: Any) -> None:
    text = with_edge(name, value)
    status, loaded = schema_verdict(text)
    assert as_text(decoded_verdict(text)) == as_text((status, loaded))
    fast = fast_path_values(text)
    if status == 200 and not only_python_reads(text):
        assert json.dumps(fast, sort_keys=True) == json.dumps(loaded, sort_keys=True)
    else:
        assert fast is None


def test_generated_bodies_include_accepted_and_refused_ones() -> None:
    """The generator is not all-refused (a test of agreement that never accepts proves little)."""
    seen: set[int] = set()

    @settings(max_examples=200, deadline=None, database=None)
    @given(BODIES)
    def collect(body: dict[str, Any]) -> None:
        seen.add(decoded_verdict(json.dumps(body).encode())[0])

    collect()
    assert seen == {200, 422}


@pytest.mark.parametrize(
    ("body", "values"),
    [
        ({"answer": "a"}, {"answer": "a", "time_spent": 0.0, "confidence_level": None}),
        (
            {"answer": ["2", "3"], "time_spent": 12, "confidence_level": 5},
            {"answer": ["2", "3"], "time_spent": 12.0, "confidence_level": 5},
        ),
        (
            {"answer": {"1/2": "0.5"}, "time_spent": MAX_TIME_SPENT, "confidence_level": None},
            {"answer": {"1/2": "0.5"}, "time_spent": 86400.0, "confidence_level": None},
        ),
        ({"answer": False}, {"answer": False, "time_spent": 0.0, "confidence_level": None}),
    ],
)
def test_good_bodies_are_read_on_the_fast_path(body: dict[str, Any], values: dict[str, Any]):
    text = json.dumps(body).encode()
    assert fast_path_values(text) == values
    assert msgspec.structs.asdict(decode_answer(text)) == values


@pytest.mark.parametrize(
    ("text", "status", "errors"),
    [
        (b'{"answer": "a", "seconds": 3}', 422, {"seconds": ["Unknown field."]}),
        (b'{"answer": "a", "time_spent": true}', 422, {"time_spent": ["Not a valid number."]}),
        (
            b'{"answer": "a", "confidence_level": "3"}',
            422,
            {"confidence_level": ["Not a valid integer."]},
        ),
        (
            b'{"answer": "a", "time_spent": NaN}',
            422,
            {"time_spent": ["Special numeric values (nan or infinity) are not permitted."]},
        ),
        (
            b'{"answer": null, "time_spent": null}',
            422,
            {"answer": ["Field may not be null."], "time_spent": ["Field may not be null."]},
        ),
        (b'{"time_spent": 1}', 422, {"answer": ["Missing data for required field."]}),
        (b"", 422, {"answer": ["Missing data for required field."]}),
        (b'["a"]', 422, {"_schema": ["Invalid input type."]}),
        (b'{"answer": ', 400, ["Invalid JSON body."]),
    ],
)
def test_refusals_name_the_fields_as_webargs_did(text: bytes, status: int, errors: Any) -> None:
    with pytest.raises(HTTPException) as refused:
        decode_answer(text)
    assert refused.value.code == status
    assert getattr(refused.value, "data", {})["messages"] == {"json": errors}


def test_a_number_sent_as_a_string_is_still_read_as_the_schema_reads_it() -> None:
    answer = decode_answer(b'{"answer": "a", "time_spent": " 7.5 "}')
    assert answer.time_spent == 7.5
    assert math.isnan(decode_answer(b'{"answer": NaN}').answer)
