"""Checks of a generated layer directory (demo or synthetic), used by the tests: does every level tile its parent?

``tiling_report(out_dir)`` reads the four area layers back from disk and, for each
parent/child level, measures in square degrees:

* ``max_rel_area_error``: max over parents of |sum(child areas) - parent area| / parent area
* ``max_overlap_area``: the largest intersection area of two children of the same parent
* ``max_symdiff_area``: max over parents of area(union(children) XOR parent) (gaps + spill)

plus counts of invalid geometries, children whose parent is missing and childless parents.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections import defaultdict
from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry import shape

from gisapp.demo import catalogue

LEVELS = ("county", "townships", "communities", "grids")


def read_features(path: pathlib.Path) -> list[dict]:
    """The features of a GeoJSON FeatureCollection file."""
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["features"]


def read_layer(out_dir: pathlib.Path, name: str) -> tuple[list[dict], np.ndarray]:
    """Properties and shapely geometries of one area layer."""
    feats = read_features(pathlib.Path(out_dir) / f"{name}.geojson")
    return [f["properties"] for f in feats], np.array([shape(f["geometry"]) for f in feats])


def _pair_report(parents: tuple[list[dict], np.ndarray], children: tuple[list[dict], np.ndarray]) -> dict:
    pprops, pgeoms = parents
    cprops, cgeoms = children
    by_parent: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(cprops):
        by_parent[p["parent_code"]].append(i)
    parent_index = {p["code"]: i for i, p in enumerate(pprops)}
    orphans = sum(len(v) for k, v in by_parent.items() if k not in parent_index)
    childless = sum(1 for p in pprops if p["code"] not in by_parent)

    # Overlaps between siblings, with one STRtree over all children.
    tree = shapely.STRtree(cgeoms)
    a, b = tree.query(cgeoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    same = np.array(
        [cprops[i]["parent_code"] == cprops[j]["parent_code"] for i, j in zip(a.tolist(), b.tolist())], dtype=bool
    )
    if len(a):
        a, b = a[same], b[same]
    overlap = shapely.area(shapely.intersection(cgeoms[a], cgeoms[b])) if len(a) else np.zeros(0)

    child_area = shapely.area(cgeoms)
    rel, sym = 0.0, 0.0
    for code, idx in by_parent.items():
        if code not in parent_index:
            continue
        pg = pgeoms[parent_index[code]]
        rel = max(rel, abs(float(child_area[idx].sum()) - pg.area) / pg.area)
        union = shapely.union_all(cgeoms[idx])
        sym = max(sym, shapely.area(shapely.symmetric_difference(union, pg)))
    return {
        "parents": len(pprops),
        "children": len(cprops),
        "max_rel_area_error": rel,
        "max_overlap_area": float(overlap.max()) if len(overlap) else 0.0,
        "max_symdiff_area": float(sym),
        "invalid": int((~shapely.is_valid(cgeoms)).sum()),
        "multipart": int((shapely.get_num_geometries(cgeoms) > 1).sum()),
        "orphans": orphans,
        "childless": childless,
    }


def tiling_report(out_dir: pathlib.Path) -> dict[str, dict]:
    """The tiling measures for each parent/child pair of area levels."""
    layers = {name: read_layer(out_dir, name) for name in LEVELS}
    return {f"{p}/{c}": _pair_report(layers[p], layers[c]) for p, c in zip(LEVELS, LEVELS[1:])}


# ------------------------------------------------------------------------- record consistency

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_MOBILE = re.compile(r"^1\d{10}$")
_LANDLINE = re.compile(r"^0\d{2,3}-\d{7,8}$")


def _read_json(path: pathlib.Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _read_jsonl(path: pathlib.Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


Report = Callable[[str], None]  # records one problem message


def record_problems(out_dir: pathlib.Path, *, max_problems: int = 50) -> list[str]:
    """Every inconsistency found between the files of ``out_dir`` (empty list = all good)."""
    out_dir = pathlib.Path(out_dir)
    problems: list[str] = []

    def bad(msg: str) -> None:
        if len(problems) < max_problems:
            problems.append(msg)

    layers = {name: read_layer(out_dir, name) for name in LEVELS}
    codes = _check_area_codes(layers, bad)
    ccode = codes["county"][0]
    (county,) = layers["county"][1]
    grid_props, grid_geoms = layers["grids"]
    # Prepared once here: the member, camera and event checks all test points against them.
    for g in grid_geoms:
        shapely.prepare(g)
    shapely.prepare(county)
    grid_geom = {p["code"]: g for p, g in zip(grid_props, grid_geoms)}

    teams, members = _check_people(out_dir, codes["grids"], grid_geom, bad)
    cats, departments, centers = _check_static(out_dir, ccode, codes["townships"], bad)
    roads, locations, cams = _check_roads_and_devices(out_dir, county, ccode, bad)
    events = _check_events(out_dir, grid_geoms, {c["code"] for c in cats["categories"]}, bad)
    actual = {
        "county": 1,
        "townships": len(codes["townships"]),
        "communities": len(codes["communities"]),
        "grids": len(codes["grids"]),
        "teams": len(teams),
        "members": len(members),
        "centers": len(centers),
        "departments": len(departments),
        "categories": len(cats["categories"]),
        "key_roads": len(roads),
        "key_locations": len(locations),
        "cameras": len(cams),
        "events": len(events),
    }
    _check_manifest(_read_json(out_dir / "manifest.json"), actual, ccode, bad)
    return problems


# Code width per area level; each level's parent code is its own code minus the last 3 digits.
_CODE_WIDTHS = {"townships": 9, "communities": 12, "grids": 15}


def _check_area_codes(layers: dict[str, tuple[list[dict], np.ndarray]], bad: Report) -> dict[str, list[str]]:
    """Check the codes, parents and names of the four area levels; return the codes per level."""
    (cprops,) = layers["county"][0]
    ccode = cprops["code"]
    if not re.fullmatch(r"\d{6}", ccode) or cprops["parent_code"] is not None:
        bad(f"county code/parent {ccode!r}")
    codes: dict[str, list[str]] = {"county": [ccode]}
    for name, width in _CODE_WIDTHS.items():
        props, geoms = layers[name]
        cs = [p["code"] for p in props]
        codes[name] = cs
        if cs != sorted(cs) or len(set(cs)) != len(cs):
            bad(f"{name}: codes not unique and sorted")
        for p, g in zip(props, geoms):
            if not re.fullmatch(rf"\d{{{width}}}", p["code"]) or p["parent_code"] != p["code"][: width - 3]:
                bad(f"{name}: bad code/parent {p['code']} {p['parent_code']}")
            if g.geom_type != "MultiPolygon" or not p.get("name"):
                bad(f"{name}: {p['code']} not a named MultiPolygon")
    for p in layers["grids"][0]:
        serial = int(p["code"][-3:])
        if not 1 <= serial <= 999:
            bad(f"grid serial {p['code']}")
    return codes


def _check_people(
    out_dir: pathlib.Path, grid_codes: list[str], grid_geom: dict[str, object], bad: Report
) -> tuple[list[dict], list[dict]]:
    """Check teams.json and members.json; return both."""
    teams = _read_json(out_dir / "teams.json")
    members = _read_json(out_dir / "members.json")
    if [t["grid_code"] for t in teams] != grid_codes:
        bad("teams: not exactly one per grid, in grid order")
    member_codes = [m["code"] for m in members]
    if len(set(member_codes)) != len(member_codes):
        bad("members: duplicate codes")
    _check_teams(teams, members, bad)
    team_codes = {t["code"] for t in teams}
    for m in members:
        _check_member(m, team_codes, grid_geom, bad)
    return teams, members


def _check_teams(teams: list[dict], members: list[dict], bad: Report) -> None:
    """Each team: code and name follow its grid, 3-6 members and exactly its one leader."""
    by_team: dict[str, list[dict]] = defaultdict(list)
    for m in members:
        by_team[m["team_code"]].append(m)
    for t in teams:
        if t["code"] != "T" + t["grid_code"] or not t["name"].endswith("联勤队"):
            bad(f"team {t['code']}: bad code/name")
        ms = by_team.get(t["code"], [])
        leaders = [m for m in ms if m["role"] == "grid_leader"]
        if not 3 <= len(ms) <= 6 or len(leaders) != 1 or leaders[0]["code"] != t["leader_member_code"]:
            bad(f"team {t['code']}: {len(ms)} members, {len(leaders)} leaders")


def _check_member(m: dict, team_codes: set[str], grid_geom: dict[str, object], bad: Report) -> None:
    """One member: known team, valid fields, and a position inside the team's grid (if any)."""
    if m["team_code"] not in team_codes or not m["code"].startswith("M" + m["team_code"][1:]):
        bad(f"member {m['code']}: unknown team / bad code")
        return  # without a valid team there is no grid to check the position against
    if m["role"] not in catalogue.ROLES or m["duty_status"] not in catalogue.DUTY_STATUSES:
        bad(f"member {m['code']}: bad role/status")
    if not _MOBILE.match(m["phone"]) or not m["name"]:
        bad(f"member {m['code']}: bad phone/name")
    pos = m["position"]
    if pos is None:
        if m["duty_status"] != "off_duty" or m["position_at"] is not None:
            bad(f"member {m['code']}: null position while {m['duty_status']}")
        return
    if not shapely.contains_xy(grid_geom[m["team_code"][1:]], pos[0], pos[1]):
        bad(f"member {m['code']}: position {pos} outside its grid")
    if not _ISO.match(m["position_at"] or ""):
        bad(f"member {m['code']}: bad position_at")


