"""Support from adjacent grids (standard 6.2.3.2): which members to propose when a team on site asks for help.

Candidates are members of the teams of the grids around the event's grid: ring 1 is every grid in
contact with it (edge or corner, from the grid_adjacency graph of sql/013), ring 2 the grids in
contact with ring 1 that are neither ring 1 nor the event's own grid. A candidate is on duty
(on_duty or on_patrol; not busy, not off duty), has a position fresher than max_age_s, and is not
held by an open support task (of this event or any other: a member already sent somewhere is busy
whatever their status says). One SQL query finds them with their straight-line distance; the
order is decided by `rank_candidates`, the one place where road travel time can come in later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.db import Prepared
from gisapp.errors import NotFound
from gisapp.services.access.accounts import Account
from gisapp.services.events.lifecycle import caller_for
from gisapp.services.jurisdiction.adjacency import refresh_adjacency

DEFAULT_MAX_AGE_S = 900
DEFAULT_LIMIT = 20


# stale: grids were noted as changed since the graph was built, or it was never built over the grids
GRAPH_STALE = """(EXISTS (SELECT 1 FROM grid_adjacency_changes)
       OR ((SELECT srid FROM grid_adjacency_state) IS NULL AND EXISTS (SELECT 1 FROM grids)))"""

# One round trip: whether the event exists and the graph is current, and every candidate (a row with
# NULL member when there is none). $1 event id, $2 now, $3 max_age_s.
CANDIDATES_SQL = f"""
WITH event AS (
    SELECT id, grid_code, geom FROM events WHERE id = $1
), ring1 AS (
    SELECT a.neighbour_code AS grid_code FROM event e JOIN grid_adjacency a ON a.grid_code = e.grid_code
), ring2 AS (
    SELECT DISTINCT a.neighbour_code AS grid_code
    FROM ring1 r JOIN grid_adjacency a ON a.grid_code = r.grid_code
    WHERE a.neighbour_code <> (SELECT grid_code FROM event)
      AND a.neighbour_code NOT IN (SELECT grid_code FROM ring1)
), rings AS (
    SELECT grid_code, 1 AS ring FROM ring1 UNION ALL SELECT grid_code, 2 FROM ring2
), candidates AS (
    SELECT m.code, m.name, m.role, m.team_code, m.duty_status, g.code AS grid_code, g.name AS grid_name, r.ring,
           -- on the sphere: half the cost of the ellipsoid for a difference under 0.5 %
           ST_Distance(m.position::geography, e.geom::geography, false) AS distance_m,
           GREATEST(0, extract(epoch FROM $2 - m.position_at))::integer AS position_age_s
    FROM rings r
    JOIN grids g ON g.code = r.grid_code
    JOIN teams t ON t.grid_code = r.grid_code
    JOIN members m ON m.team_code = t.code
    CROSS JOIN event e
    WHERE m.duty_status IN ('on_duty', 'on_patrol')
      AND m.position_at > $2 - make_interval(secs => $3)
      AND NOT EXISTS (SELECT 1 FROM event_tasks s
                      WHERE s.member_code = m.code AND s.kind = 'support'
                        AND s.status IN ('dispatched', 'acknowledged', 'on_scene'))
)
SELECT EXISTS (SELECT 1 FROM event) AS event_found, {GRAPH_STALE} AS graph_stale, c.*
FROM (VALUES (1)) AS one (x) LEFT JOIN candidates c ON true
"""
CANDIDATES = Prepared("gisapp_support_candidates", CANDIDATES_SQL, ("bigint", "timestamptz", "double precision"))


@dataclass(frozen=True)
class Candidate:
    """A member who could be sent, where they are on duty, and how far they are from the event."""

    member_code: str
    name: str
    role: str
    team_code: str
    duty_status: str
    grid_code: str
    grid_name: str
    ring: int  # 1: a grid in contact with the event's grid; 2: in contact with ring 1
    distance_m: float  # straight line (great circle) from the member's last position to the event
    position_age_s: int  # how old that position is

    def to_dict(self) -> dict:
        return {
            "member": {
                "code": self.member_code,
                "name": self.name,
                "role": self.role,
                "team_code": self.team_code,
                "duty_status": self.duty_status,
            },
            "grid": {"code": self.grid_code, "name": self.grid_name},
            "ring": self.ring,
            "distance_m": round(self.distance_m, 1),
            "position_age_s": self.position_age_s,
        }


def rank_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The order of the proposal: the nearer ring first, then the shorter distance (then the code, for ties).

    Road travel time would replace distance_m here (one routing-matrix call for all candidates).

    >>> near2 = Candidate("M2", "乙", "police", "T2", "on_duty", "G2", "二", 2, 80.0, 10)
    >>> far1 = Candidate("M1", "甲", "police", "T1", "on_duty", "G1", "一", 1, 900.0, 10)
    >>> [c.member_code for c in rank_candidates([near2, far1])]
    ['M1', 'M2']
    """
    return sorted(candidates, key=lambda c: (c.ring, c.distance_m, c.member_code))


