"""The commander dashboard in a real headless Chromium against the live app: a commander logs in, sees the layers,
accepts and dispatches an event, confirms some of the proposed support members on the map, and sees a new event
arrive live; a township dispatcher sees its township only. No console error, no request to another host; each
view leaves a screenshot in docs/screenshots/."""

import json

import pytest
import requests

from gisapp.config import PROJECT_ROOT
from gisapp.services.access.integrations import create_integration
from tests.support import TEST_AUDIT_KEY, query
from tests.web.browser import browser, console_errors, foreign_requests, login_in_browser, wait_for  # noqa: F401

SHOTS = PROJECT_ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def world(live):
    """demo-grid's grid, a point in it, a level-1 category, an integration key, two members on duty in adjacent
    grids near the point (the support candidates), every other member off duty."""
    query(live, "SELECT refresh_grid_adjacency()")
    ((grid, lon, lat, township),) = query(
        live,
        """
        SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)), c.township_code
        FROM users u JOIN grids g ON g.code = u.grid_code JOIN communities c ON c.code = g.community_code
        WHERE u.username = 'demo-grid'""",
    )
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    ring1 = [
        r[0]
        for r in query(
            live, "SELECT neighbour_code FROM grid_adjacency WHERE grid_code = %s ORDER BY neighbour_code LIMIT 3", grid
        )
    ]
    query(live, "UPDATE members SET duty_status = 'off_duty'")
    helpers = []
    for i, neighbour in enumerate(ring1):
        ((code,),) = query(
            live, "SELECT code FROM members WHERE team_code = 'T' || %s ORDER BY code LIMIT 1", neighbour
        )
        query(
            live,
            "UPDATE members SET duty_status = 'on_duty', position = ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
            "position_at = now() WHERE code = %s",
            lon + 0.0008 * (i + 1),
            lat + 0.0004,
            code,
        )
        helpers.append(code)
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.audit import Actor

    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        _, key = create_integration(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            code="dash-web",
            name="市民APP",
            county_code="320102",
            channels=["public"],
        )
    engine.dispose()
    return {
        "grid": grid,
        "point": [lon, lat],
        "township": township,
        "category": category,
        "key": key,
        "helpers": helpers,
    }


def report(live, world, *, public: bool) -> int:
    body = {
        "category": world["category"],
        "channel": "public" if public else "patrol",
        "description": "井盖缺失",
        "location": {"type": "Point", "coordinates": world["point"]},
    }
    if public:
        r = requests.post(live.url + "/api/v1/events", json=body, headers={"X-API-Key": world["key"]}, timeout=30)
    else:
        r = live.client("demo-county").post(live.url + "/api/v1/events", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def api_act(live, who, event_id, action, **body):
    r = live.client(who).post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": action, **body}, timeout=30
    )
    assert r.status_code == 200, r.text
    return r.json()


def drawn(driver) -> dict:
    return json.loads(driver.execute_script("return document.body.dataset.drawn || '{}'"))


