"""The success model: logistic regression on behavioural features, and its prior.

``success_probability`` = sigmoid(slope_d * (intercept + sum_i coef_i * (x_i - center_i)
/ scale_i) + shift_d), where (slope_d, shift_d) is the calibration for the student's
day d of the enrollment. Each term times the slope is the feature's contribution, so a
prediction explains itself: the terms that pull it down are the student's own reasons.

Before the platform has ``MIN_FINISHED`` finished enrollments (with at least
``MIN_PER_OUTCOME`` of each outcome) the **prior** is used: the hand-set coefficients of
``PRIOR`` around a typical student (``centers``), a 60% base rate. Once there is enough
history, ``train`` fits scikit-learn's ``LogisticRegression`` on standardized features
of finished enrollments at checkpoints (``CHECKPOINT_DAYS`` after each one's start).
A finished enrollment is one that completed (success) or saw no activity for
``ABANDONED_AFTER_DAYS`` (not a success).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.analytics.domain.features import (
    NAMES,
    OPTIONAL,
    Features,
    features_of,
    start_of,
)
from services.analytics.domain.projections import StudentFacts

MIN_FINISHED = 40
MIN_PER_OUTCOME = 10
#: days into an enrollment at which its features are learned from. They run to 300 days:
#: predictions are asked as late in an enrollment, notably of students who registered
#: weeks before their course started (on OULAD's 2013J term, day 150 of the course is a
#: median 210 days into the enrollment), and a model that learned nothing past day 150
#: misjudges them (calibration error 0.061 on that day, against 0.031 with these days)
CHECKPOINT_DAYS = (7, 14, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300)
ABANDONED_AFTER_DAYS = 60
MIN_CALIBRATION_COURSES = 3
#: a checkpoint day gets its own calibration with at least this many held-out
#: predictions of each outcome; with fewer it takes the calibration of all days together
MIN_CALIBRATION_PER_OUTCOME = 30


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the log-odds at ``day`` days into the enrollment."""

    day: float
    slope: float
    shift: float


def calibration_at(calibrations: Sequence[Calibration], day: float) -> tuple[float, float]:
    """(slope, shift) on ``day``: linear between the two calibrated days around it, the
    nearest one's outside them, (1, 0) without any."""
    if not calibrations:
        return 1.0, 0.0
    if day <= calibrations[0].day:
        return calibrations[0].slope, calibrations[0].shift
    for before, after in itertools.pairwise(calibrations):
        if day <= after.day:
            share = (day - before.day) / (after.day - before.day)
            return (
                before.slope + share * (after.slope - before.slope),
                before.shift + share * (after.shift - before.shift),
            )
    return calibrations[-1].slope, calibrations[-1].shift


@dataclass(frozen=True)
class RiskModel:
    source: str  # "prior" or "trained"
    intercept: float
    coefficients: tuple[float, ...]
    centers: tuple[float, ...]
    scales: tuple[float, ...]
    trained_on: int = 0
    trained_at: datetime | None = None
    #: by day, ascending; empty: the log-odds as fitted
    calibrations: tuple[Calibration, ...] = ()

    def fills(self) -> dict[str, float]:
        """A missing feature takes the typical value: it neither helps nor harms."""
        return dict(zip(NAMES, self.centers, strict=True))

    def contributions(self, features: Features) -> dict[str, float]:
        """Each feature's share of the calibrated log-odds."""
        slope, _ = calibration_at(self.calibrations, features.days_enrolled)
        values = features.vector(self.fills())
        return {
            name: slope * coef * (value - center) / scale
            for name, coef, value, center, scale in zip(
                NAMES, self.coefficients, values, self.centers, self.scales, strict=True
            )
        }

    def probability(self, features: Features) -> float:
        slope, shift = calibration_at(self.calibrations, features.days_enrolled)
        logit = slope * self.intercept + shift + sum(self.contributions(features).values())
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, logit))))

    def center_of(self, name: str) -> float:
        return self.centers[NAMES.index(name)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "features": list(NAMES),
            "intercept": self.intercept,
            "coefficients": list(self.coefficients),
            "centers": list(self.centers),
            "scales": list(self.scales),
            "trained_on": self.trained_on,
            "calibrations": [[c.day, c.slope, c.shift] for c in self.calibrations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], trained_at: datetime | None) -> RiskModel | None:
        """The model, or None when it was fitted on other features than ``NAMES``."""
        if list(data.get("features", ())) != list(NAMES):
            return None
        return cls(
            source=data["source"],
            intercept=float(data["intercept"]),
            coefficients=tuple(data["coefficients"]),
            centers=tuple(data["centers"]),
            scales=tuple(data["scales"]),
            trained_on=int(data["trained_on"]),
            trained_at=trained_at,
            # a model stored before calibrations by day has its calibration in its terms
            calibrations=tuple(
                Calibration(float(day), float(slope), float(shift))
                for day, slope, shift in data.get("calibrations", ())
            ),
        )


