"""Synthetic jurisdictions (gisapp.demo.synth). No database needed."""

import json
import re
import shutil

import pytest
import shapely
from shapely.geometry import shape

from gisapp.demo.synth import synthesize
from tests.demo import layer_checks as verify

TOL_AREA = 1e-14


@pytest.fixture(scope="module")
def synth500(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth500")
    counts = synthesize(out, grids=500, events=300, seed=7)
    return out, counts


def test_counts(synth500):
    out, counts = synth500
    assert counts["grids"] == 500
    assert counts["teams"] == 500
    assert counts["events"] == 300
    assert counts["county"] == 1 and counts["townships"] >= 1 and counts["communities"] >= 50
    assert 500 // 5 <= counts["cameras"] <= 500 // 5 + 2 * counts["key_locations"] + 1
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"] == counts


@pytest.mark.parametrize("pair", ["county/townships", "townships/communities", "communities/grids"])
def test_children_tile_parent_exactly(synth500, pair):
    r = verify.tiling_report(synth500[0])[pair]
    assert r["max_rel_area_error"] <= 1e-9
    assert r["max_overlap_area"] <= TOL_AREA
    assert r["max_symdiff_area"] <= TOL_AREA
    assert r["invalid"] == 0 and r["orphans"] == 0 and r["childless"] == 0


def test_records_are_consistent(synth500):
    assert verify.record_problems(synth500[0]) == []


def test_codes_and_region(synth500):
    out, _ = synth500
    (county,) = verify.read_features(out / "county.geojson")
    assert county["properties"]["code"] == "990101"
    x0, y0, x1, y1 = shape(county["geometry"]).bounds
    assert 118.5 <= x0 < x1 <= 119.5 and 31.5 <= y0 < y1 <= 32.5
    grids = verify.read_features(out / "grids.geojson")
    for f in grids:
        code = f["properties"]["code"]
        assert re.fullmatch(r"990101\d{9}", code)
        w = shapely.bounds(shape(f["geometry"]))
        # grids are about 300 m across
        assert 200 < (w[2] - w[0]) * 94_400 < 500 and 200 < (w[3] - w[1]) * 110_600 < 500
    events = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["client_ref"] for e in events] == [f"synth-{i}" for i in range(1, 301)]
    assert [e["created_at"] for e in events] == sorted(e["created_at"] for e in events)


def test_deterministic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synthesize(a, grids=500, events=50, seed=3)
    synthesize(b, grids=500, events=50, seed=3)
    synthesize(c, grids=500, events=50, seed=4)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "members.json").read_bytes() != (c / "members.json").read_bytes()


@pytest.mark.parametrize("n", [1, 10, 181, 2000])
def test_other_sizes_tile(tmp_path, n):
    counts = synthesize(tmp_path, grids=n, seed=1)
    assert counts["grids"] == n
    for r in verify.tiling_report(tmp_path).values():
        assert r["max_rel_area_error"] <= 1e-9 and r["max_symdiff_area"] <= TOL_AREA
        assert r["max_overlap_area"] <= TOL_AREA and r["invalid"] == 0
    assert verify.record_problems(tmp_path) == []


def test_verify_catches_a_broken_file(synth500, tmp_path):
    out = tmp_path / "broken"
    shutil.copytree(synth500[0], out)
    members = json.loads((out / "members.json").read_text(encoding="utf-8"))
    moved = next(m for m in members if m["position"] is not None)
    moved["position"] = [0.0, 0.0]
    (out / "members.json").write_text(json.dumps(members, ensure_ascii=False), encoding="utf-8")
    problems = verify.record_problems(out)
    assert len(problems) == 1 and moved["code"] in problems[0]
