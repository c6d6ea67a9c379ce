"""An enrollment's final result, as the institution that taught the course recorded it.

``final_result`` (extension to the spec) is ``pass``, ``distinction``, ``fail`` or
``withdrawn``, with the moment it was decided (``final_result_at``). A final result
decides the enrollment: ``pass`` and ``distinction`` complete it at that moment,
``fail`` and ``withdrawn`` pause it (the spec has no "dropped" status; ``paused`` is
the status of a student who stopped). While it stands, the items alone neither
complete nor reopen the enrollment (``criteria.evaluate_completion``).

A final result is recorded once: the same result at the same moment again changes
nothing; any other result for an enrollment that has one is refused (Conflict).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict
from shared.time import to_iso

from .status import EnrollmentStatus
from .values import require_aware


class FinalResult(StrEnum):
    PASS = "pass"
    DISTINCTION = "distinction"
    FAIL = "fail"
    WITHDRAWN = "withdrawn"

    @property
    def passed(self) -> bool:
        return self in (FinalResult.PASS, FinalResult.DISTINCTION)


@dataclass(frozen=True)
class FinalResultRecord:
    result: FinalResult
    at: datetime

    def __post_init__(self) -> None:
        require_aware(self.at, "at")


def status_on_final_result(result: FinalResult) -> EnrollmentStatus:
    """``completed`` for a passing result, ``paused`` (the student stopped) otherwise."""
    return EnrollmentStatus.COMPLETED if result.passed else EnrollmentStatus.PAUSED


def is_new_final_result(existing: FinalResultRecord | None, record: FinalResultRecord) -> bool:
    """Whether ``record`` is to be recorded: True the first time, False when it is the one
    already recorded; Conflict, saying which is recorded, when it differs."""
    if existing is None:
        return True
    if existing == record:
        return False
    raise Conflict(
        f"the enrollment's final result is already {existing.result.value} "
        f"(at {to_iso(existing.at)}); it is not changed to {record.result.value} "
        f"(at {to_iso(record.at)})"
    )
