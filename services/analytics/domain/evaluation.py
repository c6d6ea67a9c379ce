"""How good the success model is: AUC and calibration error on held-out later enrollments,
by checkpoint day.

The model is trained on enrollments that started before ``split`` and finished before
it; it is judged on enrollments that started on or after ``split`` and finished before
``now``, with the features each had at each of ``CHECKPOINT_DAYS`` after its start (a
success after its completion is left out: ``risk_model.checkpoints_of``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.analytics.domain.features import features_of, start_of
from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.risk_model import (
    CHECKPOINT_DAYS,
    RiskModel,
    checkpoints_of,
    outcome_of,
    train,
    training_set,
)

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class CheckpointScore:
    day: int
    enrollments: int
    successes: int
    auc: float | None  # None when the held-out set has one outcome only
    calibration_error: float | None


def auc(labels: Sequence[bool], probabilities: Sequence[float]) -> float | None:
    """The probability that a random success is ranked above a random failure (ties
    count half); None without both outcomes."""
    positives = [p for p, ok in zip(probabilities, labels, strict=True) if ok]
    negatives = [p for p, ok in zip(probabilities, labels, strict=True) if not ok]
    if not positives or not negatives:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def calibration_error(labels: Sequence[bool], probabilities: Sequence[float]) -> float | None:
    """Expected calibration error: over 10 equal-width bins of predicted probability, the
    mean |observed success rate - mean prediction| weighted by the bin's share."""
    if not labels:
        return None
    bins: dict[int, list[tuple[float, bool]]] = {}
    for p, ok in zip(probabilities, labels, strict=True):
        bins.setdefault(min(CALIBRATION_BINS - 1, int(p * CALIBRATION_BINS)), []).append((p, ok))
    total = len(labels)
    return sum(
        len(members)
        / total
        * abs(
            sum(ok for _, ok in members) / len(members) - sum(p for p, _ in members) / len(members)
        )
        for members in bins.values()
    )


def evaluate(
    enrollments: Iterable[StudentFacts], split: datetime, now: datetime
) -> tuple[RiskModel, list[CheckpointScore]]:
    everyone = list(enrollments)
    earlier = [f for f in everyone if (start := start_of(f)) is not None and start < split]
    # only what was known at the split: an earlier enrollment still open then is left out
    later = [f for f in everyone if (start := start_of(f)) is not None and start >= split]
    examples, courses = training_set(earlier, split)
    model = train(examples, split, courses)
    scores = []
    for day in CHECKPOINT_DAYS:
        labels, predictions = [], []
        for facts in later:
            start = start_of(facts)
            for checkpoint, succeeded in checkpoints_of(facts, now):
                if start is None or checkpoint != start + timedelta(days=day):
                    continue
                features = features_of(facts, checkpoint)
                if features is not None:
                    labels.append(succeeded)
                    predictions.append(model.probability(features))
        scores.append(
            CheckpointScore(
                day=day,
                enrollments=len(labels),
                successes=sum(labels),
                auc=auc(labels, predictions),
                calibration_error=calibration_error(labels, predictions),
            )
        )
    return model, scores


#: the default split judges about this share of the finished enrollments, the latest started
JUDGED_SHARE = 1 / 3


def default_split(enrollments: Iterable[StudentFacts], now: datetime) -> datetime | None:
    """The start moment that leaves the share of finished enrollments started from it on
    closest to ``JUDGED_SHARE`` (the later of two equally close), never the earliest
    start (something must be left to train on); None with fewer than two distinct starts
    of finished enrollments."""
    starts = sorted(
        start
        for facts in enrollments
        if (start := start_of(facts)) is not None and outcome_of(facts, now) is not None
    )
    candidates = sorted(set(starts))[1:]
    if not candidates:
        return None
    total = len(starts)

    def distance(split: datetime) -> tuple[float, float]:
        judged = (total - bisect_left(starts, split)) / total
        return abs(judged - JUDGED_SHARE), -split.timestamp()

    return min(candidates, key=distance)
