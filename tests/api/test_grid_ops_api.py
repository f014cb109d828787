"""Split, merge, create and retire grids over real HTTP, with the adjacency graph following each change,
codes never reused, undo through restore, and proposed fixes that are applied only when sent back."""

from shapely.geometry import mapping, shape

from gisapp.spatial.topology import area_m2
from tests.api.test_grid_edit_api import pair, put
from tests.support import query


def planner(live):
    return live.client("demo-planner")


def layout_etag(live, community):
    return planner(live).get(f"{live.url}/api/v1/communities/{community}/grids", timeout=10).headers["ETag"]


def neighbours(live, code):
    return {n for (n,) in query(live, "SELECT neighbour_code FROM grid_adjacency WHERE grid_code = %s", code)}


def post(live, path, body, etag):
    return planner(live).post(
        f"{live.url}/api/v1{path}", json=body, timeout=30, headers={"If-Match": etag} if etag else {}
    )


def test_merge_retires_the_neighbour_keeps_its_history_and_undo_brings_it_back(live):
    a, b, ga, gb, _, etag = pair(live)
    b_neighbours = neighbours(live, b) - {a}
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    p = gb.representative_point()
    event = (
        live.client("demo-county")
        .post(
            f"{live.url}/api/v1/events",
            timeout=30,
            json={"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [p.x, p.y]}},
        )
        .json()
    )
    preview = post(live, f"/grids/{a}/merge", {"with": b, "reason": "两网格合并", "preview": True}, etag)
    assert preview.status_code == 200 and preview.headers["ETag"] == etag
    impact = preview.json()["impact"]
    assert {"event": event["id"], "grid": b, "now_in": a} in impact["events_leaving_their_grid"]
    assert impact["teams_losing_their_grid"] == [f"T{b}"]

    done = post(live, f"/grids/{a}/merge", {"with": b, "reason": "两网格合并"}, etag)
    assert done.status_code == 200, done.text
    assert done.json()["retired"] == [b] and done.json()["changed"] == [a]
    assert query(live, "SELECT count(*) FROM grids WHERE code = %s", b) == [(0,)]
    assert query(live, "SELECT retired_by, successors FROM grid_codes WHERE code = %s", b) == [("demo-planner", [a])]
    assert query(live, "SELECT grid_code FROM teams WHERE code = %s", f"T{b}") == [(None,)]  # team kept, no grid
    assert query(live, "SELECT grid_code FROM events WHERE id = %s", event["id"]) == [(b,)]  # not re-routed
    assert neighbours(live, b) == set() and b_neighbours <= neighbours(live, a)  # support sees the merge
    ((merged,),) = query(live, "SELECT ST_Area(geom::geography) FROM grids WHERE code = %s", a)
    assert abs(merged - (_area(live, ga) + _area(live, gb))) < 1.0
    history = planner(live).get(f"{live.url}/api/v1/grids/{b}/history", timeout=10).json()["items"]
    assert history[0]["retired"] is True and history[1]["retired"] is False

    # the retired code is never issued again, not even for the same place
    taken = put(
        live, a[:12], [], done.headers["ETag"], creates=[{"code": b, "name": "新网格", "geometry": mapping(gb)}]
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "grid_code_retired"

    # undo: both grids restored in one edit, the retired one under its own code
    undo = post(
        live,
        f"/grids/{a}/restore",
        {"version": 1, "reason": "撤销合并", "also": [{"code": b, "version": history[1]["version"]}]},
        done.headers["ETag"],
    )
    assert undo.status_code == 200, undo.text
    assert undo.json()["created"] == [b] and query(live, "SELECT retired_at FROM grid_codes WHERE code = %s", b) == [
        (None,)
    ]
    assert a in neighbours(live, b) and b_neighbours <= neighbours(live, b)


def _area(live, geom):
    ((m2,),) = query(live, "SELECT ST_Area(ST_GeomFromText(%s, 4326)::geography)", geom.wkt)
    return m2


def test_split_creates_a_grid_with_the_next_code_and_undo_retires_it(live):
    a, b, ga, gb, _, etag = pair(live)
    minx, miny, maxx, maxy = ga.bounds
    mid = ga.centroid.x
    line = {"type": "LineString", "coordinates": [[mid, miny - 0.001], [mid, maxy + 0.001]]}
    ((last,),) = query(live, "SELECT max(code) FROM grid_codes WHERE community_code = %s", a[:12])
    done = post(live, f"/grids/{a}/split", {"line": line, "reason": "人口增长，拆分网格", "new_name": "新建网格"}, etag)
    assert done.status_code == 200, done.text
    (new,) = done.json()["created"]
    assert new == f"{a[:12]}{int(last[-3:]) + 1:03d}"
    assert query(live, "SELECT name FROM grids WHERE code = %s", new) == [("新建网格",)]
    ((total,),) = query(live, "SELECT sum(ST_Area(geom::geography)) FROM grids WHERE code IN (%s, %s)", a, new)
    assert abs(total - _area(live, ga)) < 1.0
    assert new in neighbours(live, a) and done.json()["impact"]["grids_without_a_team"] == [new]
    assert query(live, "SELECT team_code FROM grid_directory WHERE grid_code = %s", new) == [(None,)]

    undo = post(
        live, f"/grids/{a}/restore", {"version": 1, "reason": "撤销拆分", "retires": [new]}, done.headers["ETag"]
    )
    assert undo.status_code == 200, undo.text
    assert undo.json()["retired"] == [new] and new not in neighbours(live, a)


def test_bad_splits_and_merges_change_nothing(live):
    a, b, ga, gb, _, etag = pair(live)
    far = {"type": "LineString", "coordinates": [[0, 0], [0, 1]]}
    r = post(live, f"/grids/{a}/split", {"line": far, "reason": "x"}, etag)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_split_line"
    ((other,),) = query(live, "SELECT min(code) FROM grids WHERE community_code <> %s", a[:12])
    r = post(live, f"/grids/{a}/merge", {"with": other, "reason": "x"}, etag)
    assert r.status_code == 422 and r.json()["error"]["code"] == "different_communities"
    ((far_grid,),) = query(
        live,
        """SELECT g.code FROM grids g WHERE g.community_code = %s AND g.code <> %s
        AND NOT ST_Intersects(g.geom, (SELECT geom FROM grids WHERE code = %s)) ORDER BY code LIMIT 1""",
        a[:12],
        a,
        a,
    ) or [(None,)]
    if far_grid:
        r = post(live, f"/grids/{a}/merge", {"with": far_grid, "reason": "x"}, etag)
        assert r.status_code == 422 and r.json()["error"]["code"] == "grids_not_adjacent"
    assert post(live, f"/grids/{a}/merge", {"with": b, "reason": "x"}, '"stale"').status_code == 412
    assert layout_etag(live, a[:12]) == etag


def test_create_and_retire_through_the_layout_edit(live):
    a, b, ga, gb, strip, etag = pair(live)
    community = a[:12]
    ((code,),) = query(
        live,
        "SELECT %s || lpad((max(right(code, 3)::int) + 1)::text, 3, '0') FROM grid_codes WHERE community_code = %s",
        community,
        community,
    )
    # a new grid's name is checked as the grids layer declares it (as an import or an OGC edit checks it)
    for name, wanted in (
        (None, "missing_name"),
        ("  ", "missing_name"),
        ("网" * 201, "invalid_property"),
        (42, "invalid_property"),
    ):
        item = {"code": code, "geometry": mapping(strip), **({} if name is None else {"name": name})}
        r = put(live, community, [{"code": b, "geometry": mapping(gb.difference(strip))}], etag, creates=[item])
        assert (r.status_code, r.json()["error"]["code"]) == (422, wanted), r.text
    # a new grid carved out of b: refused while b still covers it (overlap), accepted when b gives it up
    r = put(live, community, [], etag, creates=[{"code": code, "name": "新网格", "geometry": mapping(strip)}])
    assert r.status_code == 422 and "overlap" in {d["check"] for d in r.json()["error"]["details"]}
    r = put(
        live,
        community,
        [{"code": b, "geometry": mapping(gb.difference(strip))}],
        etag,
        creates=[{"code": code, "name": "新网格", "geometry": mapping(strip)}],
    )
    assert r.status_code == 200, r.text
    assert (
        put(
            live, community, [], r.headers["ETag"], creates=[{"code": code, "name": "x", "geometry": mapping(strip)}]
        ).json()["error"]["code"]
        == "grid_code_taken"
    )
    bad = put(
        live,
        community,
        [],
        r.headers["ETag"],
        creates=[{"code": "320102999999001", "name": "x", "geometry": mapping(strip)}],
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_grid_code"
    # retiring it alone leaves a gap; giving its area back to b in the same edit passes
    gap = put(live, community, [], r.headers["ETag"], retires=[code])
    assert gap.status_code == 422 and {d["check"] for d in gap.json()["error"]["details"]} == {"gap"}
    back = put(live, community, [{"code": b, "geometry": mapping(gb)}], r.headers["ETag"], retires=[code])
    assert back.status_code == 200, back.text
    assert query(live, "SELECT retired_at IS NOT NULL FROM grid_codes WHERE code = %s", code) == [(True,)]


def test_a_proposed_fix_repairs_an_overlap_only_when_sent_back(live):
    a, b, ga, gb, strip, etag = pair(live)
    community = a[:12]
    changes = [{"code": a, "geometry": mapping(ga.union(strip))}]  # a grows over b
    assert put(live, community, changes, etag).status_code == 422
    fix = (
        planner(live)
        .post(f"{live.url}/api/v1/communities/{community}/grids/fix", json={"changes": changes}, timeout=30)
        .json()
    )
    assert {p["check"] for p in fix["problems"]} == {"overlap"} and fix["remaining"] == []
    assert [(f["check"], f["grid"]) for f in fix["fixes"]] == [("overlap", b)]
    assert layout_etag(live, community) == etag  # nothing applied
    fixed_b = shape(next(c["geometry"] for c in fix["proposal"]["changes"] if c["code"] == b))
    assert area_m2(fixed_b.symmetric_difference(gb.difference(strip))) < 5  # b gives the overlap up (1e-7° snap)
    applied = put(live, community, fix["proposal"]["changes"], fix["etag"])
    assert applied.status_code == 200, applied.text


def test_the_sliver_area_is_the_instance_s_setting(clone_db):
    from tests.conftest import start_server

    srv, server = start_server(clone_db(), grid_min_area_m2=10_000_000)  # 10 km²: every grid is a sliver
    try:
        a, b, ga, gb, strip, etag = pair(srv)
        r = put(
            srv,
            a[:12],
            [{"code": a, "geometry": mapping(ga.union(strip))}, {"code": b, "geometry": mapping(gb.difference(strip))}],
            etag,
        )
        assert r.status_code == 422
        assert {(d["check"], d["grid"]) for d in r.json()["error"]["details"]} >= {("sliver", a), ("sliver", b)}
    finally:
        server.shutdown()
        server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
        srv.app.extensions["gisapp.engine"].dispose()


def test_concurrent_edits_of_one_layout_one_wins_the_other_keeps_its_work_and_is_told(live):
    """Eight planners' edits based on the same layout version, sent at once: the community's row lock
    serialises them, exactly one applies, the rest get 412 and their edit is still theirs to resend."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    a, b, ga, gb, strip, etag = pair(live)
    ((before,),) = query(live, "SELECT count(*) FROM grid_versions WHERE grid_code = %s", a)
    token = planner(live).headers["Authorization"]
    bodies = [
        [
            {"code": a, "geometry": mapping(ga.union(strip.buffer(-i * 1e-6)))},
            {"code": b, "geometry": mapping(gb.difference(strip.buffer(-i * 1e-6)))},
        ]
        for i in range(8)
    ]

    def send(changes):
        return requests.put(
            f"{live.url}/api/v1/communities/{a[:12]}/grids",
            timeout=60,
            json={"changes": changes, "reason": "并发编辑"},
            headers={"If-Match": etag, "Authorization": token},
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, bodies))
    assert sorted(r.status_code for r in answers) == [200] + [412] * 7
    assert all(r.json()["error"]["code"] == "stale_version" for r in answers if r.status_code == 412)
    ((versions,),) = query(live, "SELECT count(*) FROM grid_versions WHERE grid_code = %s", a)
    assert versions == before + 1  # the winner's edit only
