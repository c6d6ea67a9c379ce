"""A stand-in for a gunicorn worker's log in tests of ``shared.serving``: it keeps what
the worker says, by level, with the arguments put into the message."""

from __future__ import annotations


class WorkerLog:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def exception(self, message: str, *args: object) -> None:
        self.errors.append(message % args)

    error = exception

    def warning(self, message: str, *args: object) -> None:
        self.warnings.append(message % args)

    def info(self, message: str, *args: object) -> None:
        self.notes.append(message % args)
