"""Fixed-window rate limits in PostgreSQL: shared by every worker, per bucket, with Retry-After."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from gisapp.errors import RateLimited
from gisapp.services.access.ratelimit import Limit, hit

T0 = datetime(2026, 11, 28, 8, 0, 10, tzinfo=timezone.utc)


@pytest.fixture()
def engine(clone_db):
    """A session on a database of its own (hit commits)."""
    from sqlalchemy.orm import Session

    from gisapp.db import make_engine

    eng = make_engine(clone_db(), pool_size=2)
    with Session(eng) as session:
        yield session
    eng.dispose()


def test_the_limit_counts_per_bucket_and_window(engine):
    for _ in range(3):
        hit(engine, [Limit("login:addr:10.0.0.1", 3)], now=T0)
    with pytest.raises(RateLimited) as err:
        hit(engine, [Limit("login:addr:10.0.0.1", 3)], now=T0)
    assert err.value.status == 429 and err.value.headers() == {"Retry-After": "50"}
    hit(engine, [Limit("login:addr:10.0.0.2", 3)], now=T0)  # another client is not affected
    hit(engine, [Limit("login:addr:10.0.0.1", 3)], now=T0.replace(minute=1))  # the next window starts afresh


def test_any_bucket_over_its_limit_refuses_and_every_bucket_counts(engine):
    hit(engine, [Limit("intake:addr:a", 100), Limit("intake:who:x", 1)], now=T0)
    with pytest.raises(RateLimited):
        hit(engine, [Limit("intake:addr:a", 100), Limit("intake:who:x", 1)], now=T0)
    hits = dict(engine.execute(text("SELECT bucket, hits FROM rate_windows")).all())
    assert hits == {"intake:addr:a": 2, "intake:who:x": 2}


def test_the_window_is_configurable(engine):
    hit(engine, [Limit("w", 1)], now=T0, window=3600)
    with pytest.raises(RateLimited) as err:
        hit(engine, [Limit("w", 1)], now=T0.replace(minute=59), window=3600)
    assert err.value.retry_after == 50


def test_a_limit_of_zero_is_off(engine):
    for _ in range(5):
        hit(engine, [Limit("login:who:x", 0)], now=T0)
