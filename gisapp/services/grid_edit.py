"""Versioned, topology-checked editing of a community's grids (issue 5): reshape a grid or move the
boundary two grids share, preview the impact, apply atomically, keep every version, restore one.

An edit names the grids it changes and the community layout version it was based on (If-Match).
The whole proposed layout is checked (gisapp.domain.topology) before anything is written; a failed
check is 422 `topology_failed` with every problem and its geometry, a stale version 412. Applying
writes the grids, one new version of each, the community's new layout version and an audit record,
and refreshes the grid directory; the adjacency graph notes the changed grids by itself (013).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.topology import check_layout
from gisapp.errors import NotFound, PreconditionFailed, ValidationFailed
from gisapp.services.audit import Actor, record
from gisapp.services.reassign import reassign_events

# grids that have no recorded version yet (loaded by the loader or by hand) get their present state as one
FIRST_VERSIONS = text("""
INSERT INTO grid_versions (grid_code, version, name, geom, author, at, reason, effective_date)
SELECT g.code, g.version, g.name, g.geom, 'loader', now(), 'as loaded', current_date FROM grids g
WHERE (CAST(:community AS text) IS NULL OR g.community_code = :community)
  AND NOT EXISTS (SELECT 1 FROM grid_versions v WHERE v.grid_code = g.code)
""")
GRIDS_SQL = text("SELECT code, name, version, ST_AsBinary(geom) AS wkb FROM grids WHERE community_code = :c "
                 "ORDER BY code FOR UPDATE")


def etag(community: str, version: int) -> str:
    return f'"{community}-{version}"'


def _community(session: Session, community: str, *, lock: bool = False):
    row = session.execute(text("SELECT code, layout_version, ST_AsBinary(geom) AS wkb FROM communities "
                               "WHERE code = :c" + (" FOR UPDATE" if lock else "")), {"c": community}).one_or_none()
    if row is None:
        raise NotFound(f"no community {community}", code="unknown_community")
    return row


def layout(session: Session, community: str) -> tuple[dict, str]:
    """The community's grids as a FeatureCollection, and the ETag of this layout."""
    row = _community(session, community)
    features = [{"type": "Feature", "id": r.code, "geometry": json.loads(r.gj),
                 "properties": {"code": r.code, "name": r.name, "version": r.version}}
                for r in session.execute(text("SELECT code, name, version, ST_AsGeoJSON(geom, 7) AS gj FROM grids "
                                              "WHERE community_code = :c ORDER BY code"), {"c": community})]
    return {"type": "FeatureCollection", "features": features}, etag(community, row.layout_version)


def _geometry(code: str, value) -> shapely.Geometry:
    try:
        geom = shapely.geometry.shape(value)
    except Exception:  # noqa: BLE001 - shapely raises several kinds for malformed GeoJSON
        raise ValidationFailed(f"the geometry of {code} is not GeoJSON", code="malformed_geometry",
                               field="changes") from None
    return geom


def _impact(session: Session, changes: dict[str, shapely.Geometry]) -> dict:
    """Open events the proposed layout would place in another grid (shared-edge rule), and the teams whose
    area changes."""
    moves = reassign_events(session, grid_codes=list(changes), proposed=changes)  # a dry run
    teams = [t for (t,) in session.execute(text("SELECT code FROM teams WHERE grid_code = ANY(:g) ORDER BY code"),
                                           {"g": list(changes)})]
    return {"events_leaving_their_grid": [{"event": m.event, "grid": m.grid} for m in moves],
            "moves": [m.to_dict() for m in moves], "teams_whose_area_changes": teams,
            "note": "nothing is re-routed: open events keep their grid until a dispatcher moves them"}


