"""Shared pieces of the demo and synthetic builders: file writers, teams and members, cameras,
events and the manifest. Nothing here reads the clock: all times derive from
:data:`gisapp.demo.catalogue.BASE_TIME`, all randomness from explicit seeds.
"""

from __future__ import annotations

import calendar
import json
import math
import pathlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import shapely

from . import catalogue, names

PRECISION = 7  # decimals kept in every coordinate (about 1 cm)
GRID_SIZE = 1e-7
BASE_EPOCH = calendar.timegm(time.strptime(catalogue.BASE_TIME, "%Y-%m-%dT%H:%M:%SZ"))
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQ = 111_320.0

# A sampler returns, for an array of grid indices, points strictly inside those grids.
Sampler = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------------- formatting


def iso(epoch_seconds: int) -> str:
    """UTC ISO 8601 timestamp with a Z suffix, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch_seconds)))


def dumps(obj) -> str:
    """Compact, key-sorted, UTF-8 JSON for one record."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def rnd(v: float) -> float:
    """A coordinate rounded to the shared precision."""
    return round(float(v), PRECISION)


def polygon_coords(poly: shapely.Polygon) -> list:
    """GeoJSON rings (exterior first) of one polygon, rounded."""
    return [[[rnd(x), rnd(y)] for x, y in ring.coords] for ring in (poly.exterior, *poly.interiors)]


def multipolygon_geojson(geom) -> dict:
    """GeoJSON MultiPolygon (exterior rings counter-clockwise, holes clockwise, RFC 7946)."""
    geom = shapely.orient_polygons(geom)
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    return {"type": "MultiPolygon", "coordinates": [polygon_coords(p) for p in polys]}


def line_geojson(geom) -> dict:
    """GeoJSON MultiLineString (always multi, like the areas, so one column type fits all)."""
    return {
        "type": "MultiLineString",
        "coordinates": [[[rnd(x), rnd(y)] for x, y in g.coords] for g in shapely.get_parts(geom)],
    }


def point_geojson(x: float, y: float) -> dict:
    """GeoJSON Point, rounded."""
    return {"type": "Point", "coordinates": [rnd(x), rnd(y)]}


def feature(properties: dict, geometry: dict) -> dict:
    """A GeoJSON Feature."""
    return {"type": "Feature", "properties": properties, "geometry": geometry}


# ------------------------------------------------------------------------------------ writers


def write_text(path: pathlib.Path, text: str) -> None:
    """UTF-8 text, byte for byte (no newline translation)."""
    path.write_bytes(text.encode("utf-8"))


def write_json(path: pathlib.Path, obj) -> None:
    """A small document, pretty-printed."""
    write_text(path, json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2) + "\n")


def _write_array(path: pathlib.Path, items: Iterable[dict], opening: str, closing: str) -> int:
    """Stream ``items`` one per line between ``opening`` and ``closing``; return their number."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(opening)
        for item in items:
            fh.write(",\n" if n else "\n")
            fh.write(dumps(item))
            n += 1
        fh.write(("\n" if n else "") + closing)  # an empty array stays on one line: "[]"
    return n


def write_json_list(path: pathlib.Path, items: Iterable[dict]) -> int:
    """A JSON list with one record per line, streamed. Returns the number of records."""
    return _write_array(path, items, "[", "]\n")


def write_jsonl(path: pathlib.Path, items: Iterable[dict]) -> int:
    """One JSON record per line (JSON Lines), streamed. Returns the number of records."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            fh.write(dumps(item))
            fh.write("\n")
            n += 1
    return n


def write_geojson(path: pathlib.Path, features: Iterable[dict]) -> int:
    """A GeoJSON FeatureCollection with one feature per line, streamed."""
    return _write_array(path, features, '{"type":"FeatureCollection","features":[', "]}\n")


def write_static(
    out_dir: pathlib.Path, county_code: str, county_name: str, townships: Sequence[tuple[str, str]], seed: int
) -> dict[str, int]:
    """centers.json, departments.json and categories.json."""
    centers = catalogue.centers(county_code, county_name, list(townships), seed)
    departments = catalogue.departments(county_name, seed)
    cats = catalogue.categories_document()
    write_json_list(out_dir / "centers.json", centers)
    write_json_list(out_dir / "departments.json", departments)
    write_json(out_dir / "categories.json", cats)
    return {"centers": len(centers), "departments": len(departments), "categories": len(cats["categories"])}


