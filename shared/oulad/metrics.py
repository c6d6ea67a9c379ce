"""How good the platform's predictions were on a later term, and for whom.

AUC and calibration error are analytics' own (``services/analytics/domain/evaluation.py``),
so the judge's numbers mean what ``stride analytics evaluate`` prints. A success is
Pass or Distinction, against Withdrawn or Fail; a student is at risk when analytics puts
them at medium or high risk (``engagement_metrics.risk_level``, as the class view's
at-risk list does).

``names_own_data`` checks an at-risk student's reasons against what was imported of
them: every reason must be one analytics words (``domain/predictions.py``) and quote
the student's own numbers, recomputed here from their enrollment record and the course
outline as of the judged moment.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.time import parse_iso

SUCCESS = frozenset({"Pass", "Distinction"})
AT_RISK_LEVELS = frozenset({"medium", "high"})
DAY = 86400.0
MAX_DAYS = 60.0


def _evaluation() -> Any:
    # shared/ imports no service statically; analytics' definitions are borrowed by name
    return importlib.import_module("services.analytics.domain.evaluation")


def auc(labels: Sequence[bool], probabilities: Sequence[float]) -> float | None:
    value: float | None = _evaluation().auc(labels, probabilities)
    return value


def calibration_error(labels: Sequence[bool], probabilities: Sequence[float]) -> float | None:
    value: float | None = _evaluation().calibration_error(labels, probabilities)
    return value


@dataclass(frozen=True)
class Judged:
    """One enrollment of the later term as analytics saw it at the judged moment."""

    student: str  # id_student
    course_id: str
    succeeded: bool  # Pass or Distinction in the end
    probability: float  # 0-1
    indicators: tuple[str, ...]
    names_own_data: bool
    risk_level: str  # analytics' engagement_metrics.risk_level: low, medium or high

    @property
    def at_risk(self) -> bool:
        """Flagged, as the class view's at-risk list flags: medium or high risk."""
        return self.risk_level in AT_RISK_LEVELS


@dataclass(frozen=True)
class Score:
    students: int
    successes: int
    auc: float | None
    calibration_error: float | None
    at_risk: int
    at_risk_named: int  # of the at-risk, those whose every reason quotes their own data

    @property
    def at_risk_rate(self) -> float | None:
        return self.at_risk / self.students if self.students else None

    @property
    def named_share(self) -> float | None:
        return self.at_risk_named / self.at_risk if self.at_risk else None


def score(judged: Sequence[Judged]) -> Score:
    labels = [j.succeeded for j in judged]
    probabilities = [j.probability for j in judged]
    at_risk = [j for j in judged if j.at_risk]
    return Score(
        students=len(judged),
        successes=sum(labels),
        auc=auc(labels, probabilities),
        calibration_error=calibration_error(labels, probabilities),
        at_risk=len(at_risk),
        at_risk_named=sum(1 for j in at_risk if j.names_own_data),
    )


def by_group(judged: Sequence[Judged], group_of: Mapping[tuple[str, str], str]) -> dict[str, Score]:
    """The score of each group; ``group_of`` maps (student, course) to the group."""
    groups: dict[str, list[Judged]] = {}
    for j in judged:
        groups.setdefault(group_of.get((j.student, j.course_id), "unknown"), []).append(j)
    return {name: score(members) for name, members in sorted(groups.items())}


# -- the reasons against the student's own data ------------------------------------------
@dataclass(frozen=True)
class OwnData:
    """What the platform was told of one enrollment before ``as_of``."""

    start: datetime
    as_of: datetime
    due: int  # outline assessments due before as_of
    due_submitted: int
    submissions: int
    results: tuple[float, ...]  # scores in time order
    weighted_score: float | None
    late: int
    mean_lateness: float
    last_submission: datetime | None
    stopped_on: str | None  # YYYY-MM-DD of a fail or withdrawal before as_of
    quizzes_submitted: int
    assignments_submitted: int

    @property
    def weeks(self) -> float:
        return max(1.0, (self.as_of - self.start).total_seconds() / DAY) / 7


