"""The living demo county in a real headless Chromium: from a demo database, one tick of the simulation (the
function `gisapp demo simulate` calls) posts fresh positions; a commander opens an event on /command whose team
asked for support and sees the members of the adjacent grids proposed, ranked (ring, then distance)."""

from __future__ import annotations

from datetime import datetime, timezone

from gisapp.db import make_engine, make_session_factory
from gisapp.demo.simulate import start_simulation
from tests.support import TEST_AUDIT_KEY, query
from tests.web.browser import browser, wait_for  # noqa: F401
from tests.web.test_command_page import api_act, assert_clean, click, open_dashboard


def _tick(live) -> None:
    engine = make_engine(live.database_url, pool_size=1)
    with make_session_factory(engine)() as session:
        start_simulation(session, TEST_AUDIT_KEY, seed=7, events_per_day=1).tick(datetime.now(timezone.utc))
    engine.dispose()


def test_after_one_tick_the_dashboard_proposes_ranked_members_of_adjacent_grids(live, browser):
    query(live, "SELECT refresh_grid_adjacency()")
    _tick(live)
    ((grid, lon, lat),) = query(
        live,
        "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
        "FROM users u JOIN grids g ON g.code = u.grid_code WHERE u.username = 'demo-grid'",
    )
    r = live.client("demo-county").post(
        live.url + "/api/v1/events",
        timeout=30,
        json={
            "category": "urban.littering",
            "channel": "patrol",
            "description": "乱堆乱放",
            "location": {"type": "Point", "coordinates": [lon, lat]},
        },
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    api_act(live, "demo-grid", event_id, "acknowledge")
    api_act(live, "demo-grid", event_id, "request_support", members=2)
    ranked = (
        live.client("demo-county")
        .get(f"{live.url}/api/v1/events/{event_id}/support-candidates", timeout=30)
        .json()["items"]
    )
    adjacent = {row[0] for row in query(live, "SELECT neighbour_code FROM grid_adjacency WHERE grid_code = %s", grid)}
    assert ranked and ranked[0]["ring"] == 1 and ranked[0]["grid"]["code"] in adjacent
    assert [(c["ring"], c["distance_m"]) for c in ranked] == sorted((c["ring"], c["distance_m"]) for c in ranked)

    open_dashboard(browser, live, "demo-county", f"#16/{lat:.5f}/{lon:.5f}")
    click(browser, f'.queue-item[data-event="{event_id}"]')
    click(browser, '#actions [data-action="confirm_support"]')
    wait_for(browser, lambda d: d.find_elements("css selector", "#candidates input"))
    listed = [box.get_attribute("value") for box in browser.find_elements("css selector", "#candidates input")]
    assert listed == [c["member"]["code"] for c in ranked]  # the ranked proposal, in its order
    shown = browser.find_element("id", "candidates").text
    assert all(c["grid"]["name"] in shown for c in ranked)  # each with the adjacent grid it is on duty in
    assert_clean(browser, live.url)
