"""Versioned, topology-checked editing of a community's grids (issue 5): reshape a grid or move the
boundary two grids share, split, merge, create and retire grids, preview the impact, ask for a
proposed fix, apply atomically, keep every version, restore one.

An edit names the grids it changes and the community layout version it was based on (If-Match).
The whole proposed layout is checked (gisapp.spatial.topology) before anything is written; a failed
check is 422 `topology_failed` with every problem and its geometry, a stale version 412. Applying
writes the grids, one new version of each (a retired grid's last one marked retired), the community's
new layout version and an audit record, and refreshes the grid directory and the adjacency graph
used for support dispatch in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.db import from_db, geometry_sql, to_db
from gisapp.domain.areas import community_code, is_grid_of
from gisapp.domain.grid_edit import GridItem
from gisapp.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from gisapp.services.access.audit import Actor, record
from gisapp.services.jurisdiction.reassign import reassign_events
from gisapp.spatial import grid_ops
from gisapp.spatial.topology import area_m2, check_layout

# grids that have no recorded version yet (loaded by the loader or by hand) get their present state as one
FIRST_VERSIONS = text("""
INSERT INTO grid_versions (grid_code, version, name, geom, author, at, reason, effective_date)
SELECT g.code, g.version, g.name, g.geom, 'loader', now(), 'as loaded', current_date FROM grids g
WHERE (CAST(:community AS text) IS NULL OR g.community_code = :community)
  AND NOT EXISTS (SELECT 1 FROM grid_versions v WHERE v.grid_code = g.code)
""")
DEFAULT_MIN_AREA_M2 = 500.0  # a sliver is smaller (Settings.grid_min_area_m2, GISAPP_GRID_MIN_AREA_M2)
GRIDS_SQL = geometry_sql(
    "SELECT code, name, version, geom FROM grids WHERE community_code = :c ORDER BY code FOR UPDATE", columns=("geom",)
)


def etag(community: str, version: int) -> str:
    return f'"{community}-{version}"'


def _community(session: Session, community: str, *, lock: bool = False):
    row = session.execute(
        geometry_sql(
            "SELECT code, layout_version, geom FROM communities WHERE code = :c" + (" FOR UPDATE" if lock else ""),
            columns=("geom",),
        ),
        {"c": community},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no community {community}", code="unknown_community")
    return row


def layout(session: Session, community: str) -> tuple[dict, str]:
    """The community's grids as a FeatureCollection, and the ETag of this layout."""
    row = _community(session, community)
    features = [
        {
            "type": "Feature",
            "id": r.code,
            "geometry": json.loads(r.gj),
            "properties": {"code": r.code, "name": r.name, "version": r.version},
        }
        for r in session.execute(
            text(
                "SELECT code, name, version, ST_AsGeoJSON(geom, 7) AS gj FROM grids "
                "WHERE community_code = :c ORDER BY code"
            ),
            {"c": community},
        )
    ]
    return {"type": "FeatureCollection", "features": features}, etag(community, row.layout_version)


@dataclass
class Proposal:
    """What an edit asks for: new shapes of existing grids, new grids, grids to retire."""

    changes: dict[str, BaseGeometry] = field(default_factory=dict)
    creates: dict[str, tuple[str, BaseGeometry]] = field(default_factory=dict)  # code -> (name, shape)
    retires: list[str] = field(default_factory=list)
    revives: list[str] = field(default_factory=list)  # retired codes created again

    def layout(self, current: dict[str, BaseGeometry]) -> dict[str, BaseGeometry]:
        """The community's grids as they would be."""
        out = {code: self.changes.get(code, geom) for code, geom in current.items() if code not in self.retires}
        out.update({code: geom for code, (_, geom) in self.creates.items()})
        return out


