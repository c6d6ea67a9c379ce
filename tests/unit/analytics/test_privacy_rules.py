"""Private aggregates: pseudonyms, suppressed small groups, clamped values and the noise
of the Laplace mechanisms, with the noise replaced by known shifts where the arithmetic
is worked out by hand."""

from __future__ import annotations

import statistics

import pytest

from services.analytics.domain.privacy import (
    Mechanisms,
    PrivateGroup,
    describe,
    laplace_mechanisms,
    private_aggregate,
    pseudonym,
)

pytestmark = pytest.mark.unit


def test_a_pseudonym_is_the_hmac_sha256_of_the_id_under_the_key():
    # echo -n USR-STU-1 | openssl dgst -sha256 -hmac secret-key: bb93106799c435bb51bf05bc...
    assert pseudonym("secret-key", "USR-STU-1") == "PSN-bb93106799c435bb51bf"
    assert pseudonym("secret-key", "USR-STU-1") == pseudonym("secret-key", "USR-STU-1")
    assert pseudonym("other-key", "USR-STU-1") == "PSN-2f7105e343bbda56b9cd"
    assert pseudonym("secret-key", "USR-STU-2") != pseudonym("secret-key", "USR-STU-1")


@pytest.mark.parametrize(("epsilon", "upper"), [(0.5, 100.0), (1.0, 7.0), (0.2, 840.0)])
def test_a_query_spends_exactly_its_epsilon_half_on_the_count_half_on_the_sum(
    epsilon: float, upper: float
):
    assert laplace_mechanisms(epsilon, upper).epsilon == pytest.approx(epsilon)


def test_the_mechanisms_turn_on_the_opendp_features_they_need():
    import opendp.prelude as dp

    dp.disable_features("contrib")
    assert laplace_mechanisms(1.0, 10.0).epsilon == pytest.approx(1.0)


def test_the_noise_is_laplace_around_the_true_value_at_the_documented_scale():
    # scale 2 / epsilon for the count, 2 x upper / epsilon for the sum; the mean absolute
    # deviation of Laplace noise is its scale (4 and 400 here); with 4,000 draws the
    # measured one and the mean are each about six standard errors inside the bounds
    mechanisms = laplace_mechanisms(0.5, 100.0)
    counts = [mechanisms.count(30.0) - 30.0 for _ in range(4000)]
    totals = [mechanisms.total(1500.0) - 1500.0 for _ in range(4000)]
    assert statistics.fmean(abs(c) for c in counts) == pytest.approx(4.0, rel=0.1)
    assert statistics.fmean(abs(t) for t in totals) == pytest.approx(400.0, rel=0.1)
    assert abs(statistics.fmean(counts)) < 0.5
    assert abs(statistics.fmean(totals)) < 50.0


def shifted(count: float, total: float) -> Mechanisms:
    """Known "noise": the count moved by ``count``, the sum by ``total``."""
    return Mechanisms(count=lambda c: c + count, total=lambda t: t + total, epsilon=1.0)


def test_groups_below_the_minimum_are_suppressed_and_counted():
    groups = {"CRS-B": [10.0, 20.0, 200.0, -5.0], "CRS-A": [50.0, 60.0], "CRS-C": [1.0]}
    shown, suppressed = private_aggregate(
        groups, lower=0.0, upper=100.0, min_group_size=2, mechanisms=shifted(0.4, -3.0)
    )
    # CRS-A: 2 values (the minimum), noisy count 2.4, noisy sum 107: mean 44.583...
    # CRS-B: clamped to 10, 20, 100, 0: noisy count 4.4, noisy sum 127: mean 28.863...
    assert shown == [PrivateGroup("CRS-A", 2, 44.58), PrivateGroup("CRS-B", 4, 28.86)]
    assert suppressed == 1


def test_the_count_shown_is_the_noisy_count_rounded():
    shown, _ = private_aggregate(
        {"CRS-A": [50.0, 70.0]},
        lower=0.0,
        upper=100.0,
        min_group_size=1,
        mechanisms=shifted(0.6, 0.0),
    )
    # noisy count 2.6 shows as 3; the mean is 120 / 2.6 = 46.153...
    assert shown == [PrivateGroup("CRS-A", 3, 46.15)]


def test_a_noisy_count_below_one_divides_as_one():
    shown, _ = private_aggregate(
        {"CRS-A": [30.0, 40.0]},
        lower=0.0,
        upper=100.0,
        min_group_size=2,
        mechanisms=shifted(-5.0, 0.0),
    )
    assert shown == [PrivateGroup("CRS-A", 1, 70.0)]


@pytest.mark.parametrize(("noise", "mean"), [(1000.0, 90.0), (-1000.0, 10.0)])
def test_the_mean_shown_stays_within_the_metrics_bounds(noise: float, mean: float):
    shown, _ = private_aggregate(
        {"CRS-A": [30.0, 40.0]},
        lower=10.0,
        upper=90.0,
        min_group_size=2,
        mechanisms=shifted(0.0, noise),
    )
    assert shown == [PrivateGroup("CRS-A", 2, mean)]


def test_values_are_clamped_to_the_bounds_before_they_are_summed():
    shown, _ = private_aggregate(
        {"CRS-A": [-50.0, 150.0, 40.0]},
        lower=10.0,
        upper=90.0,
        min_group_size=3,
        mechanisms=shifted(0.0, 0.0),
    )
    assert shown == [PrivateGroup("CRS-A", 3, 46.67)]  # (10 + 90 + 40) / 3


def test_nothing_shown_when_every_group_is_too_small():
    shown, suppressed = private_aggregate(
        {"CRS-A": [1.0], "CRS-B": []},
        lower=0.0,
        upper=100.0,
        min_group_size=2,
        mechanisms=shifted(0.0, 0.0),
    )
    assert (shown, suppressed) == ([], 2)


def test_a_group_described():
    assert describe([PrivateGroup("CRS-A", 3, 46.15), PrivateGroup("CRS-B", 1, 70.0)]) == [
        {"group": "CRS-A", "count": 3, "value": 46.15},
        {"group": "CRS-B", "count": 1, "value": 70.0},
    ]
