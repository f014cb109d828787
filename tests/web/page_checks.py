"""What a browser test of a view checks besides its own steps: no console errors, no request to another host,
a phone-sized screen, an emulated position, and the screenshots the README shows (docs/screenshots/)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from gisapp.config import PROJECT_ROOT
from tests.web.browser import chromium, requested_urls, wait_for

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}


@pytest.fixture()
def watched_browser(tmp_path):
    """A fresh headless Chromium that keeps its console and network logs (tests/web/browser.py's)."""
    with chromium(tmp_path / "profile") as driver:
        yield driver


class PageWatch:
    """Collects the console and the requests of a browser as a test goes (each read of a log drains it)."""

    def __init__(self, driver, base: str):
        self.driver, self.base = driver, base
        self.console: list[dict] = []
        self.requests: list[str] = []

    def drain(self) -> None:
        self.console.extend(self.driver.get_log("browser"))
        self.requests.extend(requested_urls(self.driver))

    def errors(self, expected: tuple[tuple[str, int], ...] = ()) -> list[dict]:
        """Console errors, but for the API refusals the test provoked on purpose: (path, status) pairs,
        which Chromium logs as 'Failed to load resource' network entries."""
        self.drain()

        def provoked(entry: dict) -> bool:
            return entry.get("source") == "network" and any(
                f"{self.base}{path} " in entry["message"] and f"status of {status} " in entry["message"]
                for path, status in expected
            )

        return [e for e in self.console if e["level"] == "SEVERE" and not provoked(e)]

    def foreign_requests(self) -> list[str]:
        """Requests to any host other than the app's (local schemes such as data: aside)."""
        self.drain()
        app = urlsplit(self.base).netloc
        return [
            url for url in self.requests if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != app
        ]


def phone(driver, width: int = 375, height: int = 812) -> None:
    """A phone-sized screen (an iPhone X's CSS pixels), touch-sized, at twice the pixel density."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
    )


def place_browser_at(driver, base: str, lon: float, lat: float, accuracy: float = 8) -> None:
    """Grant the app geolocation and make the browser report this WGS84 position."""
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": accuracy}
    )


def page_state(driver, check=lambda s: True, timeout: float = 60) -> dict:
    """The state a view publishes in body[data-state], once `check` holds for it."""
    from selenium.common.exceptions import TimeoutException

    seen = []

    def ready(d):
        raw = d.execute_script("return document.body.dataset.state")
        state = json.loads(raw) if raw else None
        seen[:] = [state]
        return state if state is not None and check(state) else None

    try:
        return wait_for(driver, ready, timeout)
    except TimeoutException:
        raise AssertionError(f"the page's state stayed {seen[0] if seen else None}") from None


def screenshot(driver, name: str) -> None:
    """docs/screenshots/<name>.png, for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
