"""The success model: logistic regression on behavioural features, and its prior.

``success_probability`` = sigmoid(intercept + sum_i coef_i * (x_i - center_i) / scale_i).
Each term is the feature's contribution, so a prediction explains itself: the terms
that pull it down are the student's own reasons.

Before the platform has ``MIN_FINISHED`` finished enrollments (with at least
``MIN_PER_OUTCOME`` of each outcome) the **prior** is used: the hand-set coefficients of
``PRIOR`` around a typical student (``centers``), a 60% base rate. Once there is enough
history, ``train`` fits scikit-learn's ``LogisticRegression`` on standardized features
of finished enrollments at checkpoints (``CHECKPOINT_DAYS`` after each one's start).
A finished enrollment is one that completed (success) or saw no activity for
``ABANDONED_AFTER_DAYS`` (not a success).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.analytics.domain.features import NAMES, Features, features_of, start_of
from services.analytics.domain.projections import StudentFacts

MIN_FINISHED = 40
MIN_PER_OUTCOME = 10
CHECKPOINT_DAYS = (7, 14, 28, 56)
ABANDONED_AFTER_DAYS = 60


@dataclass(frozen=True)
class RiskModel:
    source: str  # "prior" or "trained"
    intercept: float
    coefficients: tuple[float, ...]
    centers: tuple[float, ...]
    scales: tuple[float, ...]
    trained_on: int = 0
    trained_at: datetime | None = None

    def contributions(self, features: Features) -> dict[str, float]:
        score_center = self.centers[NAMES.index("mean_score")]
        values = features.vector(score_if_none=score_center)
        return {
            name: coef * (value - center) / scale
            for name, coef, value, center, scale in zip(
                NAMES, self.coefficients, values, self.centers, self.scales, strict=True
            )
        }

    def probability(self, features: Features) -> float:
        logit = self.intercept + sum(self.contributions(features).values())
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, logit))))

    def center_of(self, name: str) -> float:
        return self.centers[NAMES.index(name)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "intercept": self.intercept,
            "coefficients": list(self.coefficients),
            "centers": list(self.centers),
            "scales": list(self.scales),
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], trained_at: datetime | None) -> RiskModel:
        return cls(
            source=data["source"],
            intercept=float(data["intercept"]),
            coefficients=tuple(data["coefficients"]),
            centers=tuple(data["centers"]),
            scales=tuple(data["scales"]),
            trained_on=int(data["trained_on"]),
            trained_at=trained_at,
        )


#: A typical student (the centers) succeeds with probability 60% (logit 0.4). Per unit
#: away from typical: every 10% more active days +0.25; every day without activity
#: -0.06; every submission per week +0.4; every score point +0.04; every hour of study
#: in 14 days +0.18; every item per week +0.25; every retry per quiz -0.5.
PRIOR = RiskModel(
    source="prior",
    intercept=0.4,
    coefficients=(2.5, -0.06, 0.4, 0.04, 0.003, 0.25, -0.5, 0.0),
    centers=(0.3, 3.0, 1.0, 70.0, 120.0, 2.0, 0.3, 28.0),
    scales=(1.0,) * len(NAMES),
)


def outcome_of(facts: StudentFacts, now: datetime) -> tuple[bool, datetime] | None:
    """(succeeded, finished at) of an enrollment finished before ``now``; None while open."""
    completed = [
        e.completed_at
        for e in facts.enrollments
        if e.completed_at is not None and e.completed_at < now
    ]
    if completed:
        return True, min(completed)
    moments = [r.occurred_at for r in facts.activities] + [c.completed_at for c in facts.lessons]
    moments += [a.completed_at for a in facts.attempts if a.completed_at is not None]
    last = max((m for m in moments if m < now), default=start_of(facts))
    if last is not None and now - last >= timedelta(days=ABANDONED_AFTER_DAYS):
        return False, last
    return None


def checkpoints_of(facts: StudentFacts, now: datetime) -> list[tuple[datetime, bool]]:
    """(checkpoint, succeeded) of a finished enrollment at each checkpoint before its
    outcome was known: its completion, or ``ABANDONED_AFTER_DAYS`` after its last activity
    (a student idle for a week has not left yet)."""
    outcome, start = outcome_of(facts, now), start_of(facts)
    if outcome is None or start is None:
        return []
    succeeded, finished_at = outcome
    known_at = finished_at if succeeded else finished_at + timedelta(days=ABANDONED_AFTER_DAYS)
    moments = (start + timedelta(days=day) for day in CHECKPOINT_DAYS)
    return [(moment, succeeded) for moment in moments if moment < known_at]


def training_examples(
    enrollments: Iterable[StudentFacts], now: datetime
) -> list[tuple[Features, bool]]:
    examples = []
    for facts in enrollments:
        for checkpoint, succeeded in checkpoints_of(facts, now):
            features = features_of(facts, checkpoint)
            if features is not None:
                examples.append((features, succeeded))
    return examples


def enough_history(examples: Sequence[tuple[Features, bool]]) -> bool:
    successes = sum(1 for _, ok in examples if ok)
    return len(examples) >= MIN_FINISHED and min(successes, len(examples) - successes) >= (
        MIN_PER_OUTCOME
    )


def train(examples: Sequence[tuple[Features, bool]], now: datetime) -> RiskModel:
    """The fitted model, or ``PRIOR`` while there is not enough history."""
    if not enough_history(examples):
        return PRIOR
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    scores = [f.mean_score for f, _ in examples if f.mean_score is not None]
    score_fill = float(np.mean(scores)) if scores else PRIOR.center_of("mean_score")
    matrix = np.array([f.vector(score_if_none=score_fill) for f, _ in examples])
    labels = np.array([1 if ok else 0 for _, ok in examples])
    centers = matrix.mean(axis=0)
    scales = matrix.std(axis=0)
    scales[scales == 0] = 1.0
    centers[NAMES.index("mean_score")] = score_fill
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit((matrix - centers) / scales, labels)
    return RiskModel(
        source="trained",
        intercept=float(model.intercept_[0]),
        coefficients=tuple(float(c) for c in model.coef_[0]),
        centers=tuple(float(c) for c in centers),
        scales=tuple(float(s) for s in scales),
        trained_on=len(examples),
        trained_at=now,
    )
