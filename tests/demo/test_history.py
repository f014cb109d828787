"""The synthetic event history (gisapp.demo.history) on a 100-grid synthetic county: rows, roll-ups, truth.

The evaluation benchmark (bench/evaluation_bench.py) runs on this generator at province scale; here it runs
at 2,000 events, and the roll-ups' figures are checked against the benchmark's anchor (the plain GROUP BY
of bench/evaluation_naive.py) for a few scopes and periods.
"""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.evaluation_naive import naive_measures
from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.demo.history import TZ, write_history
from gisapp.demo.synth import COUNTY_CODE, synthesize
from gisapp.domain.evaluation import Period, ScopeKind
from gisapp.services.evaluation.figures import Area, measures
from gisapp.services.jurisdiction.areas import load_jurisdiction
from tests.support import empty_database

UNTIL = datetime(2026, 12, 1, tzinfo=TZ)
EVENTS = 2000


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from gisapp.config import PROJECT_ROOT
    from gisapp.migrate import upgrade

    src = tmp_path_factory.mktemp("synth100")
    synthesize(src, grids=100, seed=3)
    with empty_database("gisapp_test_history") as url:
        eng = make_engine(url, pool_size=1)
        upgrade(eng, PROJECT_ROOT / "sql")
        with transaction(make_session_factory(eng)) as session:
            load_jurisdiction(session, src)
        raw = eng.raw_connection()
        try:
            write_history(raw.driver_connection, events=EVENTS, years=2, seed=5, until=UNTIL, chunk=700)
            raw.driver_connection.commit()
        finally:
            raw.close()
        yield eng
        eng.dispose()


@pytest.fixture()
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


def count(session, sql: str) -> int:
    return session.execute(text(sql)).scalar_one()


def test_the_history_writes_every_event_over_two_years_with_its_tasks(session):
    assert count(session, "SELECT count(*) FROM events") == EVENTS
    first, last = session.execute(text("SELECT min(created_at), max(created_at) FROM events")).one()
    assert first >= UNTIL - timedelta(days=731) and last < UNTIL
    # every event that went past acceptance has a task; voided ones none
    assert (
        count(
            session,
            "SELECT count(*) FROM events e WHERE status IN ('dispatched', 'acknowledged', "
            "'on_scene', 'handled', 'closed') AND NOT EXISTS "
            "(SELECT 1 FROM event_tasks t WHERE t.event_id = e.id)",
        )
        == 0
    )
    assert (
        count(
            session, "SELECT count(*) FROM event_tasks t JOIN events e ON e.id = t.event_id WHERE e.status = 'voided'"
        )
        == 0
    )


def test_the_history_has_the_shape_of_real_work(session):
    channels = dict(session.execute(text("SELECT channel, count(*) FROM events GROUP BY 1")).all())
    assert set(channels) == {"patrol", "public", "hotline", "video", "referral"}
    statuses = dict(session.execute(text("SELECT status, count(*) FROM events GROUP BY 1")).all())
    assert statuses["closed"] > 0.8 * EVENTS and statuses["voided"] > 0
    assert count(session, "SELECT count(DISTINCT level) FROM events") == 2
    for flag in ("rework > 0", "rating IS NOT NULL", "repeat_of IS NOT NULL"):
        assert count(session, f"SELECT count(*) FROM events WHERE {flag}") > 0, flag
    for flag in (
        "status = 'returned'",
        "kind = 'support'",
        "handled_on_time = false",
        "extension_until IS NOT NULL",
        "handled_by IS NOT NULL",
    ):
        assert count(session, f"SELECT count(*) FROM event_tasks WHERE {flag}") > 0, flag
    assert count(session, "SELECT count(*) FROM supervisions") > 0
    # busy grids: the busiest grid has several times the events of the median one
    busiest, median = session.execute(
        text(
            "SELECT max(n), percentile_cont(0.5) WITHIN GROUP (ORDER BY n) FROM "
            "(SELECT count(*) AS n FROM events GROUP BY grid_code) x"
        )
    ).one()
    assert busiest > 3 * median


def test_the_same_seed_gives_the_same_history(engine, tmp_path):
    with Session(engine) as s:
        digest = s.execute(
            text(
                "SELECT md5(string_agg(concat_ws(',', id, grid_code, category_code, status, "
                "created_at, closed_at), ';' ORDER BY id)) FROM events"
            )
        ).scalar_one()
    assert digest == _digest_of_a_second_load(tmp_path)


def _digest_of_a_second_load(tmp_path) -> str:
    from gisapp.config import PROJECT_ROOT
    from gisapp.migrate import upgrade

    synthesize(tmp_path, grids=100, seed=3)
    with empty_database("gisapp_test_history2") as url:
        eng = make_engine(url, pool_size=1)
        try:
            upgrade(eng, PROJECT_ROOT / "sql")
            with transaction(make_session_factory(eng)) as session:
                load_jurisdiction(session, tmp_path)
            raw = eng.raw_connection()
            try:
                write_history(raw.driver_connection, events=EVENTS, years=2, seed=5, until=UNTIL, chunk=700)
                raw.driver_connection.commit()
            finally:
                raw.close()
            with Session(eng) as s:
                return s.execute(
                    text(
                        "SELECT md5(string_agg(concat_ws(',', id, grid_code, category_code, status, "
                        "created_at, closed_at), ';' ORDER BY id)) FROM events"
                    )
                ).scalar_one()
        finally:
            eng.dispose()


AREA = Area("county_code", COUNTY_CODE)
PERIODS = (
    # a whole month, a whole year, and a month of the partial year before `until`
    Period(date(2025, 3, 1), date(2025, 4, 1)),
    Period(date(2025, 1, 1), date(2026, 1, 1)),
    Period(date(2026, 11, 1), date(2026, 12, 1)),
    # not whole buckets: days of daily scopes, stretches read from the facts for the others
    Period(date(2025, 6, 10), date(2025, 8, 3)),
)


@pytest.mark.parametrize("scope", list(ScopeKind))
def test_rebuilt_rollups_give_what_the_plain_group_by_gives(session, scope):
    assert session.execute(text("SELECT eval_rebuild()")).scalar_one() == EVENTS
    codes = _busiest_units(session, scope)
    for period in PERIODS:
        got = measures(session, AREA, scope, codes, period, UNTIL)
        expected = naive_measures(session, AREA, scope, codes, period, UNTIL)
        for code in codes:
            assert got[code] == pytest.approx(expected[code]), (scope, period, code)


def _busiest_units(session, scope: ScopeKind) -> list[str]:
    """A few units of the scope that held events, and one that held none."""
    column = {
        ScopeKind.COUNTY: "county_code",
        ScopeKind.TOWNSHIP: "township_code",
        ScopeKind.COMMUNITY: "community_code",
        ScopeKind.GRID: "grid_code",
        ScopeKind.TEAM: "unit_code",
        ScopeKind.DEPARTMENT: "unit_code",
        ScopeKind.MEMBER: "member_code",
    }[scope]
    table = (
        "eval_event_facts"
        if scope in (ScopeKind.COUNTY, ScopeKind.TOWNSHIP, ScopeKind.COMMUNITY, ScopeKind.GRID)
        else "eval_task_facts"
    )
    kind = {ScopeKind.TEAM: "unit_kind = 'team'", ScopeKind.DEPARTMENT: "unit_kind = 'department'"}.get(scope, "true")
    codes = (
        session.execute(
            text(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND {kind} "
                f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 4"
            )
        )
        .scalars()
        .all()
    )
    return list(codes) + ["no-such-unit"]
