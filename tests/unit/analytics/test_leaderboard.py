"""The leaderboard's ranks and the neighbours a student sees, worked out by hand."""

from __future__ import annotations

import pytest

from services.analytics.domain.leaderboard import neighbours_of, ranking

pytestmark = pytest.mark.unit


def test_most_xp_first_and_equal_xp_share_a_rank_listed_by_student_id():
    rows = ranking({"USR-C": 50, "USR-A": 80, "USR-B": 50, "USR-D": 10})
    assert rows == [
        {"rank": 1, "student_id": "USR-A", "xp": 80},
        {"rank": 2, "student_id": "USR-B", "xp": 50},
        {"rank": 2, "student_id": "USR-C", "xp": 50},
        {"rank": 4, "student_id": "USR-D", "xp": 10},
    ]


def test_xp_decides_the_order_before_the_student_id():
    assert ranking({"USR-A": 10, "USR-B": 80}) == [
        {"rank": 1, "student_id": "USR-B", "xp": 80},
        {"rank": 2, "student_id": "USR-A", "xp": 10},
    ]


def test_a_tie_at_the_top_is_first_for_all():
    assert [row["rank"] for row in ranking({"USR-B": 5, "USR-A": 5, "USR-C": 5})] == [1, 1, 1]
    assert [row["rank"] for row in ranking({"USR-B": 5, "USR-A": 5, "USR-C": 0})] == [1, 1, 3]


def test_a_lone_student_is_first_and_nobody_makes_an_empty_board():
    assert ranking({"USR-A": 0}) == [{"rank": 1, "student_id": "USR-A", "xp": 0}]
    assert ranking({}) == []


def board(size: int) -> list[dict]:
    return ranking({f"USR-{n}": 100 - n for n in range(1, size + 1)})


def ids(rows: list[dict]) -> list[str]:
    return [row["student_id"] for row in rows]


def test_a_student_sees_two_places_above_and_two_below():
    assert ids(neighbours_of(board(7), "USR-4")) == ["USR-2", "USR-3", "USR-4", "USR-5", "USR-6"]


@pytest.mark.parametrize(
    ("student", "seen"),
    [
        ("USR-1", ["USR-1", "USR-2", "USR-3"]),
        ("USR-2", ["USR-1", "USR-2", "USR-3", "USR-4"]),
        ("USR-3", ["USR-1", "USR-2", "USR-3", "USR-4", "USR-5"]),
        ("USR-6", ["USR-4", "USR-5", "USR-6", "USR-7"]),
        ("USR-7", ["USR-5", "USR-6", "USR-7"]),
    ],
)
def test_at_either_end_of_the_board_there_are_fewer_neighbours(student: str, seen: list[str]):
    assert ids(neighbours_of(board(7), student)) == seen


def test_the_neighbours_keep_their_ranks():
    rows = ranking({"USR-A": 9, "USR-B": 7, "USR-C": 7, "USR-D": 3})
    assert neighbours_of(rows, "USR-D") == [
        {"rank": 2, "student_id": "USR-B", "xp": 7},
        {"rank": 2, "student_id": "USR-C", "xp": 7},
        {"rank": 4, "student_id": "USR-D", "xp": 3},
    ]
