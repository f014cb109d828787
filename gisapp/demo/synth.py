"""Synthetic jurisdictions of any size, in the same file format as the demo county.

The synthetic county 合成县 (code 990101; province code 99 does not exist, so nothing clashes
with real division codes) is a regular lattice of rectangular grids of 0.0032 x 0.0027 degrees
(about 300 x 300 m) centred on 119.0E 32.0N. Communities are 3 x 3 blocks of grids, townships
blocks of communities (normally 5 x 4), laid out row by row from the north-west; only the last
community / township may be partial. All corners are exact multiples of 1e-7 degree computed
from integers, so neighbours share identical coordinates and every level tiles its parent
exactly.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pyproj
import shapely

from . import common, names

COUNTY_CODE = "990101"
COUNTY_NAME = "合成县"
SCALE = 10_000_000  # coordinates are integers in units of 1e-7 degree
DLON = 32_000  # 0.0032 degree, ~302 m at 32N
DLAT = 27_000  # 0.0027 degree, ~299 m
CENTRE = (1_190_000_000, 320_000_000)
BLOCK = 3  # a community is BLOCK x BLOCK grids
MAX_CHILDREN = 999

_GEOD = pyproj.Geod(ellps="WGS84")
_LOCATION_KINDS = (
    ("government", "街道办事处", 2),
    ("school", "中心小学", 2),
    ("hospital", "社区卫生服务中心", 2),
    ("commercial", "商业中心", 3),
    ("transport_hub", "公交枢纽站", 3),
    ("scenic", "公园", 1),
    ("residential", "新村", 1),
)


def _deg(v) -> float:
    return int(v) / SCALE


def _rect(x0: int, y0: int, x1: int, y1: int) -> list:
    """Counter-clockwise ring of an integer rectangle, as GeoJSON MultiPolygon coordinates."""
    a, b, c, d = _deg(x0), _deg(y0), _deg(x1), _deg(y1)
    return [[[[a, b], [c, b], [c, d], [a, d], [a, b]]]]


class _Layout:
    """Where every grid, community and township sits on the lattice."""

    def __init__(self, grids: int):
        if grids < 1:
            raise ValueError("grids must be >= 1")
        self.n_grids = grids
        self.per_comm = BLOCK * BLOCK
        self.n_comm = math.ceil(grids / self.per_comm)
        cpt = max(20, math.ceil(self.n_comm / MAX_CHILDREN))
        self.cx = math.ceil(math.sqrt(cpt * 1.25))
        self.cy = math.ceil(cpt / self.cx)
        self.cpt = self.cx * self.cy
        self.n_town = math.ceil(self.n_comm / self.cpt)
        if self.n_town > MAX_CHILDREN:
            raise ValueError(f"too many grids for 3-digit township codes: {grids}")
        # Township blocks arranged so the whole region is roughly square on the ground.
        tw = self.cx * BLOCK * DLON * math.cos(math.radians(32))
        th = self.cy * BLOCK * DLAT
        self.tx = max(1, math.ceil(math.sqrt(self.n_town * th / tw)))
        self.ty = math.ceil(self.n_town / self.tx)
        width = self.tx * self.cx * BLOCK * DLON
        height = self.ty * self.cy * BLOCK * DLAT
        self.x0 = CENTRE[0] - (width // 2 // DLON) * DLON
        self.ytop = CENTRE[1] + (height // 2 // DLAT) * DLAT

        g = np.arange(grids)
        self.comm = g // self.per_comm
        s = g % self.per_comm
        t = self.comm // self.cpt
        j = self.comm % self.cpt
        col = (t % self.tx) * self.cx * BLOCK + (j % self.cx) * BLOCK + s % BLOCK
        row = (t // self.tx) * self.cy * BLOCK + (j // self.cx) * BLOCK + s // BLOCK
        self.gx0 = self.x0 + col * DLON
        self.gx1 = self.gx0 + DLON
        self.gy1 = self.ytop - row * DLAT
        self.gy0 = self.gy1 - DLAT
        self.serial = s + 1

    def township_code(self, t: int) -> str:
        return f"{COUNTY_CODE}{t + 1:03d}"

    def community_code(self, c: int) -> str:
        return f"{self.township_code(c // self.cpt)}{c % self.cpt + 1:03d}"

    def comm_grids(self, c: int) -> range:
        return range(c * self.per_comm, min((c + 1) * self.per_comm, self.n_grids))

    def comm_bounds(self, c: int) -> tuple[int, int, int, int]:
        first = c * self.per_comm
        return (
            int(self.gx0[first]),
            int(self.gy1[first] - BLOCK * DLAT),
            int(self.gx0[first] + BLOCK * DLON),
            int(self.gy1[first]),
        )

    def comm_full(self, c: int) -> bool:
        return len(self.comm_grids(c)) == self.per_comm

    def town_comms(self, t: int) -> range:
        return range(t * self.cpt, min((t + 1) * self.cpt, self.n_comm))

    def town_full(self, t: int) -> bool:
        comms = self.town_comms(t)
        return len(comms) == self.cpt and self.comm_full(comms[-1])

    def town_bounds(self, t: int) -> tuple[int, int, int, int]:
        x0 = self.x0 + (t % self.tx) * self.cx * BLOCK * DLON
        y1 = self.ytop - (t // self.tx) * self.cy * BLOCK * DLAT
        return x0, y1 - self.cy * BLOCK * DLAT, x0 + self.cx * BLOCK * DLON, y1


def _union_coords(boxes: list[tuple[int, int, int, int]]):
    geom = shapely.union_all([shapely.box(*(_deg(v) for v in b)) for b in boxes], grid_size=common.GRID_SIZE)
    return geom


def _area_feature(code: str, name: str, parent: str | None, coords_or_geom) -> dict:
    geometry = (
        {"type": "MultiPolygon", "coordinates": coords_or_geom}
        if isinstance(coords_or_geom, list)
        else common.multipolygon_geojson(coords_or_geom)
    )
    return common.feature({"code": code, "name": name, "parent_code": parent}, geometry)


class _Labels(NamedTuple):
    """Codes and names of every township, community and grid of a layout."""

    town_codes: list[str]
    town_names: list[str]
    comm_codes: list[str]
    comm_names: list[str]
    grid_codes: list[str]
    grid_names: list[str]


def synthesize(out_dir: pathlib.Path, *, grids: int, events: int = 0, seed: int = 1) -> dict[str, int]:
    """Write a synthetic jurisdiction with about `grids` grids (exactly is fine) in the same format."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    L = _Layout(int(grids))
    lb = _labels(L, seed)
    n, county = _write_areas(out_dir, L, lb)

    # People and static content.
    sampler = common.rect_sampler(L.gx0 / SCALE, L.gy0 / SCALE, L.gx1 / SCALE, L.gy1 / SCALE)
    n["teams"] = common.write_json_list(out_dir / "teams.json", common.teams(lb.grid_codes, lb.grid_names))
    n["members"] = common.write_json_list(out_dir / "members.json", common.members(lb.grid_codes, sampler, seed))
    n.update(common.write_static(out_dir, COUNTY_CODE, COUNTY_NAME, list(zip(lb.town_codes, lb.town_names)), seed))

    n.update(_write_roads_and_devices(out_dir, L, lb, county, seed))
    n["events"] = common.write_jsonl(out_dir / "events.jsonl", common.events(int(events), lb.grid_names, sampler, seed))
    common.write_manifest(
        out_dir,
        county_code=COUNTY_CODE,
        name=COUNTY_NAME,
        generated_by="gisapp demo synth",
        seed=seed,
        counts=n,
        extra={"requested_grids": int(grids)},
    )
    return n