def open_dashboard(driver, live, username: str, view: str = "") -> None:
    """Log in on the way to the dashboard, then open it at a view (#zoom/lat/lon; the login drops the fragment)."""
    login_in_browser(driver, live.url, username, path="/command")
    wait_for(driver, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    if view:
        driver.get(live.url + "/command" + view)
        wait_for(driver, lambda d: d.execute_script("return document.body.dataset.ready") == "1")


def click(driver, selector: str) -> None:
    """Click an element once it is there; the live queue may redraw it between finding and clicking (stale):
    then it is found again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def clicked(d) -> bool:
        try:
            found = d.find_elements(By.CSS_SELECTOR, selector)
            if found:
                found[0].click()
            return bool(found)
        except StaleElementReferenceException:
            return False

    wait_for(driver, clicked)


def status_shown(driver) -> str:
    return driver.execute_script("var n = document.getElementById('detail-status'); return n && n.dataset.status")


def assert_clean(driver, base: str) -> None:
    """No JavaScript error in the console and no request to any host but the app."""
    assert console_errors(driver) == []
    assert foreign_requests(driver, base) == []


def test_commander_sees_the_layers_dispatches_with_support_and_sees_a_live_event(live, world, browser):
    event_id = report(live, world, public=True)
    lon, lat = world["point"]
    open_dashboard(browser, live, "demo-county", f"#16/{lat:.5f}/{lon:.5f}")
    wait_for(browser, lambda d: {"townships", "communities", "grids", "cameras"} <= set(drawn(d)))
    assert drawn(browser)["grids"] > 0
    wait_for(browser, lambda d: d.find_elements("css selector", f'.queue-item[data-event="{event_id}"]'))
    assert browser.find_element("id", "user").text.startswith("demo-county")
    # accept, then dispatch, from the event panel
    click(browser, f'.queue-item[data-event="{event_id}"]')
    click(browser, '#actions [data-action="accept"]')
    wait_for(browser, lambda d: status_shown(d) == "accepted")
    click(browser, '#actions [data-action="dispatch"]')
    wait_for(browser, lambda d: status_shown(d) == "dispatched")
    # the grid's team asks for two members; the panel follows the stream
    api_act(live, "demo-grid", event_id, "acknowledge")
    api_act(live, "demo-grid", event_id, "request_support", members=2)
    click(browser, '#actions [data-action="confirm_support"]')
    wait_for(browser, lambda d: len(d.find_elements("css selector", "#candidates input")) == len(world["helpers"]))
    assert len(browser.find_elements("css selector", ".candidate-tip")) == len(world["helpers"])  # on the map
    boxes = browser.find_elements("css selector", "#candidates input")
    if boxes[1].is_selected():
        boxes[1].click()  # confirm some: the first only
    browser.save_screenshot(str(SHOTS / "command-support.png"))
    chosen = boxes[0].get_attribute("value")
    click(browser, "#confirm-some")
    wait_for(browser, lambda d: not d.find_elements("css selector", "#candidates"))
    tasks = live.client("demo-county").get(f"{live.url}/api/v1/events/{event_id}", timeout=10).json()["tasks"]
    assert [t["member"]["code"] for t in tasks if t["kind"] == "support"] == [chosen]
    # a new event appears without reloading
    before = int(browser.execute_script("return document.body.dataset.live || '0'"))
    fresh = report(live, world, public=False)
    wait_for(browser, lambda d: d.find_elements("css selector", f'.queue-item[data-event="{fresh}"]'))
    assert int(browser.execute_script("return document.body.dataset.live")) > before
    assert str(fresh) in browser.execute_script("return Object.keys(GISAPP.eventMarkers)")  # on the map too
    # a member's position report moves it on the map, through the stream too
    r = live.client("demo-grid").post(
        live.url + "/api/v1/members/me/status",
        timeout=30,
        json={"duty_status": "on_patrol", "position": {"type": "Point", "coordinates": [lon + 0.0002, lat - 0.0002]}},
    )
    assert r.status_code == 200, r.text
    member = r.json()["member"]["code"]
    wait_for(
        browser,
        lambda d: (
            d.execute_script("const m = GISAPP.members.byCode[arguments[0]]; return m && m.duty_status", member)
            == "on_patrol"
        ),
    )
    assert browser.execute_script(
        "return GISAPP.members.byCode[arguments[0]].position.coordinates", member
    ) == pytest.approx([lon + 0.0002, lat - 0.0002])
    browser.save_screenshot(str(SHOTS / "command-county.png"))
    assert_clean(browser, live.url)


def test_dispatcher_sees_its_township_only(live, world, browser):
    report(live, world, public=False)
    browser.set_window_size(1920, 1080)  # a dispatch-hall screen
    open_dashboard(browser, live, "demo-township")
    wait_for(browser, lambda d: "townships" in drawn(d))
    assert drawn(browser)["townships"] == 1
    wait_for(browser, lambda d: d.find_elements("css selector", ".queue-item"))
    townships = browser.execute_script(
        "return Array.from(document.querySelectorAll('.queue-item')).map(n => n.dataset.event)"
    )
    seen = {query(live, "SELECT township_code FROM events WHERE id = %s", int(i))[0][0] for i in townships}
    assert seen == {world["township"]}
    browser.save_screenshot(str(SHOTS / "command-township.png"))
    assert_clean(browser, live.url)


def test_search_by_grid_code_and_gcj02_coordinates(live, world, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from gisapp.spatial.crs import Crs, from_wgs84

    open_dashboard(browser, live, "demo-county")
    box = browser.find_element(By.ID, "search-q")
    box.send_keys(world["grid"] + "\n")
    # the grid's bounds fill the view (a grid is a few hundred metres: zoom 15 or more), before the next search
    wait_for(browser, lambda d: d.execute_script("return GISAPP.map.getZoom()") >= 15)
    x, y = from_wgs84(*world["point"], Crs.GCJ02)
    box.clear()
    Select(browser.find_element(By.ID, "search-crs")).select_by_value("GCJ-02")
    box.send_keys(f"{x:.6f},{y:.6f}\n")

    def centred(d):
        c = d.execute_script("var c = GISAPP.map.getCenter(); return [c.lng, c.lat]")
        return c == pytest.approx(world["point"], abs=1e-5)

    wait_for(browser, centred, timeout=20)  # the map went to the WGS84 point the GCJ-02 pair stands for
    # the browser's GCJ-02 formula is the server's
    js = browser.execute_script("return GISAPP.coords.wgsToGcj(arguments[0], arguments[1])", *world["point"])
    assert js == pytest.approx([x, y], abs=1e-9)
    assert_clean(browser, live.url)


def test_english_is_selectable_and_remembered(live, world, browser):
    open_dashboard(browser, live, "demo-county")
    assert browser.find_element("id", "tab-button-queue").text.startswith("事件队列")
    click(browser, "#lang")
    wait_for(browser, lambda d: d.find_element("id", "tab-button-queue").text.startswith("Queue"))
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    browser.get(live.url + "/command")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    assert browser.find_element("css selector", "html").get_attribute("lang") == "en"
    assert browser.find_element("id", "tab-button-supervision").text.startswith("Supervision")
    browser.save_screenshot(str(SHOTS / "command-english.png"))
    assert_clean(browser, live.url)


def test_phone_view(live, world, browser):
    browser.set_window_size(390, 844)
    open_dashboard(browser, live, "demo-township")
    wait_for(browser, lambda d: "townships" in drawn(d))
    # stacked: the panel under the map, the legend folded
    map_box, side_box = (
        browser.execute_script(f"return document.getElementById('{i}').getBoundingClientRect()")
        for i in ("map", "side")
    )
    assert side_box["top"] >= map_box["bottom"] - 1 and side_box["width"] >= 0.9 * map_box["width"]
    assert not browser.find_element("id", "legend-list").is_displayed()
    browser.save_screenshot(str(SHOTS / "command-phone.png"))
    assert_clean(browser, live.url)


def test_the_overview_links_to_the_dashboard_for_commanders_and_dispatchers_only(live):
    from tests.web.browser import form_login

    for username, linked in (("demo-county", True), ("demo-township", True), ("demo-grid", False)):
        http, _ = form_login(live.url, username)
        assert ('href="/command"' in http.get(live.url + "/", timeout=10).text) is linked
        page = http.get(live.url + "/command", timeout=10, allow_redirects=False)
        assert page.status_code == (200 if linked else 403)
