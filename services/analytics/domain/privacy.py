"""Views that leave a class: pseudonymous ids, suppressed small groups, differential privacy.

* A student appears only under a **pseudonym**: HMAC-SHA256 of their id under
  ``STRIDE_PSEUDONYM_KEY`` (stable, not reversible without the key).
* A group with fewer than ``STRIDE_MIN_GROUP_SIZE`` enrollments is **suppressed**
  (left out; only how many were left out is said). The decision uses the true count.
* Each shown group's enrollment count and the sum of its clamped values get **Laplace
  noise** (OpenDP). The unit of privacy is an enrollment (student in a course); an
  enrollment is in exactly one group, so groups compose in parallel and a query
  spends its ``epsilon`` once: half on the count (sensitivity 1), half on the sum
  (sensitivity = the metric's upper bound). The mean shown is noisy sum / noisy count,
  clamped to the metric's bounds.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_EPSILON = 1.0


def pseudonym(key: str, student_id: str) -> str:
    digest = hmac.new(key.encode(), student_id.encode(), hashlib.sha256).hexdigest()
    return f"PSN-{digest[:20]}"


@dataclass(frozen=True)
class Mechanisms:
    """Laplace mechanisms for one query: ``count`` and ``total`` add noise, ``epsilon`` is
    what the pair spends (from OpenDP's privacy map)."""

    count: Callable[[float], float]
    total: Callable[[float], float]
    epsilon: float


def laplace_mechanisms(epsilon: float, upper: float) -> Mechanisms:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    domain, metric = dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float)
    count = dp.m.make_laplace(domain, metric, scale=2.0 / epsilon)
    total = dp.m.make_laplace(domain, metric, scale=2.0 * upper / epsilon)
    spent = float(count.map(1.0)) + float(total.map(float(upper)))
    return Mechanisms(count=count, total=total, epsilon=spent)


@dataclass(frozen=True)
class PrivateGroup:
    group: str
    count: int
    value: float


def private_aggregate(
    groups: Mapping[str, Sequence[float]],
    *,
    lower: float,
    upper: float,
    min_group_size: int,
    mechanisms: Mechanisms,
) -> tuple[list[PrivateGroup], int]:
    """Noisy (count, mean) of each group of at least ``min_group_size`` values, and the
    number of groups suppressed."""
    shown, suppressed = [], 0
    for group in sorted(groups):
        values = [min(upper, max(lower, v)) for v in groups[group]]
        if len(values) < min_group_size:
            suppressed += 1
            continue
        noisy_count = max(1.0, mechanisms.count(float(len(values))))
        noisy_total = mechanisms.total(float(sum(values)))
        mean = min(upper, max(lower, noisy_total / noisy_count))
        shown.append(PrivateGroup(group, round(noisy_count), round(mean, 2)))
    return shown, suppressed


def describe(groups: Sequence[PrivateGroup]) -> list[dict[str, Any]]:
    return [{"group": g.group, "count": g.count, "value": g.value} for g in groups]