def own_data(record: Mapping[str, Any], outline: Mapping[str, Any], as_of: datetime) -> OwnData:
    """The enrollment ``record`` as imported and its course's ``outline`` (the bodies the
    importer sent), as of ``as_of``."""
    items = {i["item_id"]: i for m in outline["modules"] for i in m["items"]}
    start = parse_iso(record["enrolled_at"])
    work = sorted(
        (parse_iso(s["submitted_at"]), s["item_id"], s["score"])
        for s in record["submissions"]
        if parse_iso(s["submitted_at"]) < as_of
    )
    first: dict[str, datetime] = {}
    best: dict[str, float] = {}
    for moment, item, value in work:
        first.setdefault(item, moment)
        if value is not None:
            best[item] = max(best.get(item, value), value)
    due = {k: parse_iso(i["due_at"]) for k, i in items.items() if parse_iso(i["due_at"]) < as_of}
    lateness = [
        max(0.0, (first[k] - at).total_seconds() / DAY) for k, at in due.items() if k in first
    ]
    counted = [i for k, i in items.items() if k in due or k in first]
    weights = sum(float(i["weight"]) for i in counted)
    final = record.get("final_result")
    stopped = (
        final["at"][:10]
        if final and final["result"] in ("fail", "withdrawn") and parse_iso(final["at"]) < as_of
        else None
    )
    return OwnData(
        start=start,
        as_of=as_of,
        due=len(due),
        due_submitted=sum(1 for k in due if k in first),
        submissions=len(work),
        results=tuple(value for _, _, value in work if value is not None),
        weighted_score=(
            sum(float(i["weight"]) * best.get(i["item_id"], 0.0) for i in counted) / weights
            if weights
            else None
        ),
        late=sum(1 for days in lateness if days > 0),
        mean_lateness=sum(lateness) / len(lateness) if lateness else 0.0,
        last_submission=work[-1][0] if work else None,
        stopped_on=stopped,
        quizzes_submitted=len({k for k in first if items.get(k, {}).get("kind") == "quiz"}),
        assignments_submitted=len(
            {k for k in first if items.get(k, {}).get("kind") == "assignment"}
        ),
    )


def _near(shown: str, value: float | None, places: int) -> bool:
    """Whether ``shown`` is ``value`` written with ``places`` decimals."""
    return value is not None and abs(float(shown) - value) <= 0.5 * 10**-places + 1e-9


def _days_since(own: OwnData, moment: datetime | None) -> float:
    since = own.start if moment is None else max(own.start, moment)
    return min(MAX_DAYS, (own.as_of - since).total_seconds() / DAY)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


Check = Callable[[re.Match[str], OwnData], bool]

#: each wording of ``services/analytics/domain/predictions.py`` and how to check it
CHECKS: tuple[tuple[re.Pattern[str], Check], ...] = tuple(
    (re.compile(pattern), check)
    for pattern, check in (
        (
            r"submitted (\d+) of the (\d+) assessments? due so far",
            lambda m, o: (int(m[1]), int(m[2])) == (o.due_submitted, o.due),
        ),
        (
            r"average score (\d+) on (\d+) graded assessments? \(typical \d+\)",
            lambda m, o: _near(m[1], _mean(o.results), 0) and int(m[2]) == len(o.results),
        ),
        (
            r"latest scores average (\d+) \(typical \d+\)",
            lambda m, o: _near(m[1], _mean(o.results[-2:]), 0),
        ),
        (
            r"latest score (\d+) points below the earlier average",
            lambda m, o: (
                len(o.results) > 1
                and _near(m[1], abs(o.results[-1] - sum(o.results[:-1]) / len(o.results[:-1])), 0)
            ),
        ),
        (
            r"weighted score so far (\d+) with missing work counted as 0 \(typical \d+\)",
            lambda m, o: _near(m[1], o.weighted_score, 0),
        ),
        (
            r"(\d+) assessments? submitted late, by ([\d.]+) days on average",
            lambda m, o: int(m[1]) == o.late and _near(m[2], o.mean_lateness, 1),
        ),
        (
            r"last submission (\d+) days ago",
            lambda m, o: (
                o.last_submission is not None and _near(m[1], _days_since(o, o.last_submission), 0)
            ),
        ),
        (
            r"no submission in the (\d+) days since the start",
            lambda m, o: o.last_submission is None and _near(m[1], _days_since(o, None), 0),
        ),
        (
            r"no activity for (\d+) days",  # no click stream: the last sign is a submission
            lambda m, o: _near(m[1], _days_since(o, o.last_submission), 0),
        ),
        (
            r"([\d.]+) quiz or assignment submissions per week \(typical [\d.]+\)",
            lambda m, o: _near(m[1], o.submissions / o.weeks, 1),
        ),
        (
            r"completing ([\d.]+) lessons, quizzes or assignments per week \(typical [\d.]+\)",
            # a quiz counts when passed, which the dataset does not say: between the two
            lambda m, o: (
                o.assignments_submitted / o.weeks - 0.05 - 1e-9
                <= float(m[1])
                <= (o.assignments_submitted + o.quizzes_submitted) / o.weeks + 0.05 + 1e-9
            ),
        ),
        (
            r"stopped the course \(paused\) on (\d{4}-\d{2}-\d{2})",
            lambda m, o: m[1] == o.stopped_on,
        ),
        (r"active on (\d+)% of recent days \(typical \d+%\)", lambda m, o: m[1] == "0"),
        (
            r"(\d+) minutes of study in the last 14 days \(typical \d+\)",
            lambda m, o: m[1] == "0",
        ),
        (r"([\d.]+) attempts per quiz on average", lambda m, o: m[1] == "1.0"),
    )
)


def reason_names_own_data(reason: str, own: OwnData) -> bool:
    for pattern, check in CHECKS:
        found = pattern.fullmatch(reason)
        if found is not None:
            return check(found, own)
    return False


def names_own_data(reasons: Sequence[str], own: OwnData) -> bool:
    """At least one reason, and each quotes the student's own data."""
    return bool(reasons) and all(reason_names_own_data(r, own) for r in reasons)
