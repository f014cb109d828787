"""The other views in Chromium with the same checks as the dashboard: the login page and the overview map for a
grid officer and a department's staff: drawn, no console error, no request to another host, a screenshot each."""

import json

import pytest

from gisapp.config import PROJECT_ROOT
from tests.web.browser import browser, console_errors, foreign_requests, login_in_browser, wait_for  # noqa: F401

SHOTS = PROJECT_ROOT / "docs" / "screenshots"


def test_the_login_page_is_clean(live, browser):
    browser.get(live.url + "/login")
    wait_for(browser, lambda d: d.find_elements("id", "submit"))
    browser.save_screenshot(str(SHOTS / "login.png"))
    assert console_errors(browser) == [] and foreign_requests(browser, live.url) == []


# the overview is every account's map, with a link to the caller's own view only (none for department staff)
@pytest.mark.parametrize(
    "username, shot, link",
    [("demo-grid", "overview-grid-officer.png", "to-officer"), ("demo-dept", "overview-department.png", None)],
)
def test_the_overview_map_is_drawn_and_clean(live, browser, username, shot, link):
    login_in_browser(browser, live.url, username)
    drawn = json.loads(wait_for(browser, lambda d: d.execute_script("return document.body.dataset.drawn")))
    links = [e.get_attribute("id") for e in browser.find_elements("css selector", "a.nav-link")]
    assert drawn["grids"] > 0 and links == ([link] if link else [])
    browser.save_screenshot(str(SHOTS / shot))
    assert console_errors(browser) == [] and foreign_requests(browser, live.url) == []
