from __future__ import annotations

import pytest

from services.attempts.domain import normalize_text_answer, text_answers_match

pytestmark = pytest.mark.unit

NORMALIZATIONS = [
    ("Paris", "paris"),
    ("  Paris  ", "paris"),
    ("New   York\tCity", "new york city"),
    ("Paris.", "paris"),
    ("«Paris»!?", "paris"),
    ("(x + 1)", "x + 1"),
    ("e.g. this", "e.g. this"),
    ("\uff30\uff21\uff32\uff29\uff33", "paris"),  # full-width letters
    ("\ufb01ne", "fine"),  # the fi ligature
    ("Straße", "strasse"),
    ("...", ""),
]


@pytest.mark.parametrize(("text", "normalized"), NORMALIZATIONS)
def test_normalizes_case_width_whitespace_and_edge_punctuation(text: str, normalized: str) -> None:
    assert normalize_text_answer(text) == normalized


def test_case_sensitive_normalization_keeps_case_but_still_trims() -> None:
    assert normalize_text_answer(" NaCl. ", case_sensitive=True) == "NaCl"


@pytest.mark.parametrize(
    ("answer", "accepted", "case_sensitive", "matches"),
    [
        ("paris", "Paris", False, True),
        ("paris", "Paris", True, False),
        ("Paris!", "Paris", True, True),
        ("Pari s", "Paris", False, False),
        ("STRASSE", "Straße", False, True),
    ],
)
def test_text_answers_match_after_normalization(
    answer: str, accepted: str, case_sensitive: bool, matches: bool
) -> None:
    assert text_answers_match(answer, accepted, case_sensitive=case_sensitive) is matches


def test_matching_ignores_case_unless_asked_not_to() -> None:
    assert text_answers_match("PARIS", "paris")
    assert not text_answers_match("PARIS", "paris", case_sensitive=True)