def _check_static(
    out_dir: pathlib.Path, ccode: str, township_codes: list[str], bad: Report
) -> tuple[dict, list[dict], list[dict]]:
    """Check categories, departments and centres; return them."""
    cats = _read_json(out_dir / "categories.json")
    departments = _read_json(out_dir / "departments.json")
    dept_codes = _check_departments(departments, bad)
    _check_categories(cats, dept_codes, bad)
    centers = _read_json(out_dir / "centers.json")
    expected = [(f"{ccode}-C", "county", ccode)] + [(f"{t}-C", "township", t) for t in township_codes]
    if [(c["code"], c["level"], c["area_code"]) for c in centers] != expected:
        bad("centers: not one county centre plus one per township")
    return cats, departments, centers


def _check_departments(departments: list[dict], bad: Report) -> set[str]:
    """Unique codes and complete contact details; return the department codes."""
    dept_codes = {d["code"] for d in departments}
    if len(dept_codes) != len(departments):
        bad("departments: duplicate codes")
    for d in departments:
        if not (
            _LANDLINE.match(d["duty_phone"])
            and _MOBILE.match(d["leader"]["phone"])
            and _MOBILE.match(d["liaison"]["phone"])
            and d["leader"]["name"]
            and d["name"]
        ):
            bad(f"department {d['code']}: incomplete")
    return dept_codes


