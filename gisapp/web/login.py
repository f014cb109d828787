"""The login page: a form (username, password) with a double-submit CSRF token; a session cookie on success.

The session id is new at every login; the cookie is HttpOnly, SameSite=Lax, Secure over HTTPS.
Failures answer the page again with the reason, never which of username or password was wrong.
"""
from __future__ import annotations

import hmac
import secrets

from flask import redirect, render_template, request

from gisapp.api import access, audit_key, db_session, settings
from gisapp.api.auth import login as check_login
from gisapp.errors import AppError
from gisapp.services.audit import record
from gisapp.services.sessions import end_session, start_session

LOGIN_CSRF_COOKIE = "gisapp_login_csrf"


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' (open-redirect guard).

    >>> safe_next("/?layer=grids"), safe_next("//evil.example/"), safe_next("https://evil.example"), safe_next(None)
    ('/?layer=grids', '/', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _page(status: int = 200, error: str | None = None, username: str = ""):
    token = secrets.token_urlsafe(24)
    page = render_template("login.html", csrf_token=token, next=safe_next(request.values.get("next")),
                           error=error, ended=request.args.get("ended"), username=username)
    return _with_cookie(page, status, token)


def _with_cookie(page: str, status: int, token: str):
    from flask import make_response

    response = make_response(page, status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/login")
    return response


def show_login():
    return _page()


def submit_login():
    sent, expected = request.form.get("csrf_token", ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _page(403, "csrf_failed")
    username = request.form.get("username", "").strip()
    try:
        account = check_login(username, request.form.get("password", ""))
    except AppError as exc:
        return _page(exc.status, exc.code, username)
    session = db_session()
    old = access.current().web_session
    if old is not None:
        end_session(session, old.id, "logout")
    cookie, _ = start_session(session, account, client_addr=request.remote_addr)
    session.commit()
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(access.SESSION_COOKIE, cookie, httponly=True, samesite="Lax", secure=request.is_secure,
                        path="/", max_age=int(settings().session_absolute.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def end_login() -> None:
    """Log out: end the browser session (the CSRF token was checked by the access hook)."""
    principal = access.current()
    session = db_session()
    if principal.web_session is not None:
        end_session(session, principal.web_session.id, "logout")
    record(session, audit_key(), principal.actor, "logout", details={"via": "browser"})
    session.commit()