def _labels(L: _Layout, seed: int) -> _Labels:
    """Seeded place names and the lattice codes of every area."""
    town_names = [p + "街道" for p in names.place_names(names.rng_for(seed, "township-names"), L.n_town)]
    comm_names = [p + "社区" for p in names.place_names(names.rng_for(seed, "community-names"), L.n_comm)]
    comm_codes = [L.community_code(c) for c in range(L.n_comm)]
    comms, serials = L.comm.tolist(), L.serial.tolist()
    return _Labels(
        town_codes=[L.township_code(t) for t in range(L.n_town)],
        town_names=town_names,
        comm_codes=comm_codes,
        comm_names=comm_names,
        grid_codes=[f"{comm_codes[c]}{s:03d}" for c, s in zip(comms, serials)],
        grid_names=[f"{comm_names[c]}第{s}网格" for c, s in zip(comms, serials)],
    )


# ------------------------------------------------------------------------------------- areas


def _write_areas(out_dir: pathlib.Path, L: _Layout, lb: _Labels) -> tuple[dict[str, int], object]:
    """Write grids, communities, townships and county; return their counts and the county shape."""
    # Filled while the features are streamed out: the partial communities' shapes are reused
    # for their townships, and the township shapes make up the county.
    partial_comms: dict[int, object] = {}
    town_shapes: list = []
    n = {"grids": common.write_geojson(out_dir / "grids.geojson", _grid_features(L, lb))}
    n["communities"] = common.write_geojson(out_dir / "communities.geojson", _community_features(L, lb, partial_comms))
    n["townships"] = common.write_geojson(
        out_dir / "townships.geojson", _township_features(L, lb, partial_comms, town_shapes)
    )
    county = shapely.union_all(town_shapes, grid_size=common.GRID_SIZE)
    n["county"] = common.write_geojson(
        out_dir / "county.geojson", [_area_feature(COUNTY_CODE, COUNTY_NAME, None, county)]
    )
    return n, county


