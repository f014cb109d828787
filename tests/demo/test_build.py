"""The committed demo county (layers/demo) and its builder. No database needed."""

import csv
import json
import pathlib
import re

import pytest
import shapely
from shapely.geometry import shape

from gisapp.demo import catalogue
from gisapp.demo.build import build
from tests.demo import layer_checks as verify

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "layers" / "demo"
SOURCE = ROOT / "layers" / "source" / "nanjing"
TOL_AREA = 1e-14  # square degrees, about 1e-4 m2


def _csv(name):
    with (SOURCE / name).open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["areaCode"] == "320102"]


def _features(name):
    return verify.read_features(DEMO / f"{name}.geojson")


@pytest.fixture(scope="module")
def report():
    return verify.tiling_report(DEMO)


@pytest.mark.parametrize("pair", ["county/townships", "townships/communities", "communities/grids"])
def test_children_tile_parent_exactly(report, pair):
    r = report[pair]
    assert r["max_rel_area_error"] <= 1e-9
    assert r["max_overlap_area"] <= TOL_AREA
    assert r["max_symdiff_area"] <= TOL_AREA
    assert r["invalid"] == 0 and r["orphans"] == 0 and r["childless"] == 0
    assert r["multipart"] == 0  # every area is one connected piece


def test_no_overlap_between_any_two_grids():
    geoms = [shape(f["geometry"]) for f in _features("grids")]
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    areas = shapely.area(shapely.intersection([geoms[i] for i in a[keep]], [geoms[j] for j in b[keep]]))
    assert areas.max() <= TOL_AREA


def test_counts(report):
    assert report["county/townships"]["children"] == 8
    assert report["townships/communities"]["children"] == 61
    assert 300 <= report["communities/grids"]["children"] <= 600
    per_comm = {}
    for f in _features("grids"):
        per_comm[f["properties"]["parent_code"]] = per_comm.get(f["properties"]["parent_code"], 0) + 1
    assert set(per_comm.values()) <= set(range(5, 11))


def test_real_codes_and_names():
    (county,) = _features("county")
    assert county["properties"] == {
        "code": "320102",
        "name": "玄武区",
        "parent_code": None,
        "full_name": "江苏省南京市玄武区",
    }
    streets = {r["code"]: r["name"] for r in _csv("streets.csv")}
    towns = {f["properties"]["code"]: f["properties"] for f in _features("townships")}
    assert {c: p["name"] for c, p in towns.items()} == streets
    assert all(p["parent_code"] == "320102" for p in towns.values())
    comms = {f["properties"]["code"]: f["properties"] for f in _features("communities")}
    source = {r["code"]: r for r in _csv("communities.csv")}
    assert set(comms) == set(source)
    for code, p in comms.items():
        assert p["parent_code"] == source[code]["streetCode"]
        assert source[code]["name"].startswith(p["name"])  # 居委会 suffix dropped
        assert "居委会" not in p["name"] and "委员会" not in p["name"]
    assert comms["320102002001"]["name"] == "梅园新村社区"
    grids = [f["properties"] for f in _features("grids")]
    serials = {}
    for g in grids:
        assert re.fullmatch(r"\d{15}", g["code"]) and g["parent_code"] == g["code"][:12]
        n = int(g["code"][12:])
        assert g["name"] == f"{comms[g['parent_code']]['name']}第{n}网格"
        serials.setdefault(g["parent_code"], []).append(n)
    assert all(s == list(range(1, len(s) + 1)) for s in serials.values())


def test_county_is_the_real_boundary():
    doc = json.loads((SOURCE / "districts_wgs84.geojson").read_text(encoding="utf-8"))
    (src,) = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["adcode"] == "320102"]
    (county,) = [shape(f["geometry"]) for f in _features("county")]
    # Equal up to the snapping of the noding on the 1e-7 degree grid (about 1 cm).
    assert shapely.symmetric_difference(src, county).area / src.area < 1e-5
    assert county.hausdorff_distance(src) < 2e-7


