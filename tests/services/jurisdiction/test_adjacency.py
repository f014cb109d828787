"""The in-process full build of the adjacency graph writes what the SQL builder (sql/013) writes, and the
SQL's incremental refresh carries on from it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gisapp.services.jurisdiction.adjacency import rebuild_adjacency, refresh_adjacency

GRAPH = text("SELECT grid_code, neighbour_code, contact, shared_m FROM grid_adjacency")
STATE = text("SELECT tolerance_m, srid, built_at IS NOT NULL AS built FROM grid_adjacency_state")


def graph(session) -> dict:
    return {(r.grid_code, r.neighbour_code): (r.contact, r.shared_m) for r in session.execute(GRAPH)}


def same(a: dict, b: dict) -> bool:
    """Same contacts and kinds, lengths within a micrometre."""
    return a.keys() == b.keys() and all(a[k][0] == b[k][0] and abs(a[k][1] - b[k][1]) < 1e-6 for k in a)


@pytest.mark.parametrize("tolerance_m", [1.0, 3.0])
def test_rebuild_in_process_writes_what_the_sql_builder_writes(session, tolerance_m):
    session.execute(text("SELECT refresh_grid_adjacency(:t)"), {"t": tolerance_m})
    by_sql, sql_state = graph(session), session.execute(STATE).one()
    session.execute(text("DELETE FROM grid_adjacency"))
    assert rebuild_adjacency(session, tolerance_m) == len(by_sql)
    assert same(graph(session), by_sql)
    assert session.execute(STATE).one() == sql_state


def test_a_full_build_is_due_after_most_grids_changed_and_is_done_in_process(session):
    session.execute(text("UPDATE grids SET geom = geom"))  # not a change of shape: nothing noted
    assert session.execute(text("SELECT count(*) FROM grid_adjacency_changes")).scalar_one() == 0
    session.execute(text("UPDATE grid_adjacency_state SET srid = NULL"))  # as after a bulk load
    session.execute(text("DELETE FROM grid_adjacency"))
    session.execute(text("INSERT INTO grid_adjacency_changes (grid_code) VALUES ('x')"))
    rows = refresh_adjacency(session)
    assert rows > 1000
    assert session.execute(text("SELECT count(*) FROM grid_adjacency_changes")).scalar_one() == 0
    assert session.execute(text("SELECT srid FROM grid_adjacency_state")).scalar_one() is not None


def test_the_sql_refresh_carries_on_after_an_in_process_build(session):
    rebuild_adjacency(session)
    code = session.execute(text("SELECT grid_code FROM grid_adjacency ORDER BY grid_code LIMIT 1")).scalar_one()
    session.execute(
        text("UPDATE grids SET geom = ST_Multi(ST_Translate(geom, 0.00002, 0)) WHERE code = :c"), {"c": code}
    )
    refresh_adjacency(session)  # one grid noted: the SQL's incremental refresh
    incremental = graph(session)
    rebuild_adjacency(session)
    assert same(incremental, graph(session))