def _new_code(session: Session, community: str, code: str, name, revive: bool = False) -> None:
    """A created grid has a fresh code of the community (never one issued before) and a name; only a
    restore brings a retired code back, for the same grid."""
    if not is_grid_of(code, community):
        raise ValidationFailed(
            f"{code!r}: a grid code is the community code {community} and 3 more digits",
            code="bad_grid_code",
            field="creates",
        )
    issued = session.execute(text("SELECT retired_at FROM grid_codes WHERE code = :c"), {"c": code}).one_or_none()
    if issued is not None and not (revive and issued.retired_at):
        raise Conflict(
            f"grid code {code} was issued before"
            + (" and retired: codes are never reused" if issued.retired_at else ": it is in use"),
            code="grid_code_retired" if issued.retired_at else "grid_code_taken",
        )
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(f"a new grid ({code}) needs a name", code="missing_name", field="creates")


def _proposal(
    session: Session,
    community: str,
    current: dict,
    changes_in: Sequence[GridItem],
    creates_in: Sequence[GridItem],
    retires_in: Sequence[str],
    revive: bool = False,
) -> Proposal:
    """Check the names in an edit (the shapes are checked as a whole layout afterwards)."""
    proposal = Proposal(revives=[i.code for i in creates_in] if revive else [])
    for item in changes_in:
        if item.code not in current:
            raise ValidationFailed(
                f"{item.code!r} is not a grid of community {community}", code="unknown_grid", field="changes"
            )
        proposal.changes[item.code] = item.geometry
    for item in creates_in:
        if item.code in proposal.creates:
            raise ValidationFailed(f"{item.code} is created twice", code="invalid_body", field="creates")
        _new_code(session, community, item.code, item.name, revive)
        proposal.creates[item.code] = (item.name.strip(), item.geometry)
    for code in retires_in:
        if code not in current or code in proposal.changes:
            raise ValidationFailed(
                f"{code!r} is not a grid of community {community} left unchanged by this edit",
                code="unknown_grid",
                field="retires",
            )
        proposal.retires.append(code)
    if not (proposal.changes or proposal.creates or proposal.retires):
        raise ValidationFailed("the edit changes nothing: give changes, creates or retires", code="invalid_body")
    return proposal


def _impact(session: Session, proposal: Proposal) -> dict:
    """Open events the proposed layout would place in another grid (shared-edge rule), teams whose area
    changes or who lose their grid, new grids with no team yet, accounts bound to a grid that retires."""
    proposed = {
        **proposal.changes,
        **{c: g for c, (_, g) in proposal.creates.items()},
        **{c: shapely.Polygon() for c in proposal.retires},
    }
    moves = reassign_events(session, grid_codes=list(proposed), proposed=proposed)  # a dry run
    touched = [*proposal.changes, *proposal.retires]
    teams = dict(
        session.execute(text("SELECT grid_code, code FROM teams WHERE grid_code = ANY(:g)"), {"g": touched}).all()
    )
    accounts = (
        session.execute(
            text("SELECT username FROM users WHERE grid_code = ANY(:g) ORDER BY username"), {"g": proposal.retires}
        )
        .scalars()
        .all()
    )
    return {
        "events_leaving_their_grid": [{"event": m.event, "grid": m.grid, "now_in": m.to} for m in moves],
        "teams_whose_area_changes": sorted(teams[c] for c in proposal.changes if c in teams),
        "teams_losing_their_grid": sorted(teams[c] for c in proposal.retires if c in teams),
        "grids_without_a_team": sorted(proposal.creates),
        "accounts_bound_to_retired_grids": list(accounts),
        "note": "nothing is re-routed: open events keep their grid and team until a dispatcher moves them "
        "(gisapp events reassign)",
    }


def problem_details(problems) -> list[dict]:
    """Topology problems as the API shows them, each with its geometry (GeoJSON), the second grid of an overlap
    and the area concerned (m²), so that a page can word the problem in its own language."""
    return [
        {
            "check": p.code,
            "grid": p.grid,
            "other": p.other,
            "message": p.message,
            "area_m2": round(area_m2(p.where), 1) if p.where is not None and p.where.area > 0 else None,
            "where": shapely.geometry.mapping(p.where) if p.where is not None else None,
        }
        for p in problems
    ]


