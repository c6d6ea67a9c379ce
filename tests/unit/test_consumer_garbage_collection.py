"""The consumer process collects garbage less often than Python's default."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.config import load_settings
from shared.events.consumer import collect_garbage_less_often

pytestmark = pytest.mark.unit


@pytest.fixture
def restored_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_the_threshold_is_a_consumer_setting(tmp_path):
    defaults = load_settings({"STRIDE_VAR_DIR": str(tmp_path)})
    chosen = load_settings({"STRIDE_VAR_DIR": str(tmp_path), "STRIDE_CONSUMER_GC_THRESHOLD": "0"})

    assert defaults.consumer_gc_threshold == 50_000
    assert chosen.consumer_gc_threshold == 0


def test_the_youngest_generation_is_collected_after_the_threshold(restored_thresholds):
    _young, middle, oldest = gc.get_threshold()

    collect_garbage_less_often(25_000)

    assert gc.get_threshold() == (25_000, middle, oldest)
    assert gc.get_freeze_count() > 0


def test_zero_leaves_python_s_defaults(restored_thresholds):
    before = gc.get_threshold()

    collect_garbage_less_often(0)

    assert gc.get_threshold() == before
