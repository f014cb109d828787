"""The evaluation page (考核评价) in a real headless Chromium against the live app, on a database where events went
through their steps (some on time, some late, one returned, one sent back, some still open) in eight grids of
different townships, in the period shown, in the period before it and a year before.

A county commander sees the figures the API gives, switches the scope, draws the choropleth, opens the events
behind a figure and one of them, and switches to English; a township dispatcher sees its township only; the auditor
sees the figures and their events without map layers or event details (its role reads neither). No console error,
no request to another host; each view leaves a screenshot docs/screenshots/evaluation-*.png."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.domain.intake import parse_event_report
from gisapp.domain.lifecycle import parse_step
from gisapp.domain.permissions import event_scope
from gisapp.services.access.accounts import account_columns, account_from_row, create_user
from gisapp.services.access.audit import Actor
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.events.lifecycle import perform
from gisapp.services.events.tracking import rate, tracking_token
from tests.support import TEST_AUDIT_KEY as KEY
from tests.support import query
from tests.web.browser import login_in_browser, wait_for
from tests.web.page_checks import PageWatch, page_state, screenshot, watched_browser  # noqa: F401


def shot(driver, name: str) -> None:
    """docs/screenshots/<name>.png from the top of the page."""
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, name)


CST = timezone(timedelta(hours=8))
STAFF = Submitter("user:eval-page-test", Actor("eval-page-test", "county_commander", None), "320102")
OFFICER_PASSWORD = "Meiyuan#2026"
MINUTE = timedelta(minutes=1)


# --------------------------------------------------------------------------- the events, step by step, in the past


def _account(session, username: str):
    row = session.execute(
        text(f"SELECT {account_columns('u')} FROM users u WHERE u.username = :u"), {"u": username}
    ).one()
    return account_from_row(row)


def act(session, username: str, event_id: int, action: str, at: datetime, **fields) -> None:
    acc = _account(session, username)
    perform(
        session,
        KEY,
        acc,
        Actor(username, str(acc.role), None),
        event_id,
        parse_step({"action": action, **fields}),
        event_scope(str(acc.role), acc.bound_to, f"user:{username}"),
        now=at,
    )


def report(session, place: dict, at: datetime) -> int:
    body = {
        "category": place["category"],
        "channel": "hotline",
        "description": "考核页面测试",
        "location": {"type": "Point", "coordinates": [place["lon"], place["lat"]]},
    }
    return submit_event(session, parse_event_report(body), by=STAFF, audit_key=None, now=at).event["id"]


def deadlines(session, event_id: int) -> tuple[datetime, datetime]:
    """The open handling task's respond-by and handle-by (on the county's working-time calendar)."""
    return session.execute(
        text("SELECT respond_by, handle_by FROM event_tasks WHERE event_id = :e ORDER BY id DESC LIMIT 1"),
        {"e": event_id},
    ).one()


def closed(session, place: dict, at: datetime, *, late: bool = False, rework: bool = False) -> int:
    """An event reported, acknowledged, on scene, handled, verified and closed; late: after both its limits."""
    event_id = report(session, place, at)
    officer = place["officer"]
    respond_by, handle_by = deadlines(session, event_id)
    ack, done = (respond_by + 5 * MINUTE, handle_by + 10 * MINUTE) if late else (at + 2 * MINUTE, at + 10 * MINUTE)
    act(session, officer, event_id, "acknowledge", ack)
    act(session, officer, event_id, "arrive", ack + MINUTE)
    act(session, officer, event_id, "handle", done)
    if rework:
        act(
            session,
            "demo-township" if place["own"] else "demo-county",
            event_id,
            "send_back",
            done + MINUTE,
            note="未清理干净",
        )
        done += 5 * MINUTE
        act(session, officer, event_id, "acknowledge", done)
        act(session, officer, event_id, "arrive", done + MINUTE)
        act(session, officer, event_id, "handle", done + 2 * MINUTE)
    act(session, "demo-county", event_id, "verify", done + 10 * MINUTE)
    act(session, "demo-county", event_id, "close", done + 11 * MINUTE, note="已办结")
    return event_id


def still_open(session, place: dict, at: datetime) -> int:
    event_id = report(session, place, at)
    act(session, place["officer"], event_id, "acknowledge", at + 3 * MINUTE)
    return event_id


def returned(session, place: dict, at: datetime) -> int:
    event_id = report(session, place, at)
    act(session, place["officer"], event_id, "return", at + 3 * MINUTE, note="不属于本网格")
    return event_id


def year_earlier(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def places(session) -> list[dict]:
    """demo-grid's grid first, then a grid of each other township, each with a grid officer of its team."""
    (category,) = session.execute(
        text(
            "SELECT code FROM categories WHERE level = 1 AND handling_unit = 'minutes' AND priority <> 'urgent' "
            "ORDER BY handling_minutes, code LIMIT 1"
        )
    ).one()
    rows = (
        session.execute(
            text("""
        WITH own AS (SELECT grid_code FROM users WHERE username = 'demo-grid')
        SELECT * FROM (
          SELECT DISTINCT ON (left(g.code, 9)) g.code, ST_X(ST_PointOnSurface(g.geom)) AS lon,
                 ST_Y(ST_PointOnSurface(g.geom)) AS lat, g.code = own.grid_code AS own
          FROM grids g CROSS JOIN own JOIN teams t ON t.grid_code = g.code
          ORDER BY left(g.code, 9), g.code <> own.grid_code, g.code) x
        ORDER BY NOT own, code""")
        )
        .mappings()
        .all()
    )
    out = []
    for i, row in enumerate(rows):
        officer = "demo-grid"
        if not row["own"]:
            officer = f"eval-officer-{i}"
            member = session.execute(
                text(
                    "SELECT m.code FROM members m JOIN teams t ON t.code = m.team_code "
                    "WHERE t.grid_code = :g ORDER BY m.code LIMIT 1"
                ),
                {"g": row["code"]},
            ).scalar()
            create_user(
                session,
                KEY,
                Actor("eval-page-test", "security_admin", None),
                username=officer,
                role="grid_officer",
                bound_to=row["code"],
                password=OFFICER_PASSWORD,
                member=member,
            )
        out.append({**row, "officer": officer, "category": category})
    return out


