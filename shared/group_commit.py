"""Group commit: the writes of concurrent requests of one process in one transaction.

A request hands its work to ``GroupCommit.submit`` and waits for the commit. The first
request that finds no group being written becomes the writer: it takes what is queued
(its own work among it, at most ``max_group`` pieces) and writes it all with
``write_group``, one transaction for all. Requests that arrive meanwhile queue up; when
the group is done, the first of them is handed the writer's role and writes the next
group. No thread of its own: nothing to start after a fork or to stop with the app.

Each request still gets exactly its own outcome. If a group's transaction fails, every
piece of it is written again alone (``write_group`` of one), so one bad request never
fails another: only the pieces that fail alone get their error, raised in their own
request's thread. A piece is answered only after the transaction that holds it
committed (or with the error that kept it from committing), so a 202 still means
durable and a failure still means nothing of that request was kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

Work = TypeVar("Work")
Result = TypeVar("Result")


class GroupWriteError(RuntimeError):
    """The writer stopped before this piece of work was written (nothing was kept)."""


class _Ticket(Generic[Work, Result]):
    """One request's work and, once written, its outcome."""

    __slots__ = ("done", "error", "finished", "result", "work")

    def __init__(self, work: Work) -> None:
        self.work = work
        self.done = threading.Event()
        self.finished = False
        self.result: Result | None = None
        self.error: BaseException | None = None

    def resolve(self, result: Result) -> None:
        self.result, self.finished = result, True
        self.done.set()

    def fail(self, error: BaseException) -> None:
        self.error, self.finished = error, True
        self.done.set()

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[Work, Result]):
    """Joins concurrent ``submit`` calls into groups written by ``write_group``.

    ``write_group(works)`` writes the pieces in one transaction and returns their results
    in order, or raises having kept nothing.
    """

    def __init__(
        self, write_group: Callable[[Sequence[Work]], Sequence[Result]], *, max_group: int = 64
    ) -> None:
        self._write_group = write_group
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[_Ticket[Work, Result]] = []
        self._writing = False
        #: groups written and pieces written, since the start (the mean group size)
        self.groups = 0
        self.pieces = 0

    @property
    def writing(self) -> bool:
        """Whether a group is being written now."""
        return self._writing

    def queued(self) -> int:
        """Pieces waiting for the next group."""
        with self._lock:
            return len(self._queue)

    def submit(self, work: Work) -> Result:
        """Write ``work`` (with whatever else is queued); its result once committed."""
        ticket: _Ticket[Work, Result] = _Ticket(work)
        with self._lock:
            self._queue.append(ticket)
            leads = not self._writing
            self._writing = True
        if not leads:
            ticket.done.wait()
            if ticket.finished:
                return ticket.outcome()
        # This thread writes the next group; its own ticket is the queue's first.
        self._write_next_group()
        return ticket.outcome()

    def _write_next_group(self) -> None:
        with self._lock:
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
        try:
            self._write(group)
        finally:
            for ticket in group:
                if not ticket.finished:
                    ticket.fail(GroupWriteError("the group's writer stopped; nothing was written"))
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._writing = successor is not None
            if successor is not None:
                successor.done.set()  # not finished: it writes the next group

    def _write(self, group: list[_Ticket[Work, Result]]) -> None:
        try:
            results = self._write_group([ticket.work for ticket in group])
        except Exception as exc:
            if len(group) == 1:
                group[0].fail(exc)
                return
            log.warning("group_commit.group_failed", pieces=len(group), error=repr(exc))
            for ticket in group:
                self._write_alone(ticket)
            return
        self.groups += 1
        self.pieces += len(group)
        for ticket, result in zip(group, results, strict=True):
            ticket.resolve(result)

    def _write_alone(self, ticket: _Ticket[Work, Result]) -> None:
        try:
            (result,) = self._write_group([ticket.work])
        except Exception as exc:
            ticket.fail(exc)
        else:
            self.groups += 1
            self.pieces += 1
            ticket.resolve(result)
