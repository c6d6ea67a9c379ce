"""The months an engine knows to have a partition: kept per engine, never keeping it alive."""

from __future__ import annotations

import gc
import weakref
from datetime import date

import pytest
import sqlalchemy as sa

from services.activity.store import PartitionCache

pytestmark = pytest.mark.unit

DECEMBER, JANUARY = date(2026, 12, 1), date(2027, 1, 1)
URL = "postgresql+psycopg://stride@127.0.0.1:5432/stride_activity"


def test_the_months_are_kept_per_engine_and_forgotten_on_demand():
    cache = PartitionCache()
    one, other = sa.create_engine(URL), sa.create_engine(URL)
    cache.remember(one, [DECEMBER])
    assert cache.missing(one, [DECEMBER]) == []
    assert cache.missing(one, [JANUARY, DECEMBER]) == [JANUARY]
    # another engine of the same database has looked at no catalog yet
    assert cache.missing(other, [DECEMBER]) == [DECEMBER]
    cache.forget(one)
    assert cache.missing(one, [DECEMBER]) == [DECEMBER]


def test_the_cache_does_not_keep_an_engine_alive():
    cache = PartitionCache()
    engine = sa.create_engine(URL)
    cache.remember(engine, [DECEMBER])
    alive = weakref.ref(engine)
    del engine
    gc.collect()
    assert alive() is None