def _check_categories(cats: dict, dept_codes: set[str], bad: Report) -> None:
    """Kinds as in the catalogue; each category of a known kind and department, sane limits."""
    kinds = [k["code"] for k in cats["kinds"]]
    if kinds != [k["code"] for k in catalogue.KINDS]:
        bad("categories: kinds differ from the catalogue")
    cat_codes = {c["code"] for c in cats["categories"]}
    if len(cat_codes) != len(cats["categories"]):
        bad("categories: duplicate codes")
    for c in cats["categories"]:
        if c["kind"] not in kinds or not c["code"].startswith(c["kind"] + "."):
            bad(f"category {c['code']}: bad kind")
        if c["department"] not in dept_codes:
            bad(f"category {c['code']}: unknown department {c['department']}")
        if c["priority"] not in catalogue.PRIORITIES or c["level"] not in (1, 2):
            bad(f"category {c['code']}: bad priority/level")
        if not 0 < c["response_minutes"] < c["handling_minutes"]:
            bad(f"category {c['code']}: bad time limits")
        unit, amount = c.get("handling_unit", "minutes"), c.get("handling_amount")
        if (
            unit not in ("minutes", "work_hours", "work_days")
            or (unit == "minutes") != (amount is None)
            or (amount is not None and not amount > 0)
        ):
            bad(f"category {c['code']}: bad handling unit {unit} / amount {amount}")