def test_geometry_encoding():
    for name in verify.LEVELS:
        for f in _features(name):
            assert f["geometry"]["type"] == "MultiPolygon"
            for poly in f["geometry"]["coordinates"]:
                ring = poly[0]
                assert ring[0] == ring[-1]
                assert shapely.LinearRing(ring).is_ccw  # RFC 7946 winding
                for x, y in (pt for r in poly for pt in r):
                    assert x == round(x, 7) and y == round(y, 7)


def test_records_are_consistent():
    assert verify.record_problems(DEMO) == []


def test_people_and_devices():
    members = json.loads((DEMO / "members.json").read_text(encoding="utf-8"))
    statuses = [m["duty_status"] for m in members]
    assert sum(s in ("on_duty", "on_patrol") for s in statuses) > 0.6 * len(members)
    cams = _features("cameras")
    assert 150 <= len(cams) <= 400
    assert 0.85 <= sum(f["properties"]["online"] for f in cams) / len(cams) < 1.0
    assert any(f["properties"]["fov_deg"] == 360 for f in cams)
    assert all(f["properties"]["device_id"].startswith("32010200") for f in cams)
    roads = _features("key_roads")
    assert 10 <= len(roads) <= 15 and {"中山东路", "北京东路", "龙蟠路"} <= {f["properties"]["name"] for f in roads}
    locs = _features("key_locations")
    assert 10 <= len(locs) <= 20 and "南京站" in {f["properties"]["name"] for f in locs}
    assert (DEMO / "events.jsonl").read_bytes() == b""


def test_catalogue():
    cats = json.loads((DEMO / "categories.json").read_text(encoding="utf-8"))
    assert [(k["code"], k["name"]) for k in cats["kinds"]] == [
        ("livelihood", "民生服务"),
        ("urban", "城市管理"),
        ("safety", "公共安全"),
        ("environment", "环保巡查"),
        ("order", "社会治安"),
    ]
    for kind in cats["kinds"]:
        assert 5 <= sum(c["kind"] == kind["code"] for c in cats["categories"]) <= 8
    level2 = {c["code"] for c in cats["categories"] if c["level"] == 2}
    assert len(level2) >= 4
    assert {"safety.gas_leak", "order.mass_gathering", "environment.pollution_discharge"} <= level2
    urgent = [c for c in cats["categories"] if c["priority"] == "urgent"]
    assert all(c["response_minutes"] <= 15 for c in urgent)
    depts = json.loads((DEMO / "departments.json").read_text(encoding="utf-8"))
    assert {"public_security", "urban_management", "petition", "fire"} <= {d["code"] for d in depts}
    assert cats == catalogue.categories_document()


def test_rebuild_is_identical_to_committed_output(tmp_path):
    counts = build(SOURCE, tmp_path)
    manifest = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
    assert counts == manifest["counts"]
    committed = sorted(p.name for p in DEMO.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


LAYER_FILES = ["townships", "communities", "grids", "key-roads", "key-locations", "cameras"]


@pytest.mark.parametrize("layer", LAYER_FILES)
def test_layer_definition_matches_data(layer):
    import tomllib

    spec = tomllib.loads((ROOT / "layers" / f"{layer}.toml").read_text(encoding="utf-8"))
    assert spec["name"] == layer.replace("-", "_") == spec["source"]["table"]
    assert spec["title"] and spec["title_en"] and isinstance(spec["min_zoom"], int)
    assert spec["style"] and all(p["label"] and p["type"] for p in spec["properties"].values())
    feats = verify.read_features(ROOT / "layers" / spec["source"]["file"])
    assert feats
    # the demo files are the loader's input: declared properties and the parent's code; an editable layer's file
    # has every property an edit writes
    for f in feats:
        assert f["geometry"]["type"] == spec["geometry_type"]
        assert set(f["properties"]) <= set(spec["properties"]) | {"full_name", "parent_code"}
    if spec.get("editable"):
        assert set(feats[0]["properties"]) >= {k for k, p in spec["properties"].items() if not p.get("read_only")}
