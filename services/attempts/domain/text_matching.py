"""Normalization of free-text answers, so trivial differences do not cost points."""

from __future__ import annotations

import unicodedata


def normalize_text_answer(text: str, *, case_sensitive: bool = False) -> str:
    """The comparable form of a short-text answer.

    In order: Unicode NFKC (full-width letters, ligatures and the like become their
    plain forms), case-folding unless ``case_sensitive`` (``"Straße"`` matches
    ``"STRASSE"``), runs of whitespace collapsed to one space, then whitespace and
    punctuation (Unicode categories P*) stripped from both ends (``" Paris. "`` ->
    ``"paris"``). Punctuation inside the text is kept: ``"e.g."`` -> ``"e.g"``. A leading
    minus sign is punctuation too, so numbers belong in numeric questions.
    """
    text = unicodedata.normalize("NFKC", text)
    if not case_sensitive:
        text = text.casefold()
    text = " ".join(text.split())
    return _strip_edge_punctuation(text)


def text_answers_match(answer: str, accepted: str, *, case_sensitive: bool = False) -> bool:
    """Whether ``answer`` equals ``accepted`` once both are normalized."""
    normalized = normalize_text_answer(answer, case_sensitive=case_sensitive)
    return normalized == normalize_text_answer(accepted, case_sensitive=case_sensitive)


def _strip_edge_punctuation(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge_noise(character: str) -> bool:
    return character.isspace() or unicodedata.category(character).startswith("P")
