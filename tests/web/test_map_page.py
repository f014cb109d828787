"""The overview map in a real headless Chromium against the live app."""
import html
import json
import re
import shutil
import subprocess

import pytest
import requests

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_page_and_bundled_assets_are_served_locally(live):
    page = requests.get(live.url + "/", timeout=10)
    assert page.status_code == 200 and "社会治理联勤指挥平台" in page.text
    assets = re.findall(r'(?:src|href)="(/static/gen/[^"]+)"', page.text)
    assert len(assets) == 2
    for url in assets:
        r = requests.get(live.url + url, timeout=10)
        assert r.status_code == 200 and len(r.content) > 1000
    # nothing is loaded from another host (isolated government network)
    assert not re.search(r'(?:src|href)="https?://', page.text)


def test_map_draws_the_county_layers_in_chromium(live, tmp_path):
    assert CHROMIUM, "chromium is required for the browser tests (make installs it)"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", "--dump-dom",
         live.url + "/"], capture_output=True, text=True, timeout=120)
    match = re.search(r'data-drawn="([^"]+)"', done.stdout)
    assert match, done.stderr[-2000:]
    drawn = json.loads(html.unescape(match.group(1)))
    assert drawn["townships"] == 8 and drawn["communities"] == 61
    assert 300 <= drawn["grids"] <= 600 and drawn["cameras"] > 0