def _problems(community: str, boundary, current: dict, changes: dict) -> None:
    proposed = {code: changes.get(code, geom) for code, geom in current.items()}
    problems = check_layout(community, boundary, proposed)
    if problems:
        raise ValidationFailed(f"{len(problems)} topology problem(s); nothing was changed", code="topology_failed",
                               details=[{"check": p.code, "grid": p.grid, "message": p.message,
                                         "where": shapely.geometry.mapping(p.where) if p.where is not None else None}
                                        for p in problems])


def edit(session: Session, key: bytes, actor: Actor, community: str, changes_in: list, *, if_match: str | None,
         reason: str, effective: date | None = None, preview: bool = False) -> dict:
    """Check (and unless preview, apply) a change of some of a community's grids."""
    row = _community(session, community, lock=True)
    if if_match != etag(community, row.layout_version):
        raise PreconditionFailed(f"the layout changed since it was read (now {etag(community, row.layout_version)}): "
                                 "reload it and edit again", code="stale_version")
    current = {r.code: (r, shapely.from_wkb(bytes(r.wkb))) for r in session.execute(GRIDS_SQL, {"c": community})}
    session.execute(FIRST_VERSIONS, {"community": community})
    changes = {}
    for item in changes_in:
        code = item.get("code") if isinstance(item, dict) else None
        if code not in current:
            raise ValidationFailed(f"{code!r} is not a grid of community {community}", code="unknown_grid",
                                   field="changes")
        changes[code] = _geometry(code, item.get("geometry"))
    _problems(community, shapely.from_wkb(bytes(row.wkb)), {c: g for c, (_, g) in current.items()}, changes)
    impact = _impact(session, changes)
    if preview:
        return {"valid": True, "impact": impact, "etag": etag(community, row.layout_version)}
    now = datetime.now(timezone.utc)
    for code, geom in changes.items():
        session.execute(text(
            "WITH g AS (UPDATE grids SET geom = ST_Multi(ST_GeomFromWKB(:wkb, 4326)), version = version + 1 "
            "WHERE code = :c RETURNING code, name, version, geom) "
            "INSERT INTO grid_versions (grid_code, version, name, geom, author, at, reason, effective_date) "
            "SELECT code, version, name, geom, :a, :at, :r, :eff FROM g"),
            {"wkb": shapely.to_wkb(geom), "c": code, "a": actor.name, "at": now, "r": reason,
             "eff": effective or now.date()})
    session.execute(text("UPDATE communities SET layout_version = layout_version + 1 WHERE code = :c"), {"c": community})
    session.execute(text("SELECT refresh_grid_directory()"))
    record(session, key, actor, "grid.edit", target=f"community:{community}",
           details={"grids": sorted(changes), "reason": reason, "impact": impact["events_leaving_their_grid"]})
    return {"valid": True, "impact": impact, "etag": etag(community, row.layout_version + 1), "changed": sorted(changes)}


def history(session: Session, grid: str) -> list[dict]:
    rows = session.execute(text("SELECT version, name, author, at, reason, effective_date, ST_AsGeoJSON(geom, 7) AS gj "
                                "FROM grid_versions WHERE grid_code = :g ORDER BY version DESC"), {"g": grid}).all()
    if not rows:
        raise NotFound(f"no grid {grid}", code="unknown_grid")
    return [{"version": r.version, "name": r.name, "author": r.author, "at": r.at.isoformat().replace("+00:00", "Z"),
             "reason": r.reason, "effective_date": r.effective_date.isoformat(), "geometry": json.loads(r.gj)}
            for r in rows]


def restore(session: Session, key: bytes, actor: Actor, grid: str, version: int, *, if_match: str | None,
            reason: str, preview: bool = False) -> dict:
    """Bring back an earlier version of a grid: an edit like any other, through the same checks."""
    old = next((h for h in history(session, grid) if h["version"] == version), None)
    if old is None:
        raise NotFound(f"grid {grid} has no version {version}", code="unknown_version")
    return edit(session, key, actor, grid[:12], [{"code": grid, "geometry": old["geometry"]}], if_match=if_match,
                reason=reason or f"restore version {version}", preview=preview)