def _grid_features(L: _Layout, lb: _Labels) -> Iterator[dict]:
    """Every grid as its lattice rectangle."""
    for i in range(L.n_grids):
        yield _area_feature(
            lb.grid_codes[i], lb.grid_names[i], lb.comm_codes[L.comm[i]], _rect(L.gx0[i], L.gy0[i], L.gx1[i], L.gy1[i])
        )


def _community_features(L: _Layout, lb: _Labels, partial: dict[int, object]) -> Iterator[dict]:
    """Every community; the shapes of partial ones (not a full block) are stored in ``partial``."""
    for c in range(L.n_comm):
        t = c // L.cpt
        if L.comm_full(c):
            geom = _rect(*L.comm_bounds(c))
        else:
            geom = _union_coords(
                [(int(L.gx0[i]), int(L.gy0[i]), int(L.gx1[i]), int(L.gy1[i])) for i in L.comm_grids(c)]
            )
            partial[c] = geom
        yield _area_feature(lb.comm_codes[c], lb.comm_names[c], lb.town_codes[t], geom)


def _township_features(L: _Layout, lb: _Labels, partial_comms: dict[int, object], town_shapes: list) -> Iterator[dict]:
    """Every township; each one's shape is appended to ``town_shapes``."""
    for t in range(L.n_town):
        if L.town_full(t):
            b = L.town_bounds(t)
            geom = _rect(*b)
            town_shapes.append(shapely.box(*(_deg(v) for v in b)))
        else:
            parts = [
                partial_comms[c] if c in partial_comms else shapely.box(*(_deg(v) for v in L.comm_bounds(c)))
                for c in L.town_comms(t)
            ]
            geom = shapely.union_all(parts, grid_size=common.GRID_SIZE)
            town_shapes.append(geom)
        yield _area_feature(lb.town_codes[t], lb.town_names[t], COUNTY_CODE, geom)


# ---------------------------------------------------------------- roads, locations, cameras


def _write_roads_and_devices(out_dir: pathlib.Path, L: _Layout, lb: _Labels, county, seed: int) -> dict[str, int]:
    """Write key roads, key locations and cameras; return their counts."""
    road_feats, _road_lines = _roads(L, county, seed)
    loc_feats, loc_points = _locations(L, lb.town_codes, lb.town_names)
    return {
        "key_roads": common.write_geojson(out_dir / "key_roads.geojson", road_feats),
        "key_locations": common.write_geojson(out_dir / "key_locations.geojson", loc_feats),
        "cameras": common.write_geojson(out_dir / "cameras.geojson", _cameras(L, lb.comm_names, loc_points, seed)),
    }


