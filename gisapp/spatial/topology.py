"""Topology checks of a grid edit (issue 5), pure geometry: the grids of one community must tile it.

A proposed layout of a community's grids passes when every grid is a valid polygon with a
well-formed code of that community, lies inside the community, overlaps no sibling, leaves no gap
in the community, and is no sliver. Each failure carries a stable code, the grid it concerns, a
message and the offending geometry (where it is, as WGS84 GeoJSON-ready shapely geometry), so the
planner sees what to fix; nothing is repaired silently. Areas are measured in square metres on a
local equal-area approximation, good to a fraction of a percent at a county's size. The rule for a grid's code is
the domain's (gisapp.domain.areas.is_grid_of); the geometry is here, beside the other geometry helpers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gisapp.domain.areas import is_grid_of

M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Problem:
    code: str  # invalid_geometry, bad_grid_code, outside_community,
    # overlap, gap, sliver
    grid: str | None  # the grid concerned (None for a gap: it belongs to no grid)
    message: str
    where: BaseGeometry | None  # the offending geometry (an invalidity's point, the overlap, the gap)
    other: str | None = None  # the second grid of an overlap


def area_m2(geom: BaseGeometry) -> float:
    """Area in square metres: degrees scaled at the geometry's mean latitude (equirectangular).

    >>> round(area_m2(shapely.box(118.0, 32.0, 118.001, 32.001)))
    10509
    """
    if geom.is_empty:
        return 0.0
    lat = (geom.bounds[1] + geom.bounds[3]) / 2
    return geom.area * M_PER_DEG * M_PER_DEG * math.cos(math.radians(lat))


def _validity(code: str, geom: BaseGeometry) -> Problem | None:
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return Problem("invalid_geometry", code, f"a grid is a polygon, not a {geom.geom_type}", None)
    if geom.is_valid:
        return None
    reason = explain_validity(geom)  # e.g. "Self-intersection[118.81 32.05]"
    match = re.search(r"\[([-0-9.e]+) ([-0-9.e]+)\]", reason)
    where = shapely.Point(float(match.group(1)), float(match.group(2))) if match else None
    return Problem("invalid_geometry", code, f"the polygon is not valid: {reason}", where)


def _codes(community: str, grids: dict[str, BaseGeometry]) -> list[Problem]:
    return [
        Problem("bad_grid_code", code, f"a grid code is the community code {community} and 3 more digits", None)
        for code in grids
        if not is_grid_of(code, community)
    ]


def check_layout(
    community: str,
    boundary: BaseGeometry,
    grids: dict[str, BaseGeometry],
    *,
    min_area_m2: float = 500.0,
    tolerance_m2: float = 1.0,
) -> list[Problem]:
    """Every problem of a community's proposed grids (empty: the layout may be applied).

    Overlaps and gaps smaller than tolerance_m2 are rounding, not problems.
    """
    problems = _codes(community, grids)
    valid: dict[str, BaseGeometry] = {}
    for code, geom in grids.items():
        invalid = _validity(code, geom)
        if invalid:
            problems.append(invalid)
        else:
            valid[code] = geom
    problems += _outside_and_slivers(community, boundary, valid, min_area_m2, tolerance_m2)
    problems += _overlaps(valid, tolerance_m2)
    gap = boundary.difference(shapely.union_all(list(valid.values()))) if valid else boundary
    if area_m2(gap) > tolerance_m2 and len(valid) == len(grids):
        problems.append(Problem("gap", None, f"{area_m2(gap):.0f} m² of community {community} belong to no grid", gap))
    return problems


def _outside_and_slivers(
    community: str, boundary: BaseGeometry, grids: dict[str, BaseGeometry], min_area_m2: float, tolerance_m2: float
) -> list[Problem]:
    # a grid the community covers has nothing outside it: the overlay is computed only for the others
    geoms = list(grids.values())
    if not geoms:
        return []
    shapely.prepare(boundary)
    covered = shapely.covers(boundary, geoms)
    found = []
    for (code, geom), inside in zip(grids.items(), covered):
        outside = None if inside else geom.difference(boundary)
        if outside is not None and area_m2(outside) > tolerance_m2:
            found.append(
                Problem(
                    "outside_community", code, f"{area_m2(outside):.0f} m² lie outside community {community}", outside
                )
            )
        if area_m2(geom) < min_area_m2:
            found.append(
                Problem(
                    "sliver", code, f"{area_m2(geom):.0f} m² is below the {min_area_m2:.0f} m² a grid must have", geom
                )
            )
    return found


def _overlaps(grids: dict[str, BaseGeometry], tolerance_m2: float) -> list[Problem]:
    codes = list(grids)
    geoms = [grids[c] for c in codes]
    if len(geoms) < 2:
        return []
    # every intersecting pair once (i < j) in one query; neighbours that only share an edge or a corner
    # (interiors apart, overlap 0 m²) are set aside by one vectorised DE-9IM test before any overlay
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = sorted((i, j) for i, j in zip(left.tolist(), right.tolist()) if i < j)
    if not pairs:
        return []
    a = [geoms[i] for i, _ in pairs]
    b = [geoms[j] for _, j in pairs]
    interiors_meet = shapely.relate_pattern(a, b, "T********")
    found = []
    for (i, j), meet in zip(pairs, interiors_meet):
        if not meet:
            continue
        shared = geoms[i].intersection(geoms[j])
        if area_m2(shared) > tolerance_m2:
            found.append(
                Problem("overlap", codes[i], f"{area_m2(shared):.0f} m² overlap grid {codes[j]}", shared, codes[j])
            )
    return found
