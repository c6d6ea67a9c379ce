"""``utc_iso_text``: the text ``parse_iso(value).isoformat()`` gives, without parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.time import parse_iso, to_iso, utc_iso_text

pytestmark = pytest.mark.unit

moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(moments, offsets)
def test_the_text_is_the_parsed_moments_isoformat(moment: datetime, offset: timezone):
    for text in (to_iso(moment), moment.isoformat(), moment.astimezone(offset).isoformat()):
        assert utc_iso_text(text) == parse_iso(text).isoformat()


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31T12:00:00.5Z",
        "2026-01-31T12:00:00.120+00:00",
        "2026-01-31T13:00:00+01:00",
        "2026-01-31 12:00:00Z",
        "2026-01-31T12:00Z",
    ],
)
def test_text_in_another_form_is_parsed(text: str):
    assert utc_iso_text(text) == parse_iso(text).isoformat()


@pytest.mark.parametrize("text", ["2026-01-31T12:00:00", "yesterday"])
def test_text_without_a_moment_in_a_zone_is_refused_as_parse_iso_refuses_it(text: str):
    with pytest.raises(ValueError):
        utc_iso_text(text)
