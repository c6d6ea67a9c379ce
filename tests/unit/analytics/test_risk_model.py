"""The success model: the prior until there is history, then logistic regression on it."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from services.analytics.domain.features import NAMES, Features
from services.analytics.domain.risk_model import (
    CHECKPOINT_DAYS,
    PRIOR,
    RiskModel,
    enough_history,
    outcome_of,
    train,
    training_examples,
    training_set,
)
from services.analytics.store import facts_of, student_facts
from shared.events import Envelope
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    activity,
    analytics_session,
    apply,
    assignment,
    at,
    course_completed,
    enrolled,
    lesson_completed,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def history(completers: int, leavers: int) -> list:
    events = []
    for n in range(completers):
        student = f"USR-DONE-{n}"
        events.append(enrolled(at(0), student=student))
        records = [
            record(f"{student}-{d}", "lesson_start", at(d), duration=2400, student=student)
            for d in range(0, 30, 1 + n % 2)
        ]
        events.append(activity(records, student=student))
        for q in range(4):
            events.append(
                submitted(
                    f"{student}-Q{q}", f"QZ-{q}", at(3 + 5 * q), 75.0 + n % 20, student=student
                )
            )
            events.append(lesson_completed(f"LSN-{q}", at(2 + 5 * q), student=student))
        events.append(course_completed(at(30), student=student))
    for n in range(leavers):
        student = f"USR-LEFT-{n}"
        events.append(enrolled(at(0), student=student))
        records = [
            record(f"{student}-{d}", "lesson_start", at(d), duration=600, student=student)
            for d in range(0, 6 + n % 4, 3)
        ]
        events.append(activity(records, student=student))
        events.append(submitted(f"{student}-Q0", "QZ-0", at(4), 35.0 + n % 20, student=student))
    return events


def examples(completers: int, leavers: int) -> list:
    with analytics_session() as session:
        apply(session, history(completers, leavers))
        students = facts_of(session, None, None)
    return training_examples(students.values(), at(200))


def test_the_prior_is_kept_until_there_is_enough_history():
    # 4 completers give 8 examples of success (days 7 and 14): fewer than 10
    assert train(examples(4, 4), at(200)) is PRIOR
    assert train(examples(5, 5), at(200)).source == "trained"


def test_a_model_trained_on_finished_enrollments_learns_from_behaviour():
    found = examples(25, 25)
    assert {ok for _, ok in found} == {True, False}
    model = train(found, at(200))
    assert model.source == "trained"
    assert (model.trained_on, model.trained_at) == (len(found), at(200))
    coefficients = dict(zip(NAMES, model.coefficients, strict=True))
    assert coefficients["active_day_share"] > 0
    assert coefficients["mean_score"] > 0
    completer, leaver = next(f for f, ok in found if ok), next(f for f, ok in found if not ok)
    assert model.probability(completer) > 0.5 > model.probability(leaver)


def test_only_finished_enrollments_are_examples():
    with analytics_session() as session:
        apply(session, history(1, 1))
        students = facts_of(session, None, None)
    # 70 days after the leaver's last activity it has finished; 10 days after, not yet
    assert {ok for _, ok in training_examples(students.values(), at(80))} == {True, False}
    assert {ok for _, ok in training_examples(students.values(), at(20))} == set()
    assert at(20) - at(9) < timedelta(days=60)


def test_calibration_on_left_out_courses_scales_every_term_alike():
    found = examples(25, 25)
    raw = train(found, at(200))
    courses = [("CRS-A", "CRS-B", "CRS-C")[n % 3] for n in range(len(found))]
    calibrated = train(found, at(200), courses)
    assert raw.calibrations == ()
    assert [c.day for c in calibrated.calibrations] == list(CHECKPOINT_DAYS)
    assert (calibrated.coefficients, calibrated.centers) == (raw.coefficients, raw.centers)
    for features, _ in found[:5]:
        plain, scaled = raw.contributions(features), calibrated.contributions(features)
        ratios = {round(scaled[n] / plain[n], 9) for n in plain if abs(plain[n]) > 1e-9}
        assert len(ratios) == 1 and ratios.pop() > 0
    assert [calibrated.probability(f) for f, _ in found] != [raw.probability(f) for f, _ in found]


def test_fewer_than_three_courses_are_not_enough_to_calibrate_on():
    found = examples(25, 25)
    courses = [("CRS-A", "CRS-B")[n % 2] for n in range(len(found))]
    assert train(found, at(200), courses) == train(found, at(200))


def test_a_stored_model_of_other_features_gives_way_to_the_prior():
    from services.analytics import store
    from services.analytics.models import risk_models

    with analytics_session() as session:
        trained = train(examples(25, 25), at(200))
        store.save_risk_model(session, trained, at(200))
        assert store.latest_risk_model(session).coefficients == trained.coefficients
        # a model fitted before the outline features existed (no "features" list)
        older = {k: v for k, v in trained.to_dict().items() if k != "features"}
        older["coefficients"] = older["coefficients"][:8]
        session.execute(risk_models.insert().values(trained_at=at(201), document=older))
        assert store.latest_risk_model(session) is PRIOR


def test_a_stored_model_reads_back_as_it_was_saved():
    model = RiskModel(
        source="trained",
        intercept=0.3,
        coefficients=tuple(0.1 * n for n in range(len(NAMES))),
        centers=tuple(float(n) for n in range(len(NAMES))),
        scales=tuple(1.0 + n for n in range(len(NAMES))),
        trained_on=55,
        trained_at=at(3),
    )
    stored = json.loads(json.dumps(model.to_dict()))
    assert RiskModel.from_dict(stored, at(3)) == model
    assert RiskModel.from_dict({**stored, "intercept": 1}, at(3)) == replace(model, intercept=1.0)


def test_the_log_odds_are_capped_at_50_either_way():
    typical = Features(**dict(zip(NAMES, PRIOR.centers, strict=True)))  # type: ignore[arg-type]
    hopeless = replace(PRIOR, intercept=-1000.0)  # e^1000 would overflow
    assert hopeless.probability(typical) == 1 / (1 + math.exp(50.0))
    assert replace(PRIOR, intercept=1000.0).probability(typical) == 1.0


def typical() -> Features:
    return Features(**dict(zip(NAMES, PRIOR.centers, strict=True)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("successes", "failures", "enough"),
    [
        (10, 30, True),
        (30, 10, True),
        (10, 29, False),
        (9, 31, False),
        (31, 9, False),
        (5, 35, False),
    ],
)
def test_enough_history_is_40_examples_with_10_of_each_outcome(
    successes: int, failures: int, enough: bool
):
    found = [(typical(), True)] * successes + [(typical(), False)] * failures
    assert enough_history(found) is enough


def test_a_contribution_is_the_coefficient_times_the_standardized_distance():
    model = replace(PRIOR, scales=tuple(2.0 if n == "mean_score" else 1.0 for n in NAMES))
    # 0.04 per unit x (78 - 70) / 2
    assert model.contributions(replace(typical(), mean_score=78.0))["mean_score"] == (
        pytest.approx(0.16)
    )


def test_a_model_with_fewer_terms_than_features_is_refused_not_truncated():
    short = replace(PRIOR, coefficients=PRIOR.coefficients[:8], centers=PRIOR.centers[:8])
    with pytest.raises(ValueError, match="zip"):
        short.fills()
    with pytest.raises(ValueError, match="zip"):
        replace(PRIOR, coefficients=PRIOR.coefficients[:8]).contributions(typical())


def outcome(events: list, now: datetime) -> tuple[bool, datetime] | None:
    with analytics_session() as session:
        apply(session, events)
        return outcome_of(student_facts(session, STUDENT, COURSE), now)


def test_a_completion_at_the_moment_itself_is_not_finished_yet():
    events = [enrolled(at(0)), course_completed(at(10))]
    assert outcome(events, at(10)) is None
    assert outcome(events, at(11)) == (True, at(10))


def test_abandoned_exactly_60_days_after_the_last_sign_of_work():
    # with no work at all, the start is the last sign
    assert outcome([enrolled(at(0))], at(60)) == (False, at(0))
    assert outcome([enrolled(at(0))], at(59, 23)) is None


@pytest.mark.parametrize(
    "work",
    [
        submitted("AT-1", "QZ-1", at(20), 70.0),
        assignment("TMA-1", "submit", at(20), occurred=at(20)),
        lesson_completed("LSN-1", at(20)),
    ],
)
def test_any_submission_or_lesson_is_a_sign_of_work(work: Envelope):
    events = [enrolled(at(0)), activity([record("R1", "login", at(5))]), work]
    assert outcome(events, at(70)) is None
    assert outcome(events, at(80)) == (False, at(20))


def test_work_at_the_moment_itself_does_not_count_yet():
    events = [enrolled(at(0)), activity([record("R1", "login", at(60))])]
    assert outcome(events, at(60)) == (False, at(0))


def test_each_example_is_from_its_enrollments_course():
    with analytics_session() as session:
        apply(session, history(1, 1))
        students = facts_of(session, None, None)
    found, courses = training_set(students.values(), at(80))
    assert len(found) == len(courses) > 0
    assert set(courses) == {COURSE}


def test_a_feature_given_in_other_units_changes_no_prediction():
    # standardized, recent study time in seconds instead of minutes is the same input
    found = examples(25, 25)
    in_seconds = [(replace(f, recent_minutes=f.recent_minutes * 60), ok) for f, ok in found]
    minutes, seconds = train(found, at(200)), train(in_seconds, at(200))
    assert seconds.coefficients == pytest.approx(minutes.coefficients, rel=1e-4, abs=1e-6)
    assert [seconds.probability(f) for f, _ in in_seconds] == pytest.approx(
        [minutes.probability(f) for f, _ in found], abs=1e-6
    )


def standardized(model: RiskModel, features: Features) -> list[float]:
    values = features.vector(model.fills())
    return [
        (value - center) / scale
        for value, center, scale in zip(values, model.centers, model.scales, strict=True)
    ]


def test_the_fit_is_the_likelihood_maximum_under_a_unit_l2_penalty():
    # labels flipped on every seventh example so that no line separates the outcomes
    found = [(f, ok != (n % 7 == 0)) for n, (f, ok) in enumerate(examples(25, 25))]
    model = train(found, at(200))
    assert model.calibrations == ()
    residuals = [model.probability(f) - ok for f, ok in found]
    rows = [standardized(model, f) for f, _ in found]
    # the predictions average to the success rate (the intercept is not penalized) ...
    assert sum(residuals) == pytest.approx(0.0, abs=1e-2)
    # ... and minimize 0.5 * |w|^2 + C * log-loss with C = 1: w = -X'(p - y)
    gradient = [
        -sum(r * row[j] for r, row in zip(residuals, rows, strict=True)) for j in range(len(NAMES))
    ]
    assert list(model.coefficients) == pytest.approx(gradient, abs=2e-2)
    assert max(abs(c) for c in model.coefficients) > 0.2  # a penalty of 2 or 0.5 would show


def test_the_typical_value_of_a_score_is_the_mean_of_the_known_ones():
    found = [
        (replace(f, mean_score=None) if n % 4 == 0 else f, ok)
        for n, (f, ok) in enumerate(examples(25, 25))
    ]
    model = train(found, at(200))
    known = [f.mean_score for f, _ in found if f.mean_score is not None]
    assert model.center_of("mean_score") == pytest.approx(sum(known) / len(known))
    # a missing score takes that value: it pulls neither way
    assert model.contributions(found[0][0])["mean_score"] == 0.0


def test_an_example_without_an_enrollment_is_from_no_course():
    # abandoned work of a student whose enrollment was never reported
    with analytics_session() as session:
        apply(session, [activity([record("R1", "lesson_start", at(1), duration=600)])])
        students = facts_of(session, None, None)
    found, courses = training_set(students.values(), at(80))
    assert [ok for _, ok in found] == [False] * len(found) and len(found) > 0
    assert courses == [""] * len(found)


def test_a_checkpoint_day_with_30_of_each_outcome_gets_its_own_calibration():
    def calibrations(completers: int, leavers: int) -> dict[float, tuple[float, float]]:
        found = examples(completers, leavers)
        courses = [("CRS-A", "CRS-B", "CRS-C")[n % 3] for n in range(len(found))]
        model = train(found, at(200), courses)
        return {c.day: (c.slope, c.shift) for c in model.calibrations}

    # 35 successes and 35 failures on days 7 and 14, only failures from day 30 on
    found = calibrations(35, 35)
    overall = found[30.0]
    assert {found[day] for day in CHECKPOINT_DAYS if day >= 30} == {overall}
    assert found[7.0] != overall and found[14.0] != overall and found[7.0] != found[14.0]
    # 25 of each on days 7 and 14: too few, every day takes the calibration of all days
    assert len(set(calibrations(25, 25).values())) == 1


def test_a_feature_that_never_varies_keeps_a_unit_scale_and_learns_nothing():
    found = examples(25, 25)
    assert {f.paused for f, _ in found} == {0.0}
    model = train(found, at(200))
    assert model.scales[NAMES.index("paused")] == 1.0
    assert model.coefficients[NAMES.index("paused")] == 0.0
    assert model.contributions(replace(found[0][0], paused=1.0))["paused"] == 0.0
