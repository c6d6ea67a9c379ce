"""The course leaderboard: students who opted in, ranked by XP; a student sees only their
neighbours (``NEIGHBOURS`` places above and below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NEIGHBOURS = 2


def ranking(xp_by_student: Mapping[str, int]) -> list[dict[str, Any]]:
    """Most XP first; equal XP share a rank (1, 2, 2, 4), listed by student id."""
    ordered = sorted(xp_by_student.items(), key=lambda item: (-item[1], item[0]))
    rows, rank = [], 0
    for position, (student_id, xp) in enumerate(ordered, start=1):
        if position == 1 or xp != ordered[position - 2][1]:
            rank = position
        rows.append({"rank": rank, "student_id": student_id, "xp": xp})
    return rows


def neighbours_of(rows: list[dict[str, Any]], student_id: str) -> list[dict[str, Any]]:
    index = next(i for i, row in enumerate(rows) if row["student_id"] == student_id)
    return rows[max(0, index - NEIGHBOURS) : index + NEIGHBOURS + 1]
