"""The planner's editor (/planner) in a real headless Chromium against the live app: log in, pick a community,
move a shared boundary by dragging a junction vertex (the neighbours follow), check and save it; provoke a
topology failure (drawn on the map) and a version conflict (another edit over HTTP in between: the planner's
edit is kept and re-applied). No console errors, no request to another host; screenshots for the README."""

from __future__ import annotations

import json

import shapely
from shapely.geometry import mapping, shape

from tests.support import query
from tests.web.browser import login_in_browser, wait_for
from tests.web.page_checks import (
    PageWatch,
    page_state,
    phone,
    screenshot,  # noqa: F401
    watched_browser,  # noqa: F401  (a pytest fixture, used by name)
)

COMMUNITY_SQL = "SELECT u.grid_code FROM users u WHERE u.username = 'demo-grid'"


def community_of_demo_grid(live) -> str:
    return query(live, COMMUNITY_SQL)[0][0][:12]


def layout(live, community: str) -> tuple[dict, str]:
    r = live.client("demo-planner").get(f"{live.url}/api/v1/communities/{community}/grids", timeout=10)
    assert r.status_code == 200
    return {f["id"]: f for f in r.json()["features"]}, r.headers["ETag"]


def vertices(geometry: dict) -> list[tuple[float, float]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [tuple(c) for polygon in polygons for ring in polygon for c in ring]


def shifted(coordinates, old: tuple, new: tuple):
    """GeoJSON coordinates with every vertex at `old` moved to `new`."""
    if coordinates and isinstance(coordinates[0], (int, float)):
        return list(new) if tuple(coordinates) == old else coordinates
    return [shifted(c, old, new) for c in coordinates]


def junction(live, driver, community: str, by: tuple[int, int]) -> tuple[str, float, float, list[str]]:
    """An inner vertex shared by three grids or more whose drag by `by` pixels, done in every grid having it,
    keeps the layout valid (tried beforehand with the same checks as the server's)."""
    from gisapp.spatial.topology import check_layout

    grids, _ = layout(live, community)
    (boundary,) = query(live, "SELECT ST_AsGeoJSON(geom) FROM communities WHERE code = %s", community)[0]
    boundary = shape(json.loads(boundary))
    for code in sorted(grids):
        for lon, lat in vertices(grids[code]["geometry"]):
            sharing = sorted(c for c, f in grids.items() if (lon, lat) in vertices(f["geometry"]))
            if len(sharing) < 3 or boundary.boundary.distance(shapely.Point(lon, lat)) < 2e-4:
                continue
            new = tuple(
                driver.execute_script(
                    "var m = window.gisappPlanner.map, p = m.latLngToContainerPoint([arguments[1], arguments[0]]);"
                    "var q = m.containerPointToLatLng([p.x + arguments[2], p.y + arguments[3]]);"
                    "return [q.lng, q.lat];",
                    lon,
                    lat,
                    *by,
                )
            )
            proposed = {
                c: shape(
                    {
                        "type": f["geometry"]["type"],
                        "coordinates": shifted(f["geometry"]["coordinates"], (lon, lat), new),
                    }
                )
                for c, f in grids.items()
            }
            if not check_layout(community, boundary, proposed):
                return code, lon, lat, [c for c in sharing if c != code]
    raise AssertionError(f"no inner junction vertex of community {community} can move by {by} px")


def map_offset(driver, lon: float, lat: float) -> tuple[float, float]:
    """Where a point is on the map element, as an offset from the element's centre (Selenium's origin)."""
    x, y = driver.execute_script(
        "var p = window.gisappPlanner.map.latLngToContainerPoint([arguments[1], arguments[0]]); return [p.x, p.y];",
        lon,
        lat,
    )
    rect = driver.find_element("id", "map").rect
    return x - rect["width"] / 2, y - rect["height"] / 2


def click_grid(driver, live, community: str, code: str) -> None:
    grids, _ = layout(live, community)
    inside = shape(grids[code]["geometry"]).point_on_surface()
    _click_at(driver, inside.x, inside.y)
    page_state(driver, lambda s: s["selected"] == code)


def _click_at(driver, lon: float, lat: float) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    dx, dy = map_offset(driver, lon, lat)
    ActionChains(driver).move_to_element_with_offset(driver.find_element("id", "map"), dx, dy).click().perform()


def drag_vertex(driver, lon: float, lat: float, by: tuple[int, int]) -> None:
    """Press on a vertex handle of the grid being edited and drag it by a few pixels."""
    from selenium.webdriver.common.action_chains import ActionChains

    dx, dy = map_offset(driver, lon, lat)
    half = (by[0] // 2, by[1] // 2)
    chain = ActionChains(driver).move_to_element_with_offset(driver.find_element("id", "map"), dx, dy)
    chain.click_and_hold().move_by_offset(*half).move_by_offset(by[0] - half[0], by[1] - half[1]).release().perform()


def start_editing(driver, live, community: str, by: tuple[int, int], linked: bool = True):
    """Select the grid of a junction vertex that can move by `by` pixels; edit its vertices."""
    code, lon, lat, neighbours = junction(live, driver, community, by)
    click_grid(driver, live, community, code)
    box = driver.find_element("id", "linked")
    if box.is_selected() != linked:
        box.click()
    driver.find_element("id", "edit").click()
    wait_for(driver, lambda d: d.find_elements("css selector", ".marker-icon"))
    return code, lon, lat, neighbours


def click(driver, element_id: str, outcome: str) -> dict:
    driver.find_element("id", element_id).click()
    return page_state(driver, lambda s: s["outcome"] == outcome)


def geometry_in_page(driver, code: str) -> dict:
    return driver.execute_script(
        "return window.gisappPlanner.state.layers[arguments[0]].toGeoJSON(false).geometry;", code
    )


def test_planner_moves_a_shared_boundary_checks_and_saves_it(live, watched_browser):
    driver, community = watched_browser, community_of_demo_grid(live)
    watch = PageWatch(driver, live.url)
    login_in_browser(driver, live.url, "demo-planner", path=f"/planner?community={community}")
    state = page_state(driver, lambda s: s["outcome"] == "loaded")
    assert state["community"] == community and state["grids"] == len(layout(live, community)[0])
    code, lon, lat, neighbours = start_editing(driver, live, community, (24, 14))
    drag_vertex(driver, lon, lat, (24, 14))
    state = page_state(driver, lambda s: len(s["edited"]) >= 3)
    assert state["edited"] == sorted([code, *neighbours])  # the shared boundary moved in every grid
    assert click(driver, "check", "valid")["problems"] == 0
    assert "影响预览" in driver.find_element("id", "result").text
    screenshot(driver, "planner-edit")
    mine = {c: geometry_in_page(driver, c) for c in state["edited"]}
    driver.find_element("id", "reason").send_keys("道路拓宽，调整网格共享边界")
    click(driver, "save", "saved")
    history = live.client("demo-planner").get(f"{live.url}/api/v1/grids/{code}/history", timeout=10).json()["items"]
    assert history[0]["reason"] == "道路拓宽，调整网格共享边界" and history[0]["author"] == "demo-planner"
    assert_stored(live, mine)
    assert watch.errors() == [] and watch.foreign_requests() == []


def test_a_broken_edit_is_drawn_and_a_version_conflict_keeps_the_edit(live, watched_browser):
    driver, community = watched_browser, community_of_demo_grid(live)
    watch = PageWatch(driver, live.url)
    login_in_browser(driver, live.url, "demo-planner", path=f"/planner?community={community}")
    page_state(driver, lambda s: s["outcome"] == "loaded")
    # one grid's corner dragged alone, into its neighbours: they overlap
    code, lon, lat, neighbours = start_editing(driver, live, community, (20, 16), linked=False)
    drag_vertex(driver, lon, lat, (20, 16))
    assert page_state(driver, lambda s: s["edited"] == [code])
    state = click(driver, "check", "topology_failed")
    assert state["problems"] >= 1
    listed = driver.find_element("css selector", "#result .problems").text
    assert "重叠" in listed
    drawn = driver.execute_script("return document.querySelectorAll('path[stroke=\"#d32f2f\"]').length")
    assert drawn >= 1  # the overlap is drawn in red
    screenshot(driver, "planner-validation")
    # the proposed repair: drawn, listed, adopted, and then the check passes
    click(driver, "fix", "proposal")
    assert "建议的修复" in driver.find_element("id", "result").text
    screenshot(driver, "planner-fix")
    click(driver, "adopt", "adopted")
    click(driver, "check", "valid")

    click(driver, "discard", "loaded")
    code, lon, lat, neighbours = start_editing(driver, live, community, (-20, 12))
    drag_vertex(driver, lon, lat, (-20, 12))
    edited = page_state(driver, lambda s: len(s["edited"]) >= 3)["edited"]
    mine = {c: geometry_in_page(driver, c) for c in edited}
    other = next(c for c in sorted(layout(live, community)[0]) if c not in edited)
    grids, etag = layout(live, community)
    r = live.client("demo-planner").put(
        f"{live.url}/api/v1/communities/{community}/grids",
        timeout=30,
        headers={"If-Match": etag},
        json={"changes": [{"code": other, "geometry": grids[other]["geometry"]}], "reason": "另一位规划员同时修改"},
    )
    assert r.status_code == 200, r.text
    driver.find_element("id", "reason").send_keys("调整网格边界（冲突后重新应用）")
    state = click(driver, "save", "stale_version")
    assert state["edited"] == edited and state["current"] == 1  # kept, with the current layout beside it
    assert {c: geometry_in_page(driver, c) for c in edited} == mine
    screenshot(driver, "planner-conflict")
    assert click(driver, "reapply", "reapplied")["etag"] == r.headers["ETag"]
    click(driver, "save", "saved")
    assert_stored(live, mine)
    put = f"/api/v1/communities/{community}/grids"
    assert watch.errors(expected=((put, 422), (put, 412))) == [] and watch.foreign_requests() == []


def assert_stored(live, geometries: dict) -> None:
    """The grids in the database are the shapes the page had."""
    for code, geometry in geometries.items():
        (same,) = query(
            live,
            "SELECT ST_Equals(geom, ST_Multi(ST_GeomFromGeoJSON(%s))) FROM grids WHERE code = %s",
            json.dumps(mapping(shape(geometry))),
            code,
        )
        assert same == (True,), code


def test_planner_page_in_english_(live, watched_browser):
    driver = watched_browser
    login_in_browser(driver, live.url, "demo-planner", path="/planner")
    page_state(driver, lambda s: s["outcome"] == "ready")
    # both catalogs hold every key of the page: tests/web/test_i18n.py
    assert driver.find_element("id", "check").text == "检查"
    driver.find_element("id", "lang").click()
    wait_for(driver, lambda d: d.find_element("id", "check").text == "Check")
    assert driver.find_element("tag name", "html").get_attribute("lang") == "en"
    phone(driver)  # legible on a phone too: the panel goes under the map
    driver.get(f"{live.url}/planner?community={community_of_demo_grid(live)}")
    page_state(driver, lambda s: s["outcome"] == "loaded")
    click_grid(driver, live, community_of_demo_grid(live), sorted(layout(live, community_of_demo_grid(live))[0])[0])
    assert driver.find_element("id", "side").rect["y"] >= driver.find_element("id", "map").rect["height"]
    screenshot(driver, "planner-phone-en")


def layout_file(path, grids: dict, grow: str | None = None, into: str | None = None):
    """The community's layout as a GeoJSON file, one grid grown into a neighbour's half when asked."""
    features = []
    for code, f in sorted(grids.items()):
        geometry = shape(f["geometry"])
        if code == grow:
            geometry = geometry.union(shape(grids[into]["geometry"]).buffer(-0.0003))
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geometry),
                "properties": {"code": code, "name": f["properties"]["name"]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    return str(path)


def test_planner_imports_a_layout_file_checked_first_and_its_problems_drawn(live, watched_browser, tmp_path):
    driver = watched_browser
    # a community no other test here edits (their full-precision shapes would read back rounded and "updated")
    ((community,),) = query(live, "SELECT code FROM communities ORDER BY code OFFSET 10 LIMIT 1")
    watch = PageWatch(driver, live.url)
    login_in_browser(driver, live.url, "demo-planner", path=f"/planner?community={community}")
    page_state(driver, lambda s: s["outcome"] == "loaded")
    grids, _ = layout(live, community)
    first, second = sorted(grids)[:2]
    driver.find_element("id", "import-file").send_keys(layout_file(tmp_path / "broken.geojson", grids, first, second))
    driver.find_element("id", "import-send").click()
    assert page_state(driver, lambda s: s["outcome"] == "import_failed")["problems"] >= 1
    assert "重叠" in driver.find_element("id", "import-result").text
    screenshot(driver, "planner-import")
    driver.find_element("id", "import-file").send_keys(layout_file(tmp_path / "same.geojson", grids))
    driver.find_element("id", "import-send").click()
    page_state(driver, lambda s: s["outcome"] == "import_checked")
    assert f"未变 {len(grids)}" in driver.find_element("id", "import-result").text
    assert watch.errors() == [] and watch.foreign_requests() == []


def test_planner_splits_merges_back_and_restores_from_the_history(live, watched_browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    driver = watched_browser
    ((community,),) = query(live, "SELECT code FROM communities ORDER BY code OFFSET 5 LIMIT 1")
    watch = PageWatch(driver, live.url)
    login_in_browser(driver, live.url, "demo-planner", path=f"/planner?community={community}")
    page_state(driver, lambda s: s["outcome"] == "loaded")
    grids, _ = layout(live, community)
    code = max(grids, key=lambda c: shape(grids[c]["geometry"]).area)
    click_grid(driver, live, community, code)
    minx, miny, maxx, maxy = shape(grids[code]["geometry"]).bounds
    middle = (miny + maxy) / 2
    driver.find_element("id", "split").click()  # a line across the grid, from outside to outside
    area = driver.find_element("id", "map")
    ActionChains(driver).move_to_element_with_offset(area, *map_offset(driver, minx - 0.0003, middle)).click().perform()
    ActionChains(driver).move_to_element_with_offset(
        area, *map_offset(driver, maxx + 0.0003, middle)
    ).double_click().perform()
    assert page_state(driver, lambda s: s["op"] == "split")
    click(driver, "check", "valid")
    driver.find_element("id", "reason").send_keys("按道路拆分网格")
    assert click(driver, "save", "saved")["grids"] == len(grids) + 1
    (new,) = set(layout(live, community)[0]) - set(grids)
    screenshot(driver, "planner-split")

    click_grid(driver, live, community, code)
    Select(driver.find_element("id", "merge-with")).select_by_value(new)
    driver.find_element("id", "merge").click()
    assert page_state(driver, lambda s: s["op"] == "merge")
    driver.find_element("id", "reason").send_keys("合并回原网格")
    assert click(driver, "save", "saved")["grids"] == len(grids)
    assert query(live, "SELECT retired_at IS NOT NULL FROM grid_codes WHERE code = %s", new) == [(True,)]

    click(driver, "history", "history")
    versions = driver.find_elements("css selector", "#history-list li")
    assert [v.get_attribute("data-version") for v in versions] == ["3", "2", "1"]
    assert "合并回原网格" in versions[0].text and "北京时间" in versions[0].text
    versions[-1].find_element("xpath", ".//button[last()]").click()  # restore version 1
    assert page_state(driver, lambda s: s["op"] == "restore")
    driver.find_element("id", "reason").send_keys("恢复初始版本")
    click(driver, "save", "saved")
    (same,) = query(
        live,
        "SELECT ST_Equals(g.geom, v.geom) FROM grids g JOIN grid_versions v ON v.grid_code = g.code "
        "AND v.version = 1 WHERE g.code = %s",
        code,
    )
    assert same == (True,)
    assert watch.errors() == [] and watch.foreign_requests() == []


def test_the_new_grid_form_has_a_field_per_declared_property_with_its_rules(live):
    """The create form is built from layers/grids.toml: code (pattern) and name (length), both required."""
    import re

    from gisapp.domain.layers import catalogue

    page = live.client("demo-planner").get(f"{live.url}/planner", timeout=30)
    assert page.status_code == 200, page.status_code
    fields = {m.group(1): m.group(0) for m in re.finditer(r'<input id="new-(\w+)"[^>]*>', page.text)}
    grids = catalogue()["grids"]
    assert list(fields) == [p.name for p in grids.writable] == ["code", "name"]
    assert f'pattern="{grids.prop("code").pattern}"' in fields["code"] and " required" in fields["code"]
    assert f'maxlength="{grids.prop("name").max_length}"' in fields["name"]