def _problems(community: str, boundary, layout: dict, min_area_m2: float) -> None:
    problems = check_layout(community, boundary, layout, min_area_m2=min_area_m2)
    if problems:
        raise ValidationFailed(
            f"{len(problems)} topology problem(s); nothing was changed",
            code="topology_failed",
            details=problem_details(problems),
        )


VERSION_SQL = (
    "INSERT INTO grid_versions (grid_code, version, name, geom, author, at, reason, effective_date, "
    "retired) SELECT code, version, name, geom, :a, :at, :r, :eff, {retired} FROM g"
)


def _write(session: Session, actor: Actor, proposal: Proposal, reason: str, effective: date) -> None:
    """Retire, reshape and create the grids, each with its new version, in the caller's transaction."""
    who = {"a": actor.name, "at": datetime.now(timezone.utc), "r": reason, "eff": effective}
    for code in proposal.retires:
        session.execute(
            text(
                "WITH g AS (DELETE FROM grids WHERE code = :c RETURNING code, version + 1 AS version, "
                "name, geom) " + VERSION_SQL.format(retired="true")
            ),
            {"c": code, **who},
        )
        session.execute(
            text(
                "UPDATE grid_codes SET retired_at = :at, retired_by = :a, retire_reason = :r, "
                "successors = :s WHERE code = :c"
            ),
            {"c": code, "s": sorted({*proposal.changes, *proposal.creates}), **who},
        )
    for code, geom in proposal.changes.items():
        session.execute(
            geometry_sql(
                "WITH g AS (UPDATE grids SET geom = ST_Multi(:geom), "
                "version = version + 1 WHERE code = :c RETURNING code, name, version, geom) "
                + VERSION_SQL.format(retired="false"),
                params=("geom",),
            ),
            {"geom": to_db(geom), "c": code, **who},
        )
    for code, (name, geom) in proposal.creates.items():
        if code in proposal.revives:  # a retired grid restored: the same place under its own code again
            session.execute(
                text(
                    "UPDATE grid_codes SET retired_at = NULL, retired_by = NULL, retire_reason = NULL, "
                    "successors = NULL WHERE code = :c"
                ),
                {"c": code},
            )
        session.execute(
            geometry_sql(
                "WITH g AS (INSERT INTO grids (code, name, community_code, geom, version) VALUES (:c, :n, "
                "area_community(:c), ST_Multi(:geom), (SELECT COALESCE(max(version), 0) + 1 "
                "FROM grid_versions WHERE grid_code = :c)) RETURNING code, name, version, geom) "
                + VERSION_SQL.format(retired="false"),
                params=("geom",),
            ),
            {"c": code, "n": name, "geom": to_db(geom), **who},
        )


def _current(session: Session, community: str) -> dict[str, BaseGeometry]:
    session.execute(FIRST_VERSIONS, {"community": community})
    return {r.code: from_db(r.geom) for r in session.execute(GRIDS_SQL, {"c": community})}


