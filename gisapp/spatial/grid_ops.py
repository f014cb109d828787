"""The shapes of a grid change, pure (issue 5): split a grid along a line, merge two grids, and the
proposed fix of a broken layout. None of them writes anything: the grid editor checks what they
return with the same topology checks as any edit, and a fix is only ever a proposal the planner
may take, change or leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import split as split_by_line

from gisapp.errors import ValidationFailed
from gisapp.spatial.topology import area_m2, check_layout

SNAP_DEG = 1e-7  # the node grid the demo tiling shares (about 1 cm): results are snapped to it


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry (a union or difference may carry stray lines and points)."""
    parts = [p for p in getattr(geom, "geoms", [geom]) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def split(grid: BaseGeometry, line: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    """The two parts of a grid cut by a line that crosses it, larger first.

    >>> big, small = split(shapely.box(0, 0, 3, 1), shapely.LineString([(2, -1), (2, 2)]))
    >>> big.area, small.area
    (2.0, 1.0)
    >>> split(shapely.box(0, 0, 3, 1), shapely.LineString([(5, -1), (5, 2)]))
    Traceback (most recent call last):
    ...
    gisapp.errors.ValidationFailed: the line must cross the grid once and divide it in two parts (it gives 1)
    """
    if line.geom_type != "LineString":
        raise ValidationFailed("a grid is split by a LineString", code="invalid_split_line", field="line")
    pieces = sorted(split_by_line(grid, line).geoms, key=lambda g: -g.area)
    if len(pieces) != 2:
        raise ValidationFailed(
            f"the line must cross the grid once and divide it in two parts (it gives {len(pieces)})",
            code="invalid_split_line",
            field="line",
        )
    return pieces[0], pieces[1]


def merge(keep: BaseGeometry, absorb: BaseGeometry, min_shared_m: float = 5.0) -> BaseGeometry:
    """One grid of two that share an edge; grids that touch at a corner or not at all are not merged.

    >>> merge(shapely.box(0, 0, 0.01, 0.01), shapely.box(0.01, 0, 0.02, 0.01)).area
    0.0002
    """
    shared = keep.boundary.intersection(absorb.boundary)
    if shared.length * 111_320 < min_shared_m:
        raise ValidationFailed("only grids that share an edge are merged", code="grids_not_adjacent", field="with")
    return shapely.set_precision(shapely.union_all([keep, absorb]), SNAP_DEG)


@dataclass(frozen=True)
class Fix:
    check: str  # the problem it answers (invalid_geometry, outside_community, overlap, gap, sliver)
    grid: str | None  # the grid it changes
    message: str
    other: str | None = None  # the grid it gives the area to or keeps it for (overlap, sliver)
    area_m2: float | None = None  # the area moved


def _made_valid(grids: dict[str, BaseGeometry], fixes: list[Fix]) -> dict[str, BaseGeometry]:
    out = {}
    for code, geom in grids.items():
        if geom.geom_type in ("Polygon", "MultiPolygon") and not geom.is_valid:
            geom = _polygonal(shapely.make_valid(geom))
            fixes.append(Fix("invalid_geometry", code, "made valid (self-intersections resolved into polygons)"))
        out[code] = geom
    return out


def _clipped(
    boundary: BaseGeometry, grids: dict[str, BaseGeometry], fixes: list[Fix], tolerance_m2: float
) -> dict[str, BaseGeometry]:
    out = {}
    for code, geom in grids.items():
        outside = geom.difference(boundary)
        if area_m2(outside) > tolerance_m2:
            geom = _polygonal(geom.intersection(boundary))
            fixes.append(
                Fix(
                    "outside_community",
                    code,
                    f"clipped to the community ({area_m2(outside):.0f} m² cut)",
                    area_m2=area_m2(outside),
                )
            )
        out[code] = geom
    return out


def _overlaps_removed(grids: dict[str, BaseGeometry], fixes: list[Fix], tolerance_m2: float):
    """Each overlap stays with the lower grid code (the platform's shared-edge rule) and leaves the other."""
    out = dict(grids)
    codes = sorted(out)
    for i, low in enumerate(codes):
        for high in codes[i + 1 :]:
            shared = out[low].intersection(out[high])
            if area_m2(shared) > tolerance_m2:
                out[high] = _polygonal(out[high].difference(out[low]))
                fixes.append(
                    Fix(
                        "overlap",
                        high,
                        f"gives up {area_m2(shared):.0f} m² it overlapped with {low}",
                        low,
                        area_m2(shared),
                    )
                )
    return out


def _neighbour_by_longest_edge(piece: BaseGeometry, grids: dict[str, BaseGeometry], exclude: str | None = None):
    best, best_len = None, 0.0
    for code, geom in sorted(grids.items()):
        if code == exclude or geom.is_empty:
            continue
        length = piece.boundary.intersection(geom.buffer(SNAP_DEG)).length
        if length > best_len:
            best, best_len = code, length
    return best


def _gaps_filled(boundary, grids: dict[str, BaseGeometry], fixes: list[Fix], tolerance_m2: float):
    out = dict(grids)
    gap = boundary.difference(shapely.union_all(list(out.values())))
    for piece in getattr(gap, "geoms", [gap]):
        if piece.geom_type != "Polygon" or area_m2(piece) <= tolerance_m2:
            continue
        target = _neighbour_by_longest_edge(piece, out)
        if target is not None:
            out[target] = _polygonal(shapely.union_all([out[target], piece]))
            fixes.append(Fix("gap", target, f"takes the {area_m2(piece):.0f} m² gap beside it", area_m2=area_m2(piece)))
    return out


def _slivers_merged(grids: dict[str, BaseGeometry], fixes: list[Fix], min_area_m2: float):
    out = dict(grids)
    for code in sorted(out):
        if code in out and area_m2(out[code]) < min_area_m2:
            target = _neighbour_by_longest_edge(out[code], out, exclude=code)
            if target is None:
                continue
            out[target] = _polygonal(shapely.union_all([out[target], out.pop(code)]))
            fixes.append(Fix("sliver", code, f"too small: merged into {target} (the grid retires)", target))
    return out


def propose_fix(
    community: str,
    boundary: BaseGeometry,
    grids: dict[str, BaseGeometry],
    *,
    min_area_m2: float = 500.0,
    tolerance_m2: float = 1.0,
):
    """A repaired layout (grids that vanish are to be retired), what each repair did, and what is left.

    The repairs, in order: invalid polygons made valid; parts outside the community clipped; each
    overlap left to the lower code; each gap given to the grid sharing most of its edge; slivers
    merged into the neighbour sharing most of their edge. Bad grid codes are not guessed at.
    """
    fixes: list[Fix] = []
    fixed = _made_valid(grids, fixes)
    fixed = _clipped(boundary, fixed, fixes, tolerance_m2)
    fixed = _overlaps_removed(fixed, fixes, tolerance_m2)
    fixed = _gaps_filled(boundary, fixed, fixes, tolerance_m2)
    fixed = _slivers_merged(fixed, fixes, min_area_m2)
    fixed = {code: shapely.set_precision(geom, SNAP_DEG) for code, geom in fixed.items()}
    remaining = check_layout(community, boundary, fixed, min_area_m2=min_area_m2, tolerance_m2=tolerance_m2)
    return fixed, fixes, remaining
