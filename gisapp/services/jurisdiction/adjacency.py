"""Keeping the grid adjacency graph (sql/013) current: full builds in process, small refreshes in SQL.

A full build (after a bulk load, when most grids changed, or with a new tolerance) is computed by
gisapp.spatial.adjacency.build_adjacency, the same rule as the SQL builder (same contacts, kinds and
lengths to 1e-6 m, tested against it), faster than the SQL's full build on 100,000 grids (measured
in the same run: docs/benchmarks-layers.md), and written with COPY. A few changed grids are left to
refresh_grid_adjacency(), whose triggers noted them: it measures them against their surroundings
through the GiST index in milliseconds.
"""

from __future__ import annotations

import io

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.spatial.adjacency import build_adjacency

# the rule of refresh_grid_adjacency() for a full build
FULL_BUILD_DUE = text("""
SELECT s.srid IS NULL OR (SELECT count(DISTINCT grid_code) FROM grid_adjacency_changes) * 2
                          > (SELECT count(*) FROM grids) AS due
FROM grid_adjacency_state s""")


def rebuild_adjacency(session: Session, tolerance_m: float | None = None) -> int:
    """Rebuild the whole graph in process (the stored tolerance unless one is given); rows written."""
    state = session.execute(text("SELECT tolerance_m FROM grid_adjacency_state FOR UPDATE")).one()  # the lock
    tolerance = state.tolerance_m if tolerance_m is None else float(tolerance_m)
    last_note = session.execute(text("SELECT max(id) FROM grid_adjacency_changes")).scalar()
    rows = session.execute(text("SELECT code, ST_AsBinary(geom) AS wkb FROM grids")).all()
    graph = build_adjacency(
        [r.code for r in rows], shapely.from_wkb([bytes(r.wkb) for r in rows]), tolerance_m=tolerance
    )
    session.execute(text("DELETE FROM grid_adjacency"))  # not TRUNCATE: readers keep the old graph until commit
    _copy_both_ways(session, graph)
    if last_note is not None:  # exactly the notes read before the grids: later ones wait for the next refresh
        session.execute(text("DELETE FROM grid_adjacency_changes WHERE id <= :n"), {"n": last_note})
    session.execute(
        text("UPDATE grid_adjacency_state SET tolerance_m = :t, srid = :s, refreshed_at = now(), built_at = now()"),
        {"t": tolerance, "s": graph.srid},
    )
    return 2 * len(graph)


def _copy_both_ways(session: Session, graph) -> None:
    """COPY every contact into grid_adjacency, in both directions."""
    kinds = ["edge" if e else "corner" for e in graph.edge.tolist()]
    buf = io.StringIO()
    for a, b, kind, m in zip(graph.grid.tolist(), graph.neighbour.tolist(), kinds, graph.shared_m.tolist()):
        buf.write(f"{a}\t{b}\t{kind}\t{m!r}\n{b}\t{a}\t{kind}\t{m!r}\n")
    buf.seek(0)
    with session.connection().connection.cursor() as cur:
        cur.copy_expert("COPY grid_adjacency (grid_code, neighbour_code, contact, shared_m) FROM STDIN", buf)


def refresh_adjacency(session: Session) -> int:
    """Bring the graph up to date: in process when a full build is due, else the SQL's incremental refresh."""
    if session.execute(FULL_BUILD_DUE).scalar_one():
        return rebuild_adjacency(session)
    return session.execute(text("SELECT refresh_grid_adjacency()")).scalar_one()