def edit(
    session: Session,
    key: bytes,
    actor: Actor,
    community: str,
    changes_in: Sequence[GridItem],
    *,
    if_match: str | None,
    reason: str,
    effective: date | None = None,
    preview: bool = False,
    creates: Sequence[GridItem] = (),
    retires: Sequence[str] = (),
    revive: bool = False,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """Check (and unless preview, apply) a change of a community's grids: reshape, create, retire."""
    row = _community(session, community, lock=True)
    if if_match != etag(community, row.layout_version):
        raise PreconditionFailed(
            f"the layout changed since it was read (now {etag(community, row.layout_version)}): "
            "reload it and edit again",
            code="stale_version",
        )
    current = _current(session, community)
    proposal = _proposal(session, community, current, changes_in, creates, retires, revive)
    layout_after = proposal.layout(current)
    _problems(community, from_db(row.geom), layout_after, min_area_m2)
    impact = _impact(session, proposal)
    if preview:
        return {"valid": True, "impact": impact, "etag": etag(community, row.layout_version)}
    _write(session, actor, proposal, reason, effective or datetime.now(timezone.utc).date())
    session.execute(
        text("UPDATE communities SET layout_version = layout_version + 1 WHERE code = :c"), {"c": community}
    )
    session.execute(text("SELECT refresh_grid_directory()"))
    session.execute(text("SELECT refresh_grid_adjacency()"))  # support dispatch sees the new contacts at once
    record(
        session,
        key,
        actor,
        "grid.edit",
        target=f"community:{community}",
        details={
            "changed": sorted(proposal.changes),
            "created": sorted(proposal.creates),
            "retired": sorted(proposal.retires),
            "reason": reason,
            "impact": impact["events_leaving_their_grid"],
        },
    )
    return {
        "valid": True,
        "impact": impact,
        "etag": etag(community, row.layout_version + 1),
        "changed": sorted(proposal.changes),
        "created": sorted(proposal.creates),
        "retired": sorted(proposal.retires),
    }


def next_code(session: Session, community: str) -> str:
    """The next grid code never issued in a community."""
    last = session.execute(
        text("SELECT max(right(code, 3)::int) FROM grid_codes WHERE community_code = :c"), {"c": community}
    ).scalar_one()
    if (last or 0) >= 999:
        raise Conflict(f"community {community} has used all 999 grid codes", code="grid_codes_exhausted")
    return f"{community}{(last or 0) + 1:03d}"


def _grid(session: Session, code: str) -> tuple[str, BaseGeometry]:
    row = session.execute(
        geometry_sql("SELECT name, geom FROM grids WHERE code = :c", columns=("geom",)), {"c": code}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no grid {code}", code="unknown_grid")
    return row.name, from_db(row.geom)


def split(
    session: Session,
    key: bytes,
    actor: Actor,
    grid: str,
    line: BaseGeometry,
    *,
    if_match: str | None,
    reason: str,
    new_code: str | None = None,
    new_name: str | None = None,
    preview: bool = False,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """Cut a grid in two along a line: the larger part keeps the grid, the other becomes a new grid."""
    name, geom = _grid(session, grid)
    keep, rest = grid_ops.split(geom, line)
    code = new_code or next_code(session, community_code(grid))
    return edit(
        session,
        key,
        actor,
        community_code(grid),
        [GridItem(grid, keep)],
        if_match=if_match,
        reason=reason,
        preview=preview,
        min_area_m2=min_area_m2,
        creates=[GridItem(code, rest, new_name or f"{name}（分）")],
    )


def merge(
    session: Session,
    key: bytes,
    actor: Actor,
    keep: str,
    absorb: str,
    *,
    if_match: str | None,
    reason: str,
    preview: bool = False,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """One grid takes in a neighbour of its community that shares an edge with it; the neighbour retires."""
    if not isinstance(absorb, str) or community_code(absorb) != community_code(keep) or absorb == keep:
        raise ValidationFailed(
            "merge a grid with another grid of the same community", code="different_communities", field="with"
        )
    (_, a), (_, b) = _grid(session, keep), _grid(session, absorb)
    return edit(
        session,
        key,
        actor,
        community_code(keep),
        [GridItem(keep, grid_ops.merge(a, b))],
        if_match=if_match,
        reason=reason,
        preview=preview,
        retires=[absorb],
        min_area_m2=min_area_m2,
    )


def propose_fix(
    session: Session,
    community: str,
    changes_in: Sequence[GridItem],
    *,
    creates: Sequence[GridItem] = (),
    retires: Sequence[str] = (),
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """A proposed repair of an edit's layout, not applied: the planner sends it back as an edit if it suits."""
    row = _community(session, community)
    current = {
        r.code: from_db(r.geom)
        for r in session.execute(
            geometry_sql("SELECT code, geom FROM grids WHERE community_code = :c ORDER BY code", columns=("geom",)),
            {"c": community},
        )
    }
    proposal = _proposal(session, community, current, changes_in, creates, retires)
    boundary, layout_in = from_db(row.geom), proposal.layout(current)
    fixed, fixes, remaining = grid_ops.propose_fix(community, boundary, layout_in, min_area_m2=min_area_m2)
    names = {code: name for code, (name, _) in proposal.creates.items()}
    return {
        "problems": problem_details(check_layout(community, boundary, layout_in, min_area_m2=min_area_m2)),
        "fixes": [
            {
                "check": f.check,
                "grid": f.grid,
                "other": f.other,
                "message": f.message,
                "area_m2": round(f.area_m2, 1) if f.area_m2 is not None else None,
            }
            for f in fixes
        ],
        "remaining": problem_details(remaining),
        "proposal": {
            "changes": [
                {"code": c, "geometry": mapping(g)}
                for c, g in sorted(fixed.items())
                if c in current and not g.equals(current[c])
            ],
            "creates": [
                {"code": c, "name": names[c], "geometry": mapping(fixed[c])} for c in sorted(names) if c in fixed
            ],
            "retires": sorted(c for c in current if c not in fixed),
        },
        "etag": etag(community, row.layout_version),
    }


def history(session: Session, grid: str) -> list[dict]:
    """Every version of a grid, newest first (a retired grid's last version says so)."""
    rows = session.execute(
        text(
            "SELECT version, name, author, at, reason, effective_date, retired, "
            "ST_AsGeoJSON(geom, 7) AS gj FROM grid_versions WHERE grid_code = :g "
            "ORDER BY version DESC"
        ),
        {"g": grid},
    ).all()
    if not rows:
        raise NotFound(f"no grid {grid}", code="unknown_grid")
    return [
        {
            "version": r.version,
            "name": r.name,
            "author": r.author,
            "at": r.at.isoformat().replace("+00:00", "Z"),
            "reason": r.reason,
            "effective_date": r.effective_date.isoformat(),
            "retired": r.retired,
            "geometry": json.loads(r.gj),
        }
        for r in rows
    ]


def restore(
    session: Session,
    key: bytes,
    actor: Actor,
    grid: str,
    version: int,
    *,
    if_match: str | None,
    reason: str,
    preview: bool = False,
    also: dict[str, int] | None = None,
    retires: list = (),
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """Bring back an earlier version of a grid, a retired one included, and of any other grids of its
    community in the same edit (undoing a merge restores both grids): an edit like any other, through the
    same checks, so a restore that would leave a gap or an overlap is refused. Undoing a split retires the
    grid the split created (retires)."""
    wanted = {grid: version, **(also or {})}
    changes, creates = [], []
    for code, number in wanted.items():
        if community_code(code) != community_code(grid):
            raise ValidationFailed(
                "grids restored together belong to one community", code="different_communities", field="also"
            )
        versions = history(session, code)
        old = next((h for h in versions if h["version"] == number and not h["retired"]), None)
        if old is None:
            raise NotFound(f"grid {code} has no version {number} to restore", code="unknown_version")
        if versions[0]["retired"]:
            creates.append(GridItem(code, shape(old["geometry"]), old["name"]))
        else:
            changes.append(GridItem(code, shape(old["geometry"])))
    return edit(
        session,
        key,
        actor,
        community_code(grid),
        changes,
        if_match=if_match,
        preview=preview,
        creates=creates,
        revive=True,
        retires=list(retires),
        min_area_m2=min_area_m2,
        reason=reason or "restore " + ", ".join(f"{c} v{n}" for c, n in sorted(wanted.items())),
    )