_PRIOR_TERMS = {  # name: (coefficient per unit, typical value)
    "active_day_share": (2.5, 0.3),
    "days_since_activity": (-0.06, 3.0),
    "submissions_per_week": (0.4, 1.0),
    "mean_score": (0.04, 70.0),
    "recent_minutes": (0.003, 120.0),
    "items_per_week": (0.25, 2.0),
    "retries_per_quiz": (-0.5, 0.3),
    "days_enrolled": (0.0, 28.0),
    "missed_share": (-2.0, 0.0),
    "mean_lateness": (-0.1, 0.0),
    "weighted_score": (0.03, 65.0),
    "recent_score": (0.0, 70.0),
    "days_since_submission": (0.0, 14.0),
    "score_trend": (0.0, 0.0),
    "paused": (-2.0, 0.0),
}

#: A typical student (the centers) succeeds with probability 60% (logit 0.4). Per unit
#: away from typical: every 10% more active days +0.25; every day without activity
#: -0.06; every submission per week +0.4; every score point +0.04; every hour of study
#: in 14 days +0.18; every item per week +0.25; every retry per quiz -0.5; all the
#: assessments due so far missed -2; every day late on average -0.1; every point of
#: weighted score +0.03; paused -2. The recent score, its trend and the days since the
#: last submission wait for history to be weighed (0).
PRIOR = RiskModel(
    source="prior",
    intercept=0.4,
    coefficients=tuple(_PRIOR_TERMS[name][0] for name in NAMES),
    centers=tuple(_PRIOR_TERMS[name][1] for name in NAMES),
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
    moments += [a.submitted_at for a in facts.assignments]
    last = max((m for m in moments if m < now), default=start_of(facts))
    if last is not None and now - last >= timedelta(days=ABANDONED_AFTER_DAYS):
        return False, last
    return None


def checkpoints_of(facts: StudentFacts, now: datetime) -> list[tuple[datetime, bool]]:
    """(checkpoint, succeeded) of a finished enrollment at each checkpoint before ``now``:
    a success until its completion (afterwards there is nothing left to predict), a
    failure at every checkpoint (an abandoned enrollment is still open, and its
    prediction is still shown)."""
    outcome, start = outcome_of(facts, now), start_of(facts)
    if outcome is None or start is None:
        return []
    succeeded, finished_at = outcome
    end = finished_at if succeeded else now
    moments = (start + timedelta(days=day) for day in CHECKPOINT_DAYS)
    return [(moment, succeeded) for moment in moments if moment < min(end, now)]


def training_set(
    enrollments: Iterable[StudentFacts], now: datetime
) -> tuple[list[tuple[Features, bool]], list[str]]:
    """The examples of the finished enrollments, and the course each one is from."""
    examples, courses = [], []
    for facts in enrollments:
        course = next((e.course_id for e in facts.enrollments), "")
        for checkpoint, succeeded in checkpoints_of(facts, now):
            features = features_of(facts, checkpoint)
            if features is not None:
                examples.append((features, succeeded))
                courses.append(course)
    return examples, courses


def training_examples(
    enrollments: Iterable[StudentFacts], now: datetime
) -> list[tuple[Features, bool]]:
    return training_set(enrollments, now)[0]


def enough_history(examples: Sequence[tuple[Features, bool]]) -> bool:
    successes = sum(1 for _, ok in examples if ok)
    return len(examples) >= MIN_FINISHED and min(successes, len(examples) - successes) >= (
        MIN_PER_OUTCOME
    )


def train(
    examples: Sequence[tuple[Features, bool]],
    now: datetime,
    courses: Sequence[str] | None = None,
) -> RiskModel:
    """The fitted model, or ``PRIOR`` while there is not enough history.

    A missing value (no score yet) is filled with the mean of the known ones, which is
    also its center: it contributes nothing either way. With ``courses`` (the course of
    each example) from at least ``MIN_CALIBRATION_COURSES`` courses, the log-odds are
    recalibrated (Platt) on predictions for courses left out of the fit, as the model
    will meet courses it has not seen; the scaling multiplies every term alike, so the
    contributions still explain the prediction.
    """
    if not enough_history(examples):
        return PRIOR
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    fills = PRIOR.fills()
    for name in OPTIONAL:
        known = [v for f, _ in examples if (v := f.value(name)) is not None]
        if known:
            fills[name] = float(np.mean(known))
    matrix = np.array([f.vector(fills) for f, _ in examples])
    labels = np.array([1 if ok else 0 for _, ok in examples])
    centers = matrix.mean(axis=0)
    for name in OPTIONAL:
        centers[NAMES.index(name)] = fills[name]
    scales = matrix.std(axis=0)
    scales[scales == 0] = 1.0
    standardized = (matrix - centers) / scales
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(standardized, labels)
    days = np.array([f.days_enrolled for f, _ in examples])
    return RiskModel(
        source="trained",
        intercept=float(model.intercept_[0]),
        coefficients=tuple(float(c) for c in model.coef_[0]),
        centers=tuple(float(c) for c in centers),
        scales=tuple(float(s) for s in scales),
        trained_on=len(examples),
        trained_at=now,
        calibrations=fit_calibrations(standardized, labels, days, courses),
    )


def fit_calibrations(
    standardized: Any, labels: Any, days: Any, courses: Sequence[str] | None
) -> tuple[Calibration, ...]:
    """Platt scaling by checkpoint day, fitted on the log-odds each course gets from a
    model fitted without it (the model will meet courses it has not seen); none with
    fewer than ``MIN_CALIBRATION_COURSES`` courses. A day with too few held-out
    predictions of an outcome takes the calibration of all days together; a fit that
    would turn the log-odds around (slope <= 0) is not kept."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if courses is None or len(set(courses)) < MIN_CALIBRATION_COURSES:
        return ()
    groups = np.array(courses)
    held_out = np.zeros(len(labels))
    for course in sorted(set(courses)):
        fitted = groups != course
        if len(set(labels[fitted])) < 2:
            return ()
        part = LogisticRegression(C=1.0, max_iter=1000).fit(standardized[fitted], labels[fitted])
        held_out[~fitted] = part.decision_function(standardized[~fitted])

    def platt(chosen: Any) -> tuple[float, float] | None:
        fit = LogisticRegression(C=1e6, max_iter=1000).fit(
            held_out[chosen].reshape(-1, 1), labels[chosen]
        )
        slope = float(fit.coef_[0][0])
        return (slope, float(fit.intercept_[0])) if slope > 0 else None

    overall = platt(np.ones(len(labels), dtype=bool))
    if overall is None:
        return ()
    calibrations = []
    for day in CHECKPOINT_DAYS:
        chosen = np.round(days) == day
        successes = int(labels[chosen].sum())
        enough = min(successes, int(chosen.sum()) - successes) >= MIN_CALIBRATION_PER_OUTCOME
        slope, shift = (enough and platt(chosen)) or overall
        calibrations.append(Calibration(float(day), slope, shift))
    return tuple(calibrations)