@pytest.fixture(scope="module")
def world(live):
    """The events; the period shown is [the first one's day, tomorrow) in China Standard Time."""
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = now - timedelta(days=20)
    first_day = start.astimezone(CST).date()
    period = (first_day, now.astimezone(CST).date() + timedelta(days=1))
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        grids = places(session)
        own = grids[0]
        ids = {
            "on_time": closed(session, own, start),
            "late": closed(session, own, start + 5 * MINUTE, late=True),
            "reworked": closed(session, own, start + 10 * MINUTE, rework=True),
            "returned": returned(session, own, start + 15 * MINUTE),
            "open": still_open(session, own, start + 20 * MINUTE),
        }
        rate(
            session,
            KEY,
            tracking_token(KEY, ids["on_time"]),
            "satisfied",
            None,
            client_addr=None,
            now=start + timedelta(hours=2),
        )
        # the other grids: a different share closed on time in each, so the map has several colours
        for i, place in enumerate(grids[1:], start=1):
            at = start + timedelta(hours=i)
            for k in range(i % 3 + 1):
                closed(session, place, at + 30 * k * MINUTE)
            if i % 2:
                closed(session, place, at + 120 * MINUTE, late=True)
            else:
                still_open(session, place, at + 150 * MINUTE)
        # 环比 and 同比: fewer events in demo-grid's grid the period before and a year before
        before = start - timedelta(days=(period[1] - period[0]).days)
        closed(session, own, before)
        closed(session, own, before + timedelta(hours=1), late=True)
        closed(session, own, year_earlier(start))
    engine.dispose()
    return {
        "grid": own["code"],
        "township": own["code"][:9],
        "ids": ids,
        "grids": [g["code"] for g in grids],
        "point": [own["lon"], own["lat"]],
        "from": period[0].isoformat(),
        "to": period[1].isoformat(),
    }


# --------------------------------------------------------------------------- the page


