"""Security headers on every response (issue 3 hardening): own origin only, no framing, no sniffing."""

from __future__ import annotations

from flask import Flask

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app: Flask, *, basemap_origin: str | None = None) -> None:
    """Add CSP (the app's origin, plus a configured basemap for images), nosniff and frame denial."""
    policy = CSP.replace("img-src 'self' data:", f"img-src 'self' data: {basemap_origin}") if basemap_origin else CSP

    @app.after_request
    def secure(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
