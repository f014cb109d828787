"""Versioned, topology-checked grid editing over real HTTP: move a shared boundary, stale versions,
failed checks with their geometry, impact preview, history and restore."""

import shapely
from shapely.geometry import mapping, shape

from tests.support import query


def pair(live):
    """Two grids of one community sharing an edge, and a 20 m strip of the second along their boundary."""
    ((a, b),) = query(
        live,
        """
        SELECT x.code, y.code FROM grids x JOIN grids y ON x.community_code = y.community_code AND x.code < y.code
        WHERE ST_Length(ST_Intersection(ST_Boundary(x.geom), ST_Boundary(y.geom))::geography) > 100
        ORDER BY x.code LIMIT 1""",
    )
    layout = live.client("demo-planner").get(f"{live.url}/api/v1/communities/{a[:12]}/grids", timeout=10)
    geoms = {f["id"]: shape(f["geometry"]) for f in layout.json()["features"]}
    ga, gb = geoms[a], geoms[b]
    strip = gb.intersection(ga.boundary.intersection(gb.boundary).buffer(0.0002))
    return a, b, ga, gb, strip, layout.headers["ETag"]


def put(live, community, changes, etag, who="demo-planner", **extra):
    return live.client(who).put(
        f"{live.url}/api/v1/communities/{community}/grids",
        timeout=30,
        json={"changes": changes, "reason": "道路改造，调整网格边界", **extra},
        headers={"If-Match": etag} if etag else {},
    )


def test_moving_a_shared_boundary_is_checked_versioned_and_restorable(live):
    a, b, ga, gb, strip, etag = pair(live)
    community = a[:12]
    moved = [{"code": a, "geometry": mapping(ga.union(strip))}, {"code": b, "geometry": mapping(gb.difference(strip))}]
    done = put(live, community, moved, etag)
    assert done.status_code == 200, done.text
    assert done.json()["changed"] == [a, b] and done.headers["ETag"] != etag
    assert put(live, community, moved, etag).status_code == 412  # based on the old layout: refused
    history = live.client("demo-planner").get(f"{live.url}/api/v1/grids/{a}/history", timeout=10).json()["items"]
    assert [h["version"] for h in history] == [2, 1] and history[0]["author"] == "demo-planner"
    # restoring a alone would leave the strip to nobody: refused by the same checks, with the gap
    r = live.client("demo-planner").post(
        f"{live.url}/api/v1/grids/{a}/restore",
        timeout=30,
        json={"version": 1, "reason": "撤销"},
        headers={"If-Match": done.headers["ETag"]},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "topology_failed"
    assert {d["check"] for d in r.json()["error"]["details"]} == {"gap"}
    back = put(
        live,
        community,
        [{"code": a, "geometry": mapping(ga)}, {"code": b, "geometry": mapping(gb)}],
        done.headers["ETag"],
    )
    assert back.status_code == 200
    assert query(live, "SELECT version FROM grids WHERE code = %s", a) == [(3,)]
    assert query(live, "SELECT count(*) FROM audit_log WHERE action = 'grid.edit'")[0][0] >= 2


def test_a_broken_layout_is_refused_with_the_offending_geometry_and_changes_nothing(live):
    a, b, ga, gb, strip, etag = pair(live)
    before = query(live, "SELECT version FROM grids WHERE code = %s", a)
    r = put(live, a[:12], [{"code": a, "geometry": mapping(ga.union(strip))}], etag)  # overlaps b
    assert r.status_code == 422 and r.json()["error"]["code"] == "topology_failed"
    (overlap,) = [d for d in r.json()["error"]["details"] if d["check"] == "overlap"]
    assert shape(overlap["where"]).area > 0
    assert query(live, "SELECT version FROM grids WHERE code = %s", a) == before
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    r = put(live, a[:12], [{"code": a, "geometry": mapping(bowtie)}], etag)
    assert "invalid_geometry" in {d["check"] for d in r.json()["error"]["details"]}


def test_the_preview_lists_open_events_that_would_leave_their_grid(live):
    a, b, ga, gb, strip, etag = pair(live)
    p = strip.representative_point()
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    made = (
        live.client("demo-county")
        .post(
            f"{live.url}/api/v1/events",
            timeout=30,
            json={"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [p.x, p.y]}},
        )
        .json()
    )
    assert made["grid"]["code"] == b
    moved = [{"code": a, "geometry": mapping(ga.union(strip))}, {"code": b, "geometry": mapping(gb.difference(strip))}]
    preview = put(live, a[:12], moved, etag, preview=True)
    assert preview.status_code == 200 and preview.headers["ETag"] == etag  # nothing applied
    impact = preview.json()["impact"]
    assert {"event": made["id"], "grid": b, "now_in": a} in impact["events_leaving_their_grid"]
    assert impact["teams_whose_area_changes"] == [f"T{a}", f"T{b}"]


def test_only_planners_edit(live):
    a, b, ga, gb, strip, etag = pair(live)
    assert put(live, a[:12], [{"code": a, "geometry": mapping(ga)}], etag, who="demo-county").status_code == 403
    assert put(live, a[:12], [{"code": a, "geometry": mapping(ga)}], None).status_code == 412