def api(live, who: str, path: str = "", **params) -> dict:
    r = live.client(who).get(live.url + "/api/v1/evaluation" + path, params=params, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def open_page(driver, live, world, username: str, **hash_params) -> PageWatch:
    """Log in on the way to the page, then open it on the test's period (the login drops the fragment)."""
    driver.set_window_size(1440, 1250)  # the whole page in one screenshot
    watch = PageWatch(driver, live.url)
    login_in_browser(driver, live.url, username, path="/evaluation")
    wait_for(driver, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    params = {"preset": "custom", "from": world["from"], "to": world["to"], **hash_params}
    # a new fragment on the open page: the page follows its address (hashchange) and reloads what it shows
    driver.get(live.url + "/evaluation#" + "&".join(f"{k}={v}" for k, v in params.items()))
    page_state(
        driver,
        lambda s: (
            s.get("table", {}).get("from") == params["from"]
            and s.get("table", {}).get("scope") == params.get("scope", s["table"]["scope"])
        ),
    )
    return watch


def shown_cells(driver) -> dict:
    """{row code: {kpi: (data-value, numerator shown, denominator shown)}} of the table."""
    return driver.execute_script("""
        const out = {};
        document.querySelectorAll('#figures-table tbody tr[data-code]').forEach(tr => {
          out[tr.dataset.code] = {};
          tr.querySelectorAll('td[data-kpi]').forEach(td => {
            const part = p => {
              const b = td.querySelector('.drill[data-part="' + p + '"]');
              return b ? b.textContent : null;
            };
            out[tr.dataset.code][td.dataset.kpi] = [td.dataset.value, part('numerator'), part('denominator')];
          });
        });
        return out;""")


def as_shown(cells: dict) -> dict:
    """The table's cells with their values as numbers (the page writes 1 where the API wrote 1.0)."""
    return {
        code: {k: [None if v == "" else float(v), n, d] for k, (v, n, d) in row.items()} for code, row in cells.items()
    }


def expected_cells(answer: dict) -> dict:
    """The cells the API's answer should give: the value, the numerator and denominator as their buttons read
    (a count has no denominator button)."""

    def shown(v):
        return "–" if v is None else str(v)

    return {
        row["code"]: {
            k: [
                None if f["value"] is None else float(f["value"]),
                shown(f["numerator"]),
                None if kinds[k] == "count" else shown(f["denominator"]),
            ]
            for k, f in row["kpis"].items()
        }
        for kinds in [{k["key"]: k["kind"] for k in answer["kpis"]}]
        for row in answer["rows"]
    }


def select(driver, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_value(value)


def click(driver, selector: str) -> None:
    element = wait_for(driver, lambda d: d.find_elements("css selector", selector))[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_commander_sees_the_api_figures_switches_scope_maps_them_and_traces_a_figure_to_its_events(
    live, world, watched_browser
):
    driver = watched_browser
    period = {"from": world["from"], "to": world["to"]}
    watch = open_page(driver, live, world, "demo-county")
    # the table shows what the API gives: every figure of every township, value, numerator and denominator
    answer = api(live, "demo-county", scope="township", **period)
    state = page_state(driver, lambda s: s.get("table", {}).get("scope") == "township")
    assert state["table"]["rows"] == answer["total"] == 8
    assert as_shown(shown_cells(driver)) == expected_cells(answer)
    # 环比: more events accepted in demo-grid's township than the period before, which is better (green ▲)
    arrow = driver.find_element(
        "css selector", f'tr[data-code="{world["township"]}"] td[data-kpi="accepted"] .arrow[data-cmp="previous"]'
    )
    assert arrow.text == "▲" and "good" in arrow.get_attribute("class")
    # sorted by the closure rate, worst first after a second click
    click(driver, 'th[data-sort="closure_rate"] button')
    click(driver, 'th[data-sort="closure_rate"] button')
    values = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'#figures-table td[data-kpi=\"closure_rate\"]')).map(td => td.dataset.value)"
    )
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers) and values[len(numbers) :] == [""] * (len(values) - len(numbers))

    # the grids: the same figures as the API's
    select(driver, "scope", "grid")
    page_state(driver, lambda s: s.get("table", {}).get("scope") == "grid")
    grids = api(live, "demo-county", scope="grid", limit=500, **period)
    assert as_shown(shown_cells(driver)) == expected_cells(grids)

    # the choropleth of grids by closure rate: every grid drawn, the eight with events shaded
    map_state = page_state(driver, lambda s: s.get("map", {}).get("kpi") == "closure_rate")["map"]
    assert map_state["level"] == "grid" and map_state["shaded"] == len(world["grids"])
    assert map_state["features"] == query(live, "SELECT count(*) FROM grids")[0][0]
    assert len(driver.find_elements("css selector", "#map-legend li")) >= 2
    # a click on demo-grid's grid on the map opens its figures
    click_on_map(driver, world["point"])
    wait_for(
        driver,
        lambda d: (
            d.execute_script("const h = document.getElementById('unit-title'); return h && h.dataset.code")
            == world["grid"]
        ),
    )
    page_state(driver, lambda s: s.get("trend", {}).get("code") == world["grid"] and s["trend"]["points"] > 0)
    page_state(driver, lambda s: s.get("workload", {}).get("rows", 0) > 0)
    shot(driver, "evaluation-county")

    # the numerator of the grid's closure rate: the events closed, those the API names
    click(driver, f'tr[data-code="{world["grid"]}"] td[data-kpi="closure_rate"] .drill[data-part="numerator"]')
    drill = api(
        live,
        "demo-county",
        "/drill",
        kpi="closure_rate",
        part="numerator",
        scope="grid",
        code=world["grid"],
        limit=20,
        **period,
    )
    shown = page_state(driver, lambda s: s.get("drill", {}).get("kpi") == "closure_rate")["drill"]
    ids = world["ids"]
    assert shown["ids"] == [i["id"] for i in drill["items"]] == sorted([ids["on_time"], ids["late"], ids["reworked"]])
    listed = [int(n.get_attribute("data-event")) for n in driver.find_elements("css selector", "#drill-list li")]
    assert listed == shown["ids"]
    # the denominator also counts the returned and the open one
    click(driver, f'tr[data-code="{world["grid"]}"] td[data-kpi="closure_rate"] .drill[data-part="denominator"]')
    shown = page_state(driver, lambda s: s.get("drill", {}).get("part") == "denominator")["drill"]
    assert shown["ids"] == sorted(ids.values())
    shot(driver, "evaluation-drill")
    # an event of the list: its summary in the side panel
    click(driver, f'#drill-list li[data-event="{ids["late"]}"] .event-link')
    wait_for(driver, lambda d: d.find_elements("css selector", f'#event-title[data-event="{ids["late"]}"]'))
    assert len(driver.find_elements("css selector", "#side-body .timeline li")) >= 6
    assert watch.errors() == [] and watch.foreign_requests() == []

    # English, with the same view (kept in the address)
    driver.find_element("id", "lang").click()
    wait_for(
        driver,
        lambda d: (
            d.execute_script("return document.body.dataset.ready") == "1"
            and d.execute_script("return document.documentElement.lang") == "en"
        ),
    )
    page_state(driver, lambda s: s.get("lang") == "en" and s.get("table", {}).get("scope") == "grid")
    header = driver.find_element("css selector", 'th[data-sort="closure_rate"]').text
    assert header.startswith("Closure rate")
    assert driver.find_element("id", "table-title").text.startswith("Figures")
    page_state(
        driver,
        lambda s: s.get("map", {}).get("shaded") == len(world["grids"]) and s.get("trend", {}).get("points", 0) > 0,
    )
    shot(driver, "evaluation-english")
    assert watch.errors() == [] and watch.foreign_requests() == []


