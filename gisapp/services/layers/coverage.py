"""Camera coverage of key roads and key locations (clause 7.1.3.2: key road sections and key locations
fully covered): the share of each road inside the views of online cameras, its uncovered stretches,
each location covered or not, and the totals per township and for the area asked about.

The coverage itself is a maintained result (sql/027_coverage_maintained.sql): triggers recompute the
roads and locations a changed camera, road or location concerns; refresh() recomputes everything."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.security import Binding
from gisapp.services.layers.features import area_filter

# the stored result (sql/027, kept by triggers); only the split by township is computed on request,
# from the stored covered stretches, so a township boundary change needs no recompute
ROADS_SQL = """
SELECT r.code, r.name, k.length_m, k.covered_m, k.covered_ratio, ST_AsGeoJSON(k.gaps, 7) AS gaps,
       (SELECT json_agg(json_build_object('code', t.code,
                                          'length_m', ST_Length(ST_Intersection(r.geom, t.geom)::geography),
                                          'covered_m', ST_Length(ST_Intersection(k.seen, t.geom)::geography)))
        FROM townships t WHERE t.geom && r.geom AND ST_Intersects(t.geom, r.geom)) AS by_township
FROM key_roads r JOIN key_road_coverage k ON k.road_code = r.code WHERE {area} ORDER BY r.code
"""
LOCATIONS_SQL = """
SELECT l.code, l.name,
       k.covered,
       (SELECT t.code FROM townships t WHERE ST_Intersects(t.geom, ST_PointOnSurface(l.geom)) ORDER BY t.code LIMIT 1)
           AS township
FROM key_locations l JOIN key_location_coverage k ON k.location_code = l.code WHERE {area} ORDER BY l.code
"""


def _ratio(covered: float, length: float) -> float | None:
    return round(covered / length, 4) if length > 0 else None


def _totals(roads: list[dict], locations: list[dict]) -> dict:
    length = sum(r["length_m"] for r in roads)
    covered = sum(r["covered_m"] for r in roads)
    return {
        "length_m": round(length, 1),
        "covered_m": round(covered, 1),
        "covered_ratio": _ratio(covered, length),
        "key_locations": len(locations),
        "key_locations_covered": sum(loc["covered"] for loc in locations),
    }


def _townships(session: Session, road_rows, locations: list[dict]) -> list[dict]:
    acc: dict[str, dict] = {}
    for row in road_rows:
        for part in row.by_township or []:
            t = acc.setdefault(part["code"], {"length_m": 0.0, "covered_m": 0.0, "locations": 0, "covered": 0})
            t["length_m"] += part["length_m"]
            t["covered_m"] += part["covered_m"]
    for loc in locations:
        if loc["township"]:
            t = acc.setdefault(loc["township"], {"length_m": 0.0, "covered_m": 0.0, "locations": 0, "covered": 0})
            t["locations"] += 1
            t["covered"] += loc["covered"]
    names = dict(session.execute(text("SELECT code, name FROM townships WHERE code = ANY(:c)"), {"c": list(acc)}).all())
    return [
        {
            "code": code,
            "name": names.get(code),
            "length_m": round(t["length_m"], 1),
            "covered_m": round(t["covered_m"], 1),
            "covered_ratio": _ratio(t["covered_m"], t["length_m"]),
            "key_locations": t["locations"],
            "key_locations_covered": t["covered"],
        }
        for code, t in sorted(acc.items())
    ]


def coverage(session: Session, binding: Binding, code: str) -> dict:
    """Coverage of the key roads and locations in an account's area (see layers.area_filter)."""
    clause, params = area_filter(binding, code, "r.geom")
    rows = session.execute(text(ROADS_SQL.format(area=clause)), params).all()
    roads = [
        {
            "id": r.code,
            "name": r.name,
            "length_m": round(r.length_m, 1),
            "covered_m": round(r.covered_m, 1),
            "covered_ratio": None if r.covered_ratio is None else round(r.covered_ratio, 4),
            "gaps": json.loads(r.gaps),
        }
        for r in rows
    ]
    locations = [
        {"id": row.code, "name": row.name, "covered": row.covered, "township": row.township}
        for row in session.execute(text(LOCATIONS_SQL.format(area=area_filter(binding, code, "l.geom")[0])), params)
    ]
    return {
        "key_roads": roads,
        "key_locations": [{k: v for k, v in loc.items() if k != "township"} for loc in locations],
        "townships": _townships(session, rows, locations),
        "county": _totals(roads, locations),
    }


def refresh(session: Session) -> dict:
    """Recompute the stored coverage of every key road and key location (gisapp coverage refresh)."""
    session.execute(text("SELECT refresh_coverage()"))
    roads, locations = session.execute(
        text("SELECT (SELECT count(*) FROM key_road_coverage), (SELECT count(*) FROM key_location_coverage)")
    ).one()
    return {"key_roads": roads, "key_locations": locations}