def ensure_adjacency(session: Session) -> bool:
    """Refresh the grid adjacency graph if grids changed since it was built; True when it did.

    The rule: the triggers of sql/013 note every grid inserted, deleted or reshaped in
    grid_adjacency_changes; any note (or grids with a graph never built over them) means stale, and
    refresh_grid_adjacency() recomputes the contacts of the noted grids (everything when most changed).
    """
    if not session.execute(text(f"SELECT {GRAPH_STALE}")).scalar_one():
        return False
    # a few changed grids take milliseconds, but the full build after a bulk load of a province-sized
    # layer (~100,000 grids) outlasts the app's 30 s statement timeout: lift it for this statement only
    previous = session.execute(text("SHOW statement_timeout")).scalar_one()
    session.execute(text("SET LOCAL statement_timeout = 0"))
    refresh_adjacency(session)  # a full build in process (gisapp.services.jurisdiction.adjacency), else the SQL refresh
    session.execute(text("SELECT set_config('statement_timeout', :v, true)"), {"v": previous})
    return True


def support_candidates(
    session: Session,
    event_id: int,
    *,
    max_age_s: int = DEFAULT_MAX_AGE_S,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> list[dict]:
    """The members to propose for support at an event, best first (NotFound if there is no such event).

    The adjacency graph is refreshed first when grids changed (see ensure_adjacency); the query says so
    itself, so the usual call is one round trip."""
    if max_age_s < 1 or limit < 1:
        raise ValueError("max_age_s and limit must be positive")
    params = (event_id, now or datetime.now(timezone.utc), float(max_age_s))
    rows = CANDIDATES.fetch_all(session, params)
    if rows[0].graph_stale and ensure_adjacency(session):
        rows = CANDIDATES.fetch_all(session, params)
    if not rows[0].event_found:
        raise NotFound(f"event {event_id} does not exist", code="event_not_found")
    found = [
        Candidate(
            r.code,
            r.name,
            r.role,
            r.team_code,
            r.duty_status,
            r.grid_code,
            r.grid_name,
            r.ring,
            r.distance_m,
            r.position_age_s,
        )
        for r in rows
        if r.code is not None
    ]
    return [c.to_dict() for c in rank_candidates(found)[:limit]]


def may_see_candidates(session: Session, account: Account, event: dict) -> bool:
    """Whether the account asks or decides about support at this event: its center (as the life cycle
    defines it) or the receiver of one of its open handling tasks (the grid's team, a department)."""
    ref = SimpleNamespace(
        county_code=event["county"]["code"], township_code=event["township"]["code"], level=event["level"]
    )
    caller = caller_for(session, account, ref)
    if caller.is_center:
        return True
    receivers = session.execute(
        text(
            "SELECT CASE WHEN team_code IS NOT NULL THEN 'team:' || team_code "
            "ELSE 'department:' || department_code END "
            "FROM event_tasks WHERE event_id = :id AND kind = 'handle' "
            "AND status IN ('dispatched', 'acknowledged', 'on_scene')"
        ),
        {"id": event["id"]},
    ).scalars()
    return not caller.receivers.isdisjoint(receivers)
