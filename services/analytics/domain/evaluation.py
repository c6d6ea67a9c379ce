"""How good the success model is: AUC and calibration error on held-out later enrollments,
by checkpoint day.

The model is trained on enrollments that started and finished before ``split``; it is
judged on enrollments that started on or after ``split`` and finished before ``now``,
with the features each had at 7, 14, 28 and 56 days after its start (a checkpoint after
its outcome was known is left out: ``risk_model.checkpoints_of``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.analytics.domain.features import features_of, start_of
from services.analytics.domain.projections import StudentFacts
from services.analytics.domain.risk_model import (
    CHECKPOINT_DAYS,
    RiskModel,
    checkpoints_of,
    train,
    training_examples,
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
    later = [f for f in everyone if (start := start_of(f)) is not None and start >= split]
    model = train(training_examples(earlier, split), split)
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
