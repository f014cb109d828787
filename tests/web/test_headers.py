"""Hardening: security headers on every response; production refuses a default secret."""

import pytest
import requests

from gisapp import create_app
from gisapp.config import Settings


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/categories", "/api/v1/nothing"])
def test_every_response_carries_the_security_headers(live, path):
    r = requests.get(live.url + path, timeout=10)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("secret", ["", "short"])
def test_production_mode_refuses_a_default_secret(secret):
    with pytest.raises(RuntimeError, match="GISAPP_SECRET_KEY"):
        create_app(
            Settings(database_url="postgresql+psycopg2://x:y@127.0.0.1:9/none", production=True, secret_key=secret)
        )
