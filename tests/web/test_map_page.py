"""The overview map in a real headless Chromium against the live app, after a real form login."""

import json
import re

from tests.web.browser import browser, form_login, login_in_browser, wait_for  # noqa: F401 (fixture)


def drawn(driver) -> dict:
    value = wait_for(driver, lambda d: d.execute_script("return document.body.dataset.drawn"))
    return json.loads(value)


def test_page_and_bundled_assets_are_served_locally(live):
    http, r = form_login(live.url, "demo-county")
    assert r.status_code == 302
    page = http.get(live.url + "/", timeout=10)
    assert page.status_code == 200 and "社会治理联勤指挥平台" in page.text
    assets = re.findall(r'(?:src|href)="(/static/gen/[^"]+)"', page.text)
    assert len(assets) == 2
    for url in assets:
        r = http.get(live.url + url, timeout=10)
        assert r.status_code == 200 and len(r.content) > 1000
    # nothing is loaded from another host (isolated government network)
    assert not re.search(r'(?:src|href)="https?://', page.text)


def test_commander_sees_the_whole_county_drawn(live, browser):
    login_in_browser(browser, live.url, "demo-county")
    counts = drawn(browser)
    assert counts["townships"] == 8 and counts["communities"] == 61
    assert 300 <= counts["grids"] <= 600 and counts["cameras"] > 0
    assert "demo-county" in browser.find_element("id", "user").text


def test_grid_officer_sees_its_grid_and_the_grids_around_it(live, browser):
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM grids n JOIN grids o ON ST_Relate(n.geom, "
            "(SELECT ST_Union(x.geom) FROM grids x WHERE ST_Intersects(x.geom, o.geom)), 'T********') "
            "JOIN users u ON u.grid_code = o.code WHERE u.username = 'demo-grid'"
        )
        (expected,) = cur.fetchone()
    conn.close()
    login_in_browser(browser, live.url, "demo-grid")
    counts = drawn(browser)
    assert 2 <= counts["grids"] == expected < 20
    assert counts["townships"] <= 3


def test_auditor_page_shows_no_business_data(live, browser):
    login_in_browser(browser, live.url, "demo-auditor")
    assert drawn(browser) == {}
    assert browser.find_element("css selector", ".notice-bar").is_displayed()


def test_an_expired_password_is_changed_in_the_browser_then_used(live, browser):
    from selenium.webdriver.common.by import By

    conn = live.db()
    with conn.cursor() as cur:
        cur.execute("UPDATE users SET password_changed_at = now() - interval '100 days' WHERE username = 'demo-dept'")
    conn.commit()
    conn.close()
    login_in_browser(browser, live.url, "demo-dept")
    assert browser.find_element(By.ID, "error").get_attribute("data-code") == "password_expired"
    browser.find_element(By.ID, "change").click()
    wait_for(browser, lambda d: d.find_elements(By.NAME, "old_password"))
    assert browser.find_element(By.NAME, "username").get_attribute("value") == "demo-dept"
    browser.find_element(By.NAME, "old_password").send_keys("Gisapp#Demo2026")
    for name in ("new_password", "new_password_again"):
        browser.find_element(By.NAME, name).send_keys("Chengguan#2027")
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "changed"))
    browser.find_element(By.NAME, "username").send_keys("demo-dept")
    browser.find_element(By.NAME, "password").send_keys("Chengguan#2027")
    browser.find_element(By.ID, "submit").click()
    counts = drawn(browser)
    assert counts["grids"] > 300  # department staff see the county map


def test_login_page_switches_to_english(live, browser):
    from selenium.webdriver.common.by import By

    browser.get(live.url + "/login")
    assert browser.find_element(By.ID, "submit").text == "登录"
    browser.find_element(By.ID, "lang").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "submit").text == "Log in")
