"""Re-assigning open events to the grid that contains them after grids change (or would change).

A dry run is the default: the platform never re-routes silently. The grid editor's impact preview
asks which open events a proposed layout would move; a planner (or a command after a bulk reload)
may then apply the moves, which rewrites each moved event's grid, community, township and county,
appends a `reassign` entry to its log and one audit record, in the caller's transaction. The
event's assignee (team, department, center) is left as it is: dispatchers re-route.

The placement is gisapp.spatial.reassign.PointAssigner: one vectorised pass over every candidate
event, with the shared-edge rule (lowest code on a shared edge or vertex).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.lifecycle import TERMINAL
from gisapp.services.access.audit import Actor, record
from gisapp.spatial.reassign import PointAssigner

OPEN_EVENTS = """SELECT e.id, e.grid_code, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat FROM events e
WHERE e.status <> ALL (CAST(:terminal AS text[]))"""
# open events of the given grids, or lying in the given boxes (which a changed grid may now cover)
NEAR_EVENTS = text(
    """
WITH boxes AS (
    SELECT ST_MakeEnvelope(x0, y0, x1, y1, 4326) AS box
    FROM unnest(CAST(:x0 AS float8[]), CAST(:y0 AS float8[]), CAST(:x1 AS float8[]), CAST(:y1 AS float8[]))
         AS b(x0, y0, x1, y1)
), near AS (
    SELECT id FROM events WHERE grid_code = ANY (CAST(:codes AS text[]))
    UNION
    SELECT e.id FROM boxes b JOIN events e ON e.geom && b.box
)
"""
    + OPEN_EVENTS.replace("FROM events e", "FROM events e JOIN near USING (id)")
)
ALL_EVENTS = text(OPEN_EVENTS)
GRIDS_NEAR = text(
    "SELECT code, ST_AsBinary(geom) AS wkb FROM grids WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
)
APPLY_SQL = text("""
WITH moved AS (
    SELECT m.id, m.to_grid, d.community_code, d.township_code, d.county_code
    FROM unnest(CAST(:ids AS bigint[]), CAST(:to AS text[])) AS m(id, to_grid)
    JOIN grid_directory d ON d.grid_code = m.to_grid
), updated AS (
    UPDATE events e SET grid_code = m.to_grid, community_code = m.community_code,
        township_code = m.township_code, county_code = m.county_code
    FROM moved m, (SELECT id, grid_code AS from_grid FROM events WHERE id = ANY (CAST(:ids AS bigint[]))) old
    WHERE e.id = m.id AND old.id = m.id
    RETURNING e.id, e.status, old.from_grid, e.grid_code
)
INSERT INTO event_log (event_id, actor, action, from_status, to_status, note)
SELECT id, :actor, 'reassign', status, status, 'grid ' || from_grid || ' -> ' || grid_code FROM updated
""")


@dataclass(frozen=True)
class Move:
    event: int
    grid: str  # the event's grid now
    to: str | None  # the grid containing it (None: outside every grid; such events are not moved)

    def to_dict(self) -> dict:
        return asdict(self)


def _candidate_events(session: Session, grid_codes, boxes: list[tuple]):
    terminal = sorted(TERMINAL)
    if grid_codes is None:
        return session.execute(ALL_EVENTS, {"terminal": terminal}).all()
    x0, y0, x1, y1 = (list(v) for v in zip(*boxes)) if boxes else ([], [], [], [])
    return session.execute(
        NEAR_EVENTS, {"terminal": terminal, "codes": list(grid_codes), "x0": x0, "y0": y0, "x1": x1, "y1": y1}
    ).all()


def _grids_around(session: Session, lon: np.ndarray, lat: np.ndarray, proposed: Mapping) -> PointAssigner:
    """The grids over the events' extent (as stored), with the proposed geometries in place of theirs."""
    x0, y0, x1, y1 = float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
    rows = session.execute(GRIDS_NEAR, {"x0": x0, "y0": y0, "x1": x1, "y1": y1}).all()
    geoms = dict(zip((r.code for r in rows), shapely.from_wkb([bytes(r.wkb) for r in rows])))
    geoms.update(proposed)
    return PointAssigner(list(geoms), list(geoms.values()))


def reassign_events(
    session: Session,
    *,
    grid_codes: Sequence[str] | None = None,
    proposed: Mapping[str, shapely.Geometry] | None = None,
    apply: bool = False,
    key: bytes | None = None,
    actor: Actor | None = None,
) -> list[Move]:
    """Open events that are not in the grid containing them, once `proposed` geometries replace
    those of their grids; with apply=True (key and actor required) move them.

    grid_codes limits the check to the events of those grids and the events lying where those grids
    (stored or proposed) reach; None checks every open event. The moves are ordered by event id."""
    if apply and (key is None or actor is None):
        raise ValueError("applying moves needs the audit key and the actor")
    proposed = dict(proposed or {})
    codes = None if grid_codes is None else sorted(set(grid_codes) | set(proposed))
    boxes = _changed_boxes(session, codes, proposed) if codes is not None else []
    events = _candidate_events(session, codes, boxes)
    if not events:
        return []
    ids = np.array([e.id for e in events], dtype=np.int64)
    current = np.array([e.grid_code for e in events], dtype=object)
    lon = np.array([e.lon for e in events], dtype=np.float64)
    lat = np.array([e.lat for e in events], dtype=np.float64)
    found = _grids_around(session, lon, lat, proposed).assign(lon, lat)
    moving = np.flatnonzero(found != current)
    moves = sorted((Move(int(ids[i]), current[i], found[i]) for i in moving), key=lambda m: m.event)
    if apply:
        _apply(session, key, actor, moves)
    return moves


def _changed_boxes(session: Session, codes: list[str], proposed: Mapping) -> list[tuple]:
    """Bounding boxes (x0, y0, x1, y1) of the stored and proposed shapes of the changed grids."""
    rows = session.execute(
        text(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM grids "
            "WHERE code = ANY (CAST(:c AS text[]))"
        ),
        {"c": codes},
    ).all()
    return [tuple(float(v) for v in r) for r in rows] + [
        tuple(float(v) for v in shapely.bounds(g)) for g in proposed.values() if not g.is_empty
    ]


def _apply(session: Session, key: bytes, actor: Actor, moves: list[Move]) -> None:
    """Move the events that lie in a grid, log each move and audit the whole."""
    placed = [m for m in moves if m.to is not None]
    if not placed:
        return
    session.execute(APPLY_SQL, {"ids": [m.event for m in placed], "to": [m.to for m in placed], "actor": actor.name})
    record(
        session,
        key,
        actor,
        "events.reassign",
        target=f"events:{len(placed)}",
        details={"moves": [m.to_dict() for m in placed], "outside": [m.event for m in moves if m.to is None]},
    )