def write_manifest(
    out_dir: pathlib.Path,
    *,
    county_code: str,
    name: str,
    generated_by: str,
    seed: int,
    counts: dict[str, int],
    extra: dict | None = None,
) -> None:
    """manifest.json: county, CRS, generator, seed, counts per file and any extra keys."""
    doc = {
        "county_code": county_code,
        "name": name,
        "crs": "EPSG:4326",
        "generated_by": generated_by,
        "seed": seed,
        "counts": dict(sorted(counts.items())),
    }
    if extra:
        doc.update(extra)
    write_json(out_dir / "manifest.json", doc)


# ---------------------------------------------------------------------------------- sampling


def polygon_sampler(polys: Sequence) -> Sampler:
    """Points strictly inside arbitrary polygons (rejection sampling, after rounding)."""
    prepared = list(polys)
    for p in prepared:
        shapely.prepare(p)
    bounds = [p.bounds for p in prepared]

    def sample(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        xs = np.empty(len(idx))
        ys = np.empty(len(idx))
        for gi in np.unique(idx).tolist():
            where = np.flatnonzero(idx == gi)
            x0, y0, x1, y1 = bounds[gi]
            got_x: list[float] = []
            got_y: list[float] = []
            while len(got_x) < len(where):
                cx = np.round(rng.uniform(x0, x1, 64), PRECISION)
                cy = np.round(rng.uniform(y0, y1, 64), PRECISION)
                ok = shapely.contains_xy(prepared[gi], cx, cy)
                got_x.extend(cx[ok].tolist())
                got_y.extend(cy[ok].tolist())
            xs[where] = got_x[: len(where)]
            ys[where] = got_y[: len(where)]
        return xs, ys

    return sample


def rect_sampler(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, margin: float = 0.02) -> Sampler:
    """Points strictly inside axis-aligned rectangles (keeping ``margin`` of the width off edges)."""

    def sample(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        u = margin + (1 - 2 * margin) * rng.random(len(idx))
        v = margin + (1 - 2 * margin) * rng.random(len(idx))
        xs = x0[idx] + u * (x1[idx] - x0[idx])
        ys = y0[idx] + v * (y1[idx] - y0[idx])
        return np.round(xs, PRECISION), np.round(ys, PRECISION)

    return sample


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """Move a point by a few metres (local equirectangular approximation)."""
    return (lon + east_m / (M_PER_DEG_LON_EQ * math.cos(math.radians(lat))), lat + north_m / M_PER_DEG_LAT)


_DIRS = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")


def direction_name(azimuth_deg: float) -> str:
    """The nearest of the eight compass directions, in Chinese."""
    return _DIRS[int(((azimuth_deg % 360) + 22.5) // 45) % 8]


def azimuth(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Approximate bearing from point 0 to point 1, degrees clockwise from north."""
    dx = (lon1 - lon0) * math.cos(math.radians((lat0 + lat1) / 2))
    dy = lat1 - lat0
    return math.degrees(math.atan2(dx, dy)) % 360


# --------------------------------------------------------------------------- teams & members

_OTHER_ROLES = ("grid_officer", "police", "urban_inspector", "volunteer")
_OTHER_ROLE_P = (0.25, 0.3, 0.25, 0.2)
_STATUSES = ("on_duty", "on_patrol", "busy", "off_duty")
_STATUS_P = (0.45, 0.35, 0.1, 0.1)


def teams(grid_codes: Sequence[str], grid_names: Sequence[str]) -> Iterator[dict]:
    """One 联勤队 per grid, led by its member 01."""
    for code, name in zip(grid_codes, grid_names):
        yield {"code": "T" + code, "name": name + "联勤队", "grid_code": code, "leader_member_code": "M" + code + "01"}


def members(grid_codes: Sequence[str], sampler: Sampler, seed: int) -> Iterator[dict]:
    """3-6 members per grid's team; member 01 is the 网格长, member 02 a 专职网格员."""
    rng = names.rng_for(seed, "members")
    n_grids = len(grid_codes)
    per = rng.integers(3, 7, size=n_grids)
    total = int(per.sum())
    team = np.repeat(np.arange(n_grids), per)
    starts = np.cumsum(per) - per
    serial = np.arange(total) - np.repeat(starts, per) + 1
    roles = rng.choice(len(_OTHER_ROLES), size=total, p=_OTHER_ROLE_P)
    roles[serial == 2] = 0
    status = rng.choice(len(_STATUSES), size=total, p=_STATUS_P)
    hidden = (status == 3) & (rng.random(total) < 0.5)  # half of those off duty: no position
    ago = rng.integers(0, 30 * 60, size=total)
    people = names.person_names(rng, total)
    phones = names.mobiles(rng, total)
    xs, ys = sampler(team, rng)
    for i in range(total):
        code = grid_codes[team[i]]
        s = int(serial[i])
        pos = None if hidden[i] else [float(xs[i]), float(ys[i])]
        yield {
            "code": f"M{code}{s:02d}",
            "team_code": "T" + code,
            "name": people[i],
            "role": "grid_leader" if s == 1 else _OTHER_ROLES[roles[i]],
            "phone": phones[i],
            "duty_status": _STATUSES[status[i]],
            "position": pos,
            "position_at": None if pos is None else iso(BASE_EPOCH - int(ago[i])),
        }


# ------------------------------------------------------------------------------------ cameras


def camera_id(county_code: str, type_code: str, serial: int) -> str:
    """20-digit GB/T 28181 style id: centre (county + '00'), industry '00', type, net '0', serial."""
    if not 1 <= serial <= 999_999:
        raise ValueError("camera serial out of range")
    return f"{county_code}00" + "00" + type_code + "0" + f"{serial:06d}"


def camera_feature(
    county_code: str,
    serial: int,
    name: str,
    lon: float,
    lat: float,
    azimuth_deg: float,
    fov: int,
    range_m: int,
    online: bool,
) -> dict:
    """A camera as a GeoJSON Point feature (dome if fov is 360)."""
    return feature(
        {
            "device_id": camera_id(county_code, "131" if fov == 360 else "132", serial),
            "name": name,
            "azimuth_deg": int(round(azimuth_deg)) % 360,
            "fov_deg": int(fov),
            "range_m": int(range_m),
            "online": bool(online),
        },
        point_geojson(lon, lat),
    )


# ------------------------------------------------------------------------------------- events

_CHANNEL_P = (0.4, 0.2, 0.2, 0.12, 0.08)
_PRIORITY_WEIGHT = {"urgent": 1.0, "high": 2.0, "normal": 4.0, "low": 4.0}
_DESCRIPTIONS = (
    "{place}发现{cat}，请核实处置。",
    "群众反映{place}附近存在{cat}问题。",
    "{place}网格员巡查上报：{cat}。",
    "{place}一带{cat}，现场需要协调处理。",
)


def events(n: int, grid_names: Sequence[str], sampler: Sampler, seed: int, days: int = 90) -> Iterator[dict]:
    """``n`` historical events in ``days`` days before the base time, oldest first."""
    if n <= 0:
        return
    rng = names.rng_for(seed, "events")
    cats = catalogue.categories()
    w = np.array([_PRIORITY_WEIGHT[c["priority"]] for c in cats])
    cat = rng.choice(len(cats), size=n, p=w / w.sum())
    channel = rng.choice(len(catalogue.CHANNELS), size=n, p=_CHANNEL_P)
    grid = rng.integers(0, len(grid_names), size=n)
    ago = np.sort(rng.integers(60, days * 86_400, size=n))[::-1]
    tmpl = rng.integers(0, len(_DESCRIPTIONS), size=n)
    recent_open = ago < 2 * 86_400
    dispatched = recent_open | (rng.random(n) < 0.03)
    xs, ys = sampler(grid, rng)
    for i in range(n):
        c = cats[cat[i]]
        yield {
            "client_ref": f"synth-{i + 1}",
            "category": c["code"],
            "channel": catalogue.CHANNELS[channel[i]],
            "description": _DESCRIPTIONS[tmpl[i]].format(place=grid_names[grid[i]], cat=c["name"]),
            "location": [float(xs[i]), float(ys[i])],
            "created_at": iso(BASE_EPOCH - int(ago[i])),
            "status": "dispatched" if dispatched[i] else "closed",
        }
