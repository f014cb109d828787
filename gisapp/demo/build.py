"""Build the demo county (南京市玄武区, 320102) layer files from the real source data.

Method (see layers/README.md):

1. The district boundary, its 8 streets and 61 communities (real names and codes) are read from
   ``layers/source/nanjing``.
2. Townships: Voronoi cells (computed in a locally isotropic projection) of hand-placed
   approximate community locations plus a few township filler sites, merged per street and
   clipped to the district.
3. Communities: the community sites of each township are relaxed (a few Lloyd iterations on a
   dense sample of the township) and their Voronoi cells clipped to the township.
4. Grids: 5-10 per community (more for larger ones) from a seeded k-means of a dense sample of the
   community, Voronoi cells clipped to the community.
5. Exact tiling: all grid boundaries and the district boundary are noded together on the 1e-7
   degree grid and polygonized into faces; every face goes to the grid it overlaps most;
   grid = union of its faces, community = union of its grids, township = union of its
   communities, county = union of the townships. Shared edges are therefore identical and
   children tile their parents exactly.
"""

from __future__ import annotations

import csv
import json
import math
import pathlib
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape

from gisapp.domain.areas import Level, community_code, prefix

from . import common, names, xuanwu

COUNTY_CODE = xuanwu.COUNTY_CODE
_K = math.cos(math.radians(32.06))  # lon scale making lon/lat locally isotropic
_GEOD = pyproj.Geod(ellps="WGS84")
_GRID = common.GRID_SIZE


# ------------------------------------------------------------------------------------ inputs