def _roads(L: _Layout, county, seed: int) -> tuple[list[dict], list]:
    """Straight key roads along the middle of lattice rows (路) and columns (大道)."""
    cols = L.tx * L.cx * BLOCK
    rows = L.ty * L.cy * BLOCK
    nh = min(40, max(2, round(rows / 30)))
    nv = min(40, max(2, round(cols / 30)))
    road_names = names.place_names(names.rng_for(seed, "road-names"), nh + nv)
    x_min, x_max = _deg(L.x0), _deg(L.x0 + cols * DLON)
    y_max, y_min = _deg(L.ytop), _deg(L.ytop - rows * DLAT)
    specs = []
    for k in range(nh):
        r = int((k + 0.5) * rows / nh)
        y = (L.ytop - r * DLAT - DLAT // 2) / SCALE
        specs.append((f"{road_names[k]}路", shapely.LineString([(x_min, y), (x_max, y)])))
    for k in range(nv):
        c = int((k + 0.5) * cols / nv)
        x = (L.x0 + c * DLON + DLON // 2) / SCALE
        specs.append((f"{road_names[nh + k]}大道", shapely.LineString([(x, y_max), (x, y_min)])))
    feats, lines = [], []
    for name, line in specs:
        clipped = shapely.intersection(line, county)
        clipped = shapely.line_merge(clipped) if clipped.geom_type == "MultiLineString" else clipped
        if clipped.is_empty or clipped.geom_type not in ("LineString", "MultiLineString"):
            continue
        i = len(feats)
        road_class = "trunk" if i % 4 == 0 else ("primary" if i % 2 == 0 else "secondary")
        feats.append(
            common.feature(
                {
                    "code": f"R{i + 1:03d}",
                    "name": name,
                    "road_class": road_class,
                    "length_m": round(abs(_GEOD.geometry_length(clipped)), 1),
                },
                common.line_geojson(clipped),
            )
        )
        lines.append(clipped)
    return feats, lines


def _locations(L: _Layout, town_codes: list[str], town_names: list[str]):
    """One key location per township, at the centre of its middle community's middle grid."""
    feats, points = [], []
    for t in range(L.n_town):
        comms = L.town_comms(t)
        c = comms[len(comms) // 2]
        grids = L.comm_grids(c)
        g = grids[len(grids) // 2]
        x = (int(L.gx0[g]) + int(L.gx1[g])) // 2 / SCALE
        y = (int(L.gy0[g]) + int(L.gy1[g])) // 2 / SCALE
        kind, suffix, risk = _LOCATION_KINDS[t % len(_LOCATION_KINDS)]
        short = town_names[t].removesuffix("街道")
        name = town_names[t] + suffix if kind == "government" else short + suffix
        feats.append(
            common.feature(
                {"code": f"L{t + 1:03d}", "name": name, "kind": kind, "risk_level": risk}, common.point_geojson(x, y)
            )
        )
        points.append((name, x, y))
    return feats, points


def _cameras(L: _Layout, comm_names: list[str], loc_points, seed: int):
    """One camera per 5 grids near a grid corner (every other one an all-round dome) plus two
    at each key location."""
    rng = names.rng_for(seed, "cameras")
    picks = np.arange(0, L.n_grids, 5)
    n_loc = len(loc_points)
    total = len(picks) + 2 * n_loc
    online = rng.random(total) < 0.95
    az = rng.integers(0, 360, size=total)
    feats = []
    serial = 0
    dx, dy = 8 / (common.M_PER_DEG_LON_EQ * math.cos(math.radians(32))), 8 / common.M_PER_DEG_LAT
    per_comm: dict[int, int] = {}
    for g in picks.tolist():
        c = int(L.comm[g])
        per_comm[c] = per_comm.get(c, 0) + 1
        x = common.rnd(L.gx0[g] / SCALE + dx)
        y = common.rnd(L.gy0[g] / SCALE + dy)
        dome = serial % 2 == 0
        a = 0 if dome else int(az[serial])
        label = "全景" if dome else common.direction_name(a) + "向"
        feats.append(
            common.camera_feature(
                COUNTY_CODE,
                serial + 1,
                f"{comm_names[c]}{per_comm[c]}号点位-{label}",
                x,
                y,
                a,
                360 if dome else 90,
                100 if dome else 150,
                bool(online[serial]),
            )
        )
        serial += 1
    for name, x, y in loc_points:
        for k, (ex, ny) in enumerate(((-60.0, -40.0), (60.0, 40.0))):
            lon, lat = common.offset(x, y, ex, ny)
            a = common.azimuth(lon, lat, x, y)
            feats.append(
                common.camera_feature(
                    COUNTY_CODE,
                    serial + 1,
                    f"{name}周边{k + 1}号-{common.direction_name(a)}向",
                    lon,
                    lat,
                    a,
                    90,
                    200,
                    bool(online[serial]),
                )
            )
            serial += 1
    feats.sort(key=lambda f: f["properties"]["device_id"])
    return feats