def click_on_map(driver, lon_lat) -> None:
    """A real click on the map's canvas where a WGS84 point is drawn."""
    from selenium.webdriver.common.action_chains import ActionChains

    box = driver.find_element("id", "map")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    x, y = driver.execute_script(
        "const p = GISAPP.map.latLngToContainerPoint(L.latLng(arguments[1], arguments[0]));return [p.x, p.y]", *lon_lat
    )
    size = box.size
    ActionChains(driver).move_to_element_with_offset(
        box, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()


def test_a_township_dispatcher_sees_its_own_township_only(live, world, watched_browser):
    driver = watched_browser
    watch = open_page(driver, live, world, "demo-township")
    scopes = [o.get_attribute("value") for o in driver.find_elements("css selector", "#scope option")]
    assert "county" not in scopes and scopes[0] == "township"
    state = page_state(
        driver, lambda s: s.get("table", {}).get("scope") == "community" and s.get("map", {}).get("features", 0) > 0
    )
    codes = list(shown_cells(driver))
    assert codes and all(c.startswith(world["township"]) for c in codes) and len(codes) == state["table"]["total"]
    # a preset: last month in China Standard Time
    today = datetime.now(CST).date()
    first = today.replace(day=1)
    last_month = ((first - timedelta(days=1)).replace(day=1).isoformat(), first.isoformat())
    click(driver, '[data-preset="last_month"]')
    page_state(driver, lambda s: (s["table"]["from"], s["table"]["to"]) == last_month)
    # two dates typed in, the last one included: the API is asked for [from, the day after)
    click(driver, '[data-preset="custom"]')
    driver.execute_script(
        "document.getElementById('from').value = arguments[0];document.getElementById('until').value = arguments[1]",
        world["from"],
        today.isoformat(),
    )
    click(driver, "#apply")
    typed = (world["from"], (today + timedelta(days=1)).isoformat())
    page_state(driver, lambda s: (s["table"]["from"], s["table"]["to"]) == typed)
    assert driver.find_element("css selector", '[data-preset="custom"]').get_attribute("aria-pressed") == "true"
    assert watch.errors() == [] and watch.foreign_requests() == []


def test_the_auditor_traces_figures_without_map_layers_or_event_details(live, world, watched_browser):
    driver = watched_browser
    watch = open_page(driver, live, world, "demo-auditor", scope="grid")
    page_state(driver, lambda s: s.get("table", {}).get("scope") == "grid")
    assert driver.find_elements("id", "no-map") and not driver.find_elements("id", "map")
    click(driver, f'tr[data-code="{world["grid"]}"] td[data-kpi="accepted"] .drill[data-part="numerator"]')
    shown = page_state(driver, lambda s: s.get("drill", {}).get("kpi") == "accepted")["drill"]
    assert len(shown["ids"]) == 5
    click(driver, f'#drill-list li[data-event="{world["ids"]["open"]}"] .event-link')
    wait_for(driver, lambda d: d.find_elements("css selector", "#event-title"))
    shot(driver, "evaluation-auditor")
    # neither a layer nor an event was asked for (the auditor's role reads neither: no 403 in the console)
    assert watch.errors() == [] and watch.foreign_requests() == []
    assert not [u for u in watch.requests if "/api/v1/layers" in u or "/api/v1/events/" in u]
