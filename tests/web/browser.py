"""A real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, and form logins."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from gisapp.services.access.accounts import DEMO_PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@contextmanager
def chromium(profile: Path):
    """A fresh headless Chromium on a new profile, keeping its console and network logs for the checks."""
    assert CHROMIUM and CHROMEDRIVER, "chromium and chromium-driver are required (make installs them)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # the console (errors) and the network events (every request's host) are read back by the tests
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def browser(tmp_path):
    """A fresh headless browser profile per test (no cookies carried over)."""
    with chromium(tmp_path / "profile") as driver:
        yield driver


def console_errors(driver) -> list[str]:
    """The console's errors since the last call (the log is drained when read)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def requested_urls(driver) -> list[str]:
    """Every URL the page requested since the last call (Chrome's performance log: CDP Network events)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def foreign_requests(driver, base: str) -> list[str]:
    """The network requests (http, https, ws, wss) to any host but the app's; the browser's own pages
    (chrome://, its new-tab page at start) and data: URLs go to no host."""
    from urllib.parse import urlsplit

    app = urlsplit(base).netloc
    return [
        u
        for u in requested_urls(driver)
        if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != app
    ]


def wait_for(driver, condition, timeout: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def login_in_browser(driver, base: str, username: str, password: str = DEMO_PASSWORD, path: str = "/") -> None:
    """Open a page, get sent to the login page, fill in the form and submit it."""
    from selenium.webdriver.common.by import By

    driver.get(base + path)
    wait_for(driver, lambda d: d.find_elements(By.NAME, "username"))
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.ID, "submit").click()
    # landed: the login page is gone, or it answered with an error (a readyState check alone can still see the
    # login page before it leaves)
    wait_for(
        driver,
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and (
                "/login" not in d.current_url
                or d.execute_script("var e = document.getElementById('error'); return !!(e && e.dataset.code)")
            )
        ),
    )


def form_login(base: str, username: str, password: str = DEMO_PASSWORD) -> tuple[requests.Session, requests.Response]:
    """Log in through the HTML form with plain HTTP: (session with the cookie, the POST's response)."""
    http = requests.Session()
    page = http.get(base + "/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = http.post(
        base + "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        allow_redirects=False,
        timeout=30,
    )
    return http, r


def csrf_of(http: requests.Session, base: str) -> str:
    """The CSRF token a logged-in page carries."""
    page = http.get(base + "/", timeout=10)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