def _check_roads_and_devices(
    out_dir: pathlib.Path, county, ccode: str, bad: Report
) -> tuple[list[dict], list[dict], list[dict]]:
    """Roads, key locations and cameras lie in the county; return the three feature lists."""
    roads = read_features(out_dir / "key_roads.geojson")
    locations = read_features(out_dir / "key_locations.geojson")
    inside = county.buffer(1e-7)  # tolerate the 1e-7 degree snapping of the written boundary
    for name, feats in (("key_roads", roads), ("key_locations", locations)):
        for f in feats:
            if not inside.covers(shape(f["geometry"])):
                bad(f"{name}: {f['properties']['code']} outside the county")
    for f in roads:
        if not f["properties"]["length_m"] > 0 or f["properties"]["road_class"] not in (
            "trunk",
            "primary",
            "secondary",
        ):
            bad(f"road {f['properties']['code']}: bad length/class")
    cams = read_features(out_dir / "cameras.geojson")
    _check_cameras(cams, county, ccode, bad)
    return roads, locations, cams


def _check_cameras(cams: list[dict], county, ccode: str, bad: Report) -> None:
    """Unique sorted GB/T 28181 ids of this county, inside it, with plausible properties."""
    ids = [f["properties"]["device_id"] for f in cams]
    if len(set(ids)) != len(ids) or ids != sorted(ids):
        bad("cameras: device ids not unique and sorted")
    for f in cams:
        p = f["properties"]
        x, y = f["geometry"]["coordinates"]
        if not re.fullmatch(rf"{ccode}0000(131|132)0\d{{6}}", p["device_id"]):
            bad(f"camera {p['device_id']}: bad id")
        if not shapely.contains_xy(county, x, y):
            bad(f"camera {p['device_id']}: outside the county")
        if not (
            0 <= p["azimuth_deg"] <= 359
            and p["fov_deg"] in (60, 90, 120, 360)
            and 50 <= p["range_m"] <= 200
            and isinstance(p["online"], bool)
            and p["name"]
        ):
            bad(f"camera {p['device_id']}: bad properties")


def _check_events(out_dir: pathlib.Path, grid_geoms: np.ndarray, cat_codes: set[str], bad: Report) -> list[dict]:
    """Events strictly inside a grid, with unique refs and valid fields; return them."""
    events = _read_jsonl(out_dir / "events.jsonl")
    if events:
        tree = shapely.STRtree(grid_geoms)
        pts = shapely.points(np.array([e["location"] for e in events], dtype=float))
        ei, _gi = tree.query(pts, predicate="within")
        inside_any = np.zeros(len(events), dtype=bool)
        inside_any[ei] = True
        for i in np.flatnonzero(~inside_any)[:10].tolist():
            bad(f"event {events[i]['client_ref']}: not strictly inside a grid")
    refs = [e["client_ref"] for e in events]
    if len(set(refs)) != len(refs):
        bad("events: duplicate client_ref")
    for e in events:
        if (
            e["category"] not in cat_codes
            or e["channel"] not in catalogue.CHANNELS
            or e["status"] not in ("closed", "dispatched")
            or not _ISO.match(e["created_at"])
            or not e["description"]
        ):
            bad(f"event {e['client_ref']}: bad fields")
    return events


def _check_manifest(manifest: dict, actual: dict[str, int], ccode: str, bad: Report) -> None:
    """The manifest's counts, county code and CRS match the files."""
    if manifest["counts"] != actual or manifest["county_code"] != ccode or manifest["crs"] != "EPSG:4326":
        bad(f"manifest: {manifest['counts']} != {actual}")