def _read_csv(path: pathlib.Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _load_county(source_dir: pathlib.Path):
    doc = json.loads((source_dir / "districts_wgs84.geojson").read_text(encoding="utf-8"))
    for f in doc["features"]:
        if str(f["properties"].get("adcode")) == COUNTY_CODE:
            geom = shapely.set_precision(shape(f["geometry"]), _GRID)
            parts = shapely.get_parts(geom)
            return parts[np.argmax(shapely.area(parts))] if len(parts) > 1 else parts[0]
    raise ValueError(f"district {COUNTY_CODE} not found in {source_dir}")


def _community_name(raw: str) -> str:
    """Source names end in 社区居委会 / 社区居民委员会; keep the 社区 part."""
    for suffix in ("居民委员会", "居委会"):
        if raw.endswith(suffix):
            return raw[: -len(suffix)]
    return raw


# ------------------------------------------------------------------------------ partitioning


def _fwd(g):
    return shapely.transform(g, lambda c: np.column_stack([c[:, 0] * _K, c[:, 1]]))


def _inv(g):
    return shapely.transform(g, lambda c: np.column_stack([c[:, 0] / _K, c[:, 1]]))


def _shared_length(piece, other) -> float:
    return shapely.length(shapely.intersection(piece.boundary, shapely.buffer(other, 1e-9)))


def _make_connected(parts: dict[str, object]) -> dict[str, object]:
    """Give every detached piece of a region to the neighbour sharing the longest border."""
    parts = dict(parts)
    for _ in range(10):
        changed = False
        for label in list(parts):
            geom = parts[label]
            pieces = list(shapely.get_parts(geom))
            if len(pieces) < 2:
                continue
            pieces.sort(key=lambda p: -p.area)
            keep = [pieces[0]]
            for piece in pieces[1:]:
                best, best_len = None, 0.0
                for other_label, other in parts.items():
                    if other_label == label or not shapely.intersects(piece.buffer(1e-9), other):
                        continue
                    length = _shared_length(piece, other)
                    if length > best_len:
                        best, best_len = other_label, length
                if best is None:
                    keep.append(piece)
                else:
                    parts[best] = shapely.union_all([parts[best], piece])
                    changed = True
            parts[label] = shapely.union_all(keep)
        if not changed:
            break
    return parts


def _partition(parent, sites: list[tuple[float, float]], labels: list[str]) -> dict[str, object]:
    """Voronoi partition of ``parent`` by ``sites``; cells with the same label are merged."""
    pts = _fwd(shapely.multipoints(np.asarray(sites, dtype=float)))
    envelope = _fwd(parent).envelope.buffer(0.05)
    cells = _inv(np.asarray(shapely.voronoi_polygons(pts, extend_to=envelope, ordered=True).geoms))
    shapely.prepare(parent)
    out = {}
    for label in dict.fromkeys(labels):
        idx = [i for i, lab in enumerate(labels) if lab == label]
        out[label] = shapely.intersection(shapely.union_all(cells[idx]), parent)
    return _make_connected(out)


def _samples(poly, n: int = 2500) -> np.ndarray:
    """A regular sample of about ``n`` points inside ``poly``, in isotropic coordinates."""
    sp = _fwd(poly)
    x0, y0, x1, y1 = sp.bounds
    step = math.sqrt(sp.area / n)
    X, Y = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
    X, Y = X.ravel(), Y.ravel()
    shapely.prepare(sp)
    inside = shapely.contains_xy(sp, X, Y)
    return np.column_stack([X[inside], Y[inside]])


def _assign(P: np.ndarray, C: np.ndarray) -> np.ndarray:
    d = ((P[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    return d.argmin(1)


def _relax(poly, sites: np.ndarray, iterations: int) -> np.ndarray:
    """A few Lloyd iterations of ``sites`` (lon/lat) over a sample of ``poly``; stays inside."""
    P = _samples(poly)
    C = sites * [_K, 1.0]
    for _ in range(iterations):
        a = _assign(P, C)
        for k in range(len(C)):
            members = P[a == k]
            if len(members):
                c = members.mean(0)
                C[k] = members[((members - c) ** 2).sum(1).argmin()]  # nearest sample: inside
    return C / [_K, 1.0]


def _kmeans(P: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 60) -> np.ndarray:
    """Seeded k-means++ / Lloyd on sample points (isotropic coordinates)."""
    C = [P[int(rng.integers(len(P)))]]
    for _ in range(1, k):
        d = ((P[:, None, :] - np.asarray(C)[None, :, :]) ** 2).sum(-1).min(1)
        C.append(P[int(rng.choice(len(P), p=d / d.sum()))])
    C = np.asarray(C)
    for _ in range(iterations):
        a = _assign(P, C)
        new = np.array([P[a == j].mean(0) if np.any(a == j) else C[j] for j in range(k)])
        if np.allclose(new, C, rtol=0, atol=1e-12):
            break
        C = new
    return C


def _grid_counts(areas: dict[str, float]) -> dict[str, int]:
    """5..10 grids per community, by area rank (larger communities get more)."""
    order = sorted(areas, key=lambda c: (areas[c], c))
    n = len(order)
    return {c: 5 + round(5 * r / max(n - 1, 1)) for r, c in enumerate(order)}


def _order_sites(C: np.ndarray, poly, k: int) -> np.ndarray:
    """Serial order of grid sites: north-to-south bands, west-to-east within a band."""
    band = math.sqrt(_fwd(poly).area / k)
    top = C[:, 1].max()
    rows = np.floor((top - C[:, 1]) / band + 0.5)
    return np.lexsort((C[:, 0], rows))


# -------------------------------------------------------------------------------- exact tiling


def _components(members: list[int], adj: dict[int, dict[int, float]]) -> list[list[int]]:
    todo, comps = set(members), []
    while todo:
        start = min(todo)
        stack, comp = [start], []
        todo.discard(start)
        while stack:
            f = stack.pop()
            comp.append(f)
            for g in adj[f]:
                if g in todo:
                    todo.discard(g)
                    stack.append(g)
        comps.append(sorted(comp))
    return comps


def _tile(county, grid_polys: list, grid_parent: list[str]) -> tuple[list, list[int]]:
    """Node everything on the 1e-7 grid, polygonize, and give every face to one grid."""
    faces = _faces(county, grid_polys)
    owner = _initial_owners(faces, np.asarray(grid_polys))
    _reattach_detached(owner, _face_adjacency(faces), shapely.area(faces), grid_parent)
    return list(faces), owner.tolist()


def _faces(county, grid_polys: list) -> np.ndarray:
    """Faces of the grid and county boundaries noded together, keeping those inside the county."""
    lines = [county.boundary] + [p.boundary for p in grid_polys]
    noded = shapely.union_all(lines, grid_size=_GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]
    shapely.prepare(county)
    inside = shapely.contains_xy(county, *shapely.get_coordinates(shapely.point_on_surface(faces)).T)
    return faces[inside]


def _initial_owners(faces: np.ndarray, grids: np.ndarray) -> np.ndarray:
    """Index of the grid each face overlaps most (ties to the lower index; else the nearest)."""
    tree = shapely.STRtree(grids)
    fi, gi = tree.query(faces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(faces[fi], grids[gi]))
    owner = np.full(len(faces), -1)
    best = np.zeros(len(faces))
    for f, g, a in zip(fi.tolist(), gi.tolist(), overlap.tolist()):
        if owner[f] < 0 or a > best[f] or (a == best[f] and g < owner[f]):
            owner[f], best[f] = g, a
    missing = np.flatnonzero(owner < 0)
    if len(missing):
        _, near = tree.query_nearest(faces[missing], all_matches=False)
        owner[missing] = near
    return owner


def _face_adjacency(faces: np.ndarray) -> dict[int, dict[int, float]]:
    """Shared edge length between touching faces (noded, so shared edges coincide exactly)."""
    ftree = shapely.STRtree(faces)
    a_idx, b_idx = ftree.query(faces, predicate="intersects")
    keep = a_idx < b_idx
    a_idx, b_idx = a_idx[keep], b_idx[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(faces[a_idx]), shapely.boundary(faces[b_idx])))
    adj: dict[int, dict[int, float]] = defaultdict(dict)
    for a, b, length in zip(a_idx.tolist(), b_idx.tolist(), shared.tolist()):
        if length > 0:
            adj[a][b] = length
            adj[b][a] = length
    return adj


def _reattach_detached(
    owner: np.ndarray, adj: dict[int, dict[int, float]], area: np.ndarray, grid_parent: list[str]
) -> None:
    """Give each detached bit of a grid to a neighbouring grid, in place, until none moves."""
    for _ in range(20):
        moved = False
        by_grid: dict[int, list[int]] = defaultdict(list)
        for f, g in enumerate(owner.tolist()):
            by_grid[g].append(f)
        for g in sorted(by_grid):
            # owner changes as bits move, so each grid's pieces are found from the current state
            intra = {f: {h: w for h, w in adj[f].items() if owner[h] == g} for f in by_grid[g]}
            comps = _components(by_grid[g], intra)
            if len(comps) < 2:
                continue
            comps.sort(key=lambda c: -float(area[c].sum()))
            for comp in comps[1:]:
                target = _reattach_target(comp, g, owner, adj, grid_parent)
                if target is not None:
                    owner[comp] = target
                    moved = True
        if not moved:
            break


def _reattach_target(
    comp: list[int], g: int, owner: np.ndarray, adj: dict[int, dict[int, float]], grid_parent: list[str]
) -> int | None:
    """The grid to take the detached faces ``comp`` of grid ``g``, or None if nothing borders it.

    Prefers grids of the same community, then of the same township, then the longest border.
    """
    border: dict[int, float] = defaultdict(float)
    for f in comp:
        for h, w in adj[f].items():
            if owner[h] != g:
                border[int(owner[h])] += w
    if not border:
        return None
    return max(
        border,
        key=lambda t: (
            grid_parent[t] == grid_parent[g],
            prefix(grid_parent[t], Level.TOWNSHIP) == prefix(grid_parent[g], Level.TOWNSHIP),
            border[t],
            -t,
        ),
    )


# ---------------------------------------------------------------------------------- features


def _area_features(items: list[tuple[str, str, str | None, object]], extra=None) -> list[dict]:
    out = []
    for code, name, parent, geom in sorted(items, key=lambda t: t[0]):
        props = {"code": code, "name": name, "parent_code": parent}
        if extra and code in extra:
            props.update(extra[code])
        out.append(common.feature(props, common.multipolygon_geojson(geom)))
    return out


def _length_m(geom) -> float:
    return round(abs(_GEOD.geometry_length(geom)), 1)


def _road_features(county) -> tuple[list[dict], list[tuple[str, object]]]:
    feats, lines = [], []
    for code, name, road_class, coords in xuanwu.KEY_ROADS:
        line = shapely.intersection(shapely.LineString(coords), county)
        line = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
        if line.is_empty or line.geom_type not in ("LineString", "MultiLineString"):
            continue
        line = shapely.set_precision(line, _GRID)
        feats.append(
            common.feature(
                {"code": code, "name": name, "road_class": road_class, "length_m": _length_m(line)},
                common.line_geojson(line),
            )
        )
        lines.append((name, line))
    return feats, lines


def _location_features(county) -> list[dict]:
    feats = []
    for code, name, kind, risk, (x, y) in xuanwu.KEY_LOCATIONS:
        if shapely.contains_xy(county, x, y):
            feats.append(
                common.feature(
                    {"code": code, "name": name, "kind": kind, "risk_level": risk}, common.point_geojson(x, y)
                )
            )
    return feats


def _metric(line):
    """Line in local metres (equirectangular around 32.06N)."""
    return shapely.transform(
        line, lambda c: np.column_stack([c[:, 0] * common.M_PER_DEG_LON_EQ * _K, c[:, 1] * common.M_PER_DEG_LAT])
    )


def _unmetric(x: float, y: float) -> tuple[float, float]:
    return x / (common.M_PER_DEG_LON_EQ * _K), y / common.M_PER_DEG_LAT


# A camera before numbering: (name, lon, lat, azimuth, fov, range_m).
_Camera = tuple[str, float, float, float, int, int]


def _camera_features(county, roads: list[tuple[str, object]], seed: int) -> list[dict]:
    """Cameras along the key roads, at their intersections and around the key locations."""
    rng = names.rng_for(seed, "cameras")
    shapely.prepare(county)
    # The three groups draw from one generator in this order; keep it, or every camera changes.
    placed = [*_road_cameras(roads, rng), *_intersection_cameras(roads), *_location_cameras(county, rng)]
    cams = _inside(county, placed)
    online = rng.random(len(cams)) < 0.95
    feats = [
        common.camera_feature(COUNTY_CODE, s + 1, name, lon, lat, az, fov, rng_m, bool(online[s]))
        for s, (name, lon, lat, az, fov, rng_m) in enumerate(cams)
    ]
    feats.sort(key=lambda f: f["properties"]["device_id"])
    return feats


def _inside(county, cams: list[_Camera]) -> list[_Camera]:
    """The cameras whose rounded position is inside the county, with that rounded position."""
    out = []
    for name, lon, lat, az, fov, rng_m in cams:
        lon, lat = common.rnd(lon), common.rnd(lat)
        if shapely.contains_xy(county, lon, lat):
            out.append((name, lon, lat, az, fov, rng_m))
    return out


def _road_cameras(roads: list[tuple[str, object]], rng: np.random.Generator) -> list[_Camera]:
    """Every ~350 m along each key road, alternating sides, looking along the road."""
    cams: list[_Camera] = []
    for name, line in roads:
        k = 0
        for part in shapely.get_parts(line):
            m = _metric(part)
            d = 120.0
            while d < m.length - 60:
                side = 1 if k % 2 == 0 else -1
                lon, lat, az = _roadside_pose(m, d, side)
                k += 1
                cams.append(
                    (f"{name}{k:02d}号杆-{common.direction_name(az)}向", lon, lat, az, 90 if k % 3 else 60, 150)
                )
                d += 330 + float(rng.integers(0, 60))
    return cams


def _roadside_pose(m, d: float, side: int) -> tuple[float, float, float]:
    """Position 12 m to one side of metric line ``m`` at distance ``d``, and its azimuth.

    The camera on the right-hand side looks forward along the line, the left-hand one back.
    """
    p0 = m.interpolate(d - 5)
    p1 = m.interpolate(d + 5)
    dx, dy = p1.x - p0.x, p1.y - p0.y
    norm = math.hypot(dx, dy) or 1.0
    px = (p0.x + p1.x) / 2 + side * 12 * dy / norm
    py = (p0.y + p1.y) / 2 - side * 12 * dx / norm
    lon, lat = _unmetric(px, py)
    az = math.degrees(math.atan2(dx, dy)) % 360
    if side < 0:
        az = (az + 180) % 360
    return lon, lat, az


_Crossing = tuple[str, object, str, object, object]  # name a, line a, name b, line b, point


def _crossings(roads: list[tuple[str, object]]) -> Iterator[_Crossing]:
    """Each intersection point of two key roads, with both roads.

    Crossings within about 30 m of one already yielded are skipped, so a junction gets one set.
    """
    seen: list[tuple[float, float]] = []
    for i in range(len(roads)):
        for j in range(i + 1, len(roads)):
            (na, la), (nb, lb) = roads[i], roads[j]
            for c in shapely.get_parts(shapely.intersection(la, lb)):
                if c.is_empty or c.geom_type != "Point":
                    continue
                if any(abs(c.x - x) < 3e-4 and abs(c.y - y) < 3e-4 for x, y in seen):
                    continue
                seen.append((c.x, c.y))
                yield na, la, nb, lb, c


def _intersection_cameras(roads: list[tuple[str, object]]) -> list[_Camera]:
    """At each key road intersection: one all-round dome and one camera along each road."""
    cams: list[_Camera] = []
    for na, la, nb, lb, c in _crossings(roads):
        cams.append((f"{na}与{nb}路口-全景", c.x, c.y, 0, 360, 100))
        for road in (la, lb):
            lon, lat = common.offset(c.x, c.y, 10, 10)
            az = _along_road_azimuth(road, c)
            label = f"{na}与{nb}路口-{common.direction_name(az)}向"
            cams.append((label, lon, lat, az, 90, 120))
    return cams


def _along_road_azimuth(road, c) -> float:
    """Bearing from point ``c`` towards a point 40 m along ``road`` (backwards at its end)."""
    m = _metric(road)
    d = m.project(_metric(c))
    q = m.interpolate(min(d + 40, m.length))
    if q.distance(_metric(c)) < 1:
        q = m.interpolate(max(d - 40, 0))
    qx, qy = _unmetric(q.x, q.y)
    return common.azimuth(c.x, c.y, qx, qy)


def _location_cameras(county, rng: np.random.Generator) -> list[_Camera]:
    """Four cameras around each key location inside the county, looking at the site."""
    cams: list[_Camera] = []
    for _code, name, _kind, _risk, (x, y) in xuanwu.KEY_LOCATIONS:
        if not shapely.contains_xy(county, x, y):
            continue
        for n in range(4):
            bearing = 45 + 90 * n + float(rng.uniform(-20, 20))
            dist = float(rng.uniform(70, 140))
            lon, lat = common.offset(
                x, y, dist * math.sin(math.radians(bearing)), dist * math.cos(math.radians(bearing))
            )
            az = (bearing + 180) % 360
            cams.append((f"{name}周边{n + 1}号-{common.direction_name(az)}向", lon, lat, az, 120 if n % 2 else 90, 200))
    return cams


# -------------------------------------------------------------------------------------- build


class _Divisions(NamedTuple):
    """Real names and parents of the county's townships and communities, keyed by code."""

    township_name: dict[str, str]
    comm_name: dict[str, str]
    comm_parent: dict[str, str]


def build(source_dir: pathlib.Path, out_dir: pathlib.Path, *, seed: int = 320102) -> dict[str, int]:
    """Regenerate the demo county into out_dir; return counts per file (e.g. {"grids": 452, ...})."""
    source_dir = pathlib.Path(source_dir)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    county = _load_county(source_dir)
    div = _load_divisions(source_dir)
    township_poly = _township_polys(county, div)
    comm_poly = _community_polys(township_poly, div)
    grid_codes, grid_polys, grid_parent = _grid_cells(comm_poly, seed)
    faces, owner = _tile(county, grid_polys, grid_parent)
    grid_geom = _grid_geoms(faces, owner, grid_codes)

    n = _write_areas(out_dir, div, grid_geom, grid_parent=dict(zip(grid_codes, grid_parent)))
    n.update(_write_people(out_dir, seed))
    n.update(
        common.write_static(
            out_dir,
            COUNTY_CODE,
            xuanwu.COUNTY_NAME,
            [(t, div.township_name[t]) for t in sorted(div.township_name)],
            seed,
        )
    )
    n.update(_write_roads_and_devices(out_dir, seed))
    n["events"] = common.write_jsonl(out_dir / "events.jsonl", [])
    common.write_manifest(
        out_dir,
        county_code=COUNTY_CODE,
        name=xuanwu.COUNTY_NAME,
        generated_by="gisapp demo build",
        seed=seed,
        counts=n,
        extra={"full_name": xuanwu.COUNTY_FULL_NAME},
    )
    return n


def _load_divisions(source_dir: pathlib.Path) -> _Divisions:
    """The county's streets and communities from the source CSVs, checked against xuanwu.py."""
    streets = [r for r in _read_csv(source_dir / "streets.csv") if r["areaCode"] == COUNTY_CODE]
    comm_rows = [r for r in _read_csv(source_dir / "communities.csv") if r["areaCode"] == COUNTY_CODE]
    streets.sort(key=lambda r: r["code"])
    comm_rows.sort(key=lambda r: r["code"])
    div = _Divisions(
        township_name={r["code"]: r["name"] for r in streets},
        comm_name={r["code"]: _community_name(r["name"]) for r in comm_rows},
        comm_parent={r["code"]: r["streetCode"] for r in comm_rows},
    )
    missing = sorted(set(div.comm_name) - set(xuanwu.COMMUNITY_ANCHORS))
    if missing:
        raise ValueError(f"no hand-placed location for communities {missing}")
    if set(div.comm_parent.values()) - set(div.township_name):
        raise ValueError("community whose street is not in streets.csv")
    return div


# ------------------------------------------------------------------------ build: partitioning


def _township_polys(county, div: _Divisions) -> dict[str, object]:
    """Townships: Voronoi cells of their community anchors and filler sites, merged per street."""
    sites, labels = [], []
    for code in sorted(div.comm_name):
        sites.append(xuanwu.COMMUNITY_ANCHORS[code])
        labels.append(div.comm_parent[code])
    for tcode, pts in sorted(xuanwu.TOWNSHIP_FILLERS.items()):
        if tcode in div.township_name:
            sites.extend(pts)
            labels.extend([tcode] * len(pts))
    return _partition(county, sites, labels)


def _community_polys(township_poly: dict[str, object], div: _Divisions) -> dict[str, object]:
    """Communities: Voronoi cells of their relaxed anchors, clipped to their township."""
    comm_poly: dict[str, object] = {}
    for tcode in sorted(div.township_name):
        codes = sorted(c for c in div.comm_name if div.comm_parent[c] == tcode)
        anchors = np.array([xuanwu.COMMUNITY_ANCHORS[c] for c in codes])
        relaxed = _relax(township_poly[tcode], anchors, 5) if len(codes) > 1 else anchors
        comm_poly.update(_partition(township_poly[tcode], [tuple(p) for p in relaxed], codes))
    return comm_poly


def _grid_cells(comm_poly: dict[str, object], seed: int) -> tuple[list[str], list, list[str]]:
    """Grids: Voronoi cells of seeded k-means sites per community; codes, polygons, parents."""
    rng = names.rng_for(seed, "grids")
    counts = _grid_counts({c: _fwd(p).area for c, p in comm_poly.items()})
    grid_codes, grid_polys, grid_parent = [], [], []
    for ccode in sorted(comm_poly):
        poly, k = comm_poly[ccode], counts[ccode]
        P = _samples(poly)
        C = _kmeans(P, k, rng)
        C = C[_order_sites(C, poly, k)]
        serial = [f"{ccode}{i + 1:03d}" for i in range(k)]
        cells = _partition(poly, [tuple(c) for c in C / [_K, 1.0]], serial)
        for gcode in serial:
            grid_codes.append(gcode)
            grid_polys.append(cells[gcode])
            grid_parent.append(ccode)
    return grid_codes, grid_polys, grid_parent


def _grid_geoms(faces: list, owner: list[int], grid_codes: list[str]) -> dict[str, object]:
    """Each grid's geometry: the union of the tiling faces it owns."""
    faces_of: dict[int, list] = defaultdict(list)
    for f, g in zip(faces, owner):
        faces_of[g].append(f)
    if len(faces_of) != len(grid_codes):
        raise RuntimeError("a grid lost all of its area while tiling")
    return {grid_codes[g]: shapely.union_all(fs, grid_size=_GRID) for g, fs in faces_of.items()}


# ----------------------------------------------------------------------------- build: writing


def _write_areas(
    out_dir: pathlib.Path, div: _Divisions, grid_geom: dict[str, object], *, grid_parent: dict[str, str]
) -> dict[str, int]:
    """Write the four area layers, each level the union of its children; return their counts."""
    comm_geom = {
        c: shapely.union_all([grid_geom[g] for g, p in grid_parent.items() if p == c], grid_size=_GRID)
        for c in sorted(div.comm_name)
    }
    town_geom = {
        t: shapely.union_all([comm_geom[c] for c in comm_geom if div.comm_parent[c] == t], grid_size=_GRID)
        for t in sorted(div.township_name)
    }
    county_geom = shapely.union_all(list(town_geom.values()), grid_size=_GRID)
    grid_name = {g: f"{div.comm_name[p]}第{int(g[-3:])}网格" for g, p in grid_parent.items()}
    n: dict[str, int] = {}
    n["county"] = common.write_geojson(
        out_dir / "county.geojson",
        _area_features(
            [(COUNTY_CODE, xuanwu.COUNTY_NAME, None, county_geom)],
            extra={COUNTY_CODE: {"full_name": xuanwu.COUNTY_FULL_NAME}},
        ),
    )
    n["townships"] = common.write_geojson(
        out_dir / "townships.geojson",
        _area_features([(t, div.township_name[t], COUNTY_CODE, g) for t, g in town_geom.items()]),
    )
    n["communities"] = common.write_geojson(
        out_dir / "communities.geojson",
        _area_features([(c, div.comm_name[c], div.comm_parent[c], g) for c, g in comm_geom.items()]),
    )
    n["grids"] = common.write_geojson(
        out_dir / "grids.geojson",
        _area_features([(g, grid_name[g], community_code(g), geom) for g, geom in grid_geom.items()]),
    )
    return n


# The writers below read the geometry back exactly as written, so points that are checked to be
# inside stay inside after the round trip.


def _write_people(out_dir: pathlib.Path, seed: int) -> dict[str, int]:
    """Write one team per written grid and its members; return their counts."""
    written = json.loads((out_dir / "grids.geojson").read_text(encoding="utf-8"))["features"]
    codes_sorted = [f["properties"]["code"] for f in written]
    polys = [shape(f["geometry"]) for f in written]
    names_sorted = [f["properties"]["name"] for f in written]
    return {
        "teams": common.write_json_list(out_dir / "teams.json", common.teams(codes_sorted, names_sorted)),
        "members": common.write_json_list(
            out_dir / "members.json", common.members(codes_sorted, common.polygon_sampler(polys), seed)
        ),
    }


def _write_roads_and_devices(out_dir: pathlib.Path, seed: int) -> dict[str, int]:
    """Write key roads, key locations and cameras inside the written county; return counts."""
    county_written = shape(
        json.loads((out_dir / "county.geojson").read_text(encoding="utf-8"))["features"][0]["geometry"]
    )
    road_feats, road_lines = _road_features(county_written)
    return {
        "key_roads": common.write_geojson(out_dir / "key_roads.geojson", road_feats),
        "key_locations": common.write_geojson(out_dir / "key_locations.geojson", _location_features(county_written)),
        "cameras": common.write_geojson(
            out_dir / "cameras.geojson", _camera_features(county_written, road_lines, seed)
        ),
    }
