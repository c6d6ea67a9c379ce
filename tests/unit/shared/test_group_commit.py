"""shared.group_commit: concurrent submissions written in groups, each answered with its
own result or its own error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from shared.group_commit import GroupCommit


class Ledger:
    """A hand-written store: ``write`` keeps every piece of a group or, if any piece is
    ``"bad"``, none of them (one transaction); the first group waits for ``release``."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.groups: list[list[str]] = []
        self.release = threading.Event()
        self.first = True
        self.lock = threading.Lock()

    def write(self, pieces: Sequence[str]) -> list[str]:
        if self.first:
            self.first = False
            assert self.release.wait(10)
        with self.lock:
            self.groups.append(list(pieces))
            if "bad" in pieces:
                raise ValueError("bad piece")
            self.kept += pieces
        return [f"kept {piece}" for piece in pieces]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def submit_all(
    groups: GroupCommit[str, str], pieces: Sequence[str], ledger: Ledger
) -> dict[str, str | BaseException]:
    """Submit ``pieces`` from a thread each: the first holds the first group until the
    others are queued behind it; each piece's outcome."""
    outcomes: dict[str, str | BaseException] = {}

    def submit(piece: str) -> None:
        try:
            outcomes[piece] = groups.submit(piece)
        except BaseException as exc:
            outcomes[piece] = exc

    threads = [threading.Thread(target=submit, args=(piece,)) for piece in pieces]
    threads[0].start()
    wait_for(lambda: groups.writing)
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: groups.queued() == len(pieces) - 1)
    ledger.release.set()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_requests_arriving_while_a_group_is_written_form_the_next_group() -> None:
    ledger = Ledger()
    groups = GroupCommit(ledger.write)
    pieces = [f"p{n}" for n in range(8)]
    outcomes = submit_all(groups, pieces, ledger)
    assert outcomes == {piece: f"kept {piece}" for piece in pieces}
    assert ledger.groups[0] == ["p0"]
    assert sorted(ledger.groups[1]) == pieces[1:]
    assert (groups.groups, groups.pieces) == (2, 8)
    assert not groups.writing and groups.queued() == 0


def test_a_failing_group_is_written_again_piece_by_piece_and_only_the_bad_piece_fails() -> None:
    ledger = Ledger()
    groups = GroupCommit(ledger.write)
    pieces = ["p0", "p1", "bad", "p2"]
    outcomes = submit_all(groups, pieces, ledger)
    assert isinstance(outcomes.pop("bad"), ValueError)
    assert outcomes == {piece: f"kept {piece}" for piece in ["p0", "p1", "p2"]}
    assert sorted(ledger.kept) == ["p0", "p1", "p2"]  # each once
    assert sorted(ledger.groups[1]) == ["bad", "p1", "p2"]  # the group, refused whole
    assert sorted(map(tuple, ledger.groups[2:])) == [("bad",), ("p1",), ("p2",)]


def test_a_group_is_at_most_max_group_pieces() -> None:
    ledger = Ledger()
    groups = GroupCommit(ledger.write, max_group=3)
    pieces = [f"p{n}" for n in range(8)]
    outcomes = submit_all(groups, pieces, ledger)
    assert outcomes == {piece: f"kept {piece}" for piece in pieces}
    assert [len(group) for group in ledger.groups] == [1, 3, 3, 1]


def test_a_lone_submission_is_written_at_once_by_its_own_thread() -> None:
    written_by: list[str] = []

    def write(pieces: Sequence[str]) -> list[str]:
        written_by.append(threading.current_thread().name)
        return list(pieces)

    groups = GroupCommit(write)
    assert groups.submit("alone") == "alone"
    assert written_by == [threading.current_thread().name]


def test_a_writer_that_dies_fails_its_group_instead_of_leaving_it_waiting() -> None:
    class Stop(BaseException):
        pass

    ledger = Ledger()

    def write(pieces: Sequence[str]) -> list[str]:
        if len(pieces) > 1:
            raise Stop
        return ledger.write(pieces)

    groups = GroupCommit(write)
    outcomes = submit_all(groups, ["p0", "p1", "p2", "p3"], ledger)
    assert outcomes.pop("p0") == "kept p0"
    assert sorted(type(outcome).__name__ for outcome in outcomes.values()) == [
        "GroupWriteError",
        "GroupWriteError",
        "Stop",  # the thread that was writing
    ]
    assert not groups.writing and groups.queued() == 0
    assert groups.submit("p4") == "kept p4"  # the next submission writes again
