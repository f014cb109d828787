"""The login and password-change pages: forms with a double-submit CSRF token; a session cookie on login.

The session id is new at every login; the cookie is HttpOnly, SameSite=Lax, Secure over HTTPS.
Failures answer the page again with the reason, never which of username or password was wrong.
"""

from __future__ import annotations

import hmac
import secrets

from flask import make_response, redirect, render_template, request

from gisapp.api import access, audit_key, db_session, settings
from gisapp.api.auth import failed_attempt_kept
from gisapp.api.auth import login as check_login
from gisapp.errors import AppError, ValidationFailed
from gisapp.services.access.accounts import change_password
from gisapp.services.access.audit import record
from gisapp.services.access.sessions import end_session, start_session

FORM_CSRF_COOKIE = "gisapp_form_csrf"


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' (open-redirect guard).

    >>> safe_next("/?layer=grids"), safe_next("//evil.example/"), safe_next("https://evil.example"), safe_next(None)
    ('/?layer=grids', '/', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _page(template: str, status: int = 200, error: str | None = None, **context):
    """A form page with a fresh CSRF token, in the form and in a Strict cookie (double submit)."""
    token = secrets.token_urlsafe(24)
    page = render_template(
        template,
        csrf_token=token,
        next=safe_next(request.values.get("next")),
        error=error,
        ended=request.args.get("ended"),
        **context,
    )
    response = make_response(page, status)
    response.set_cookie(FORM_CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure, path="/")
    return response


def _csrf_ok() -> bool:
    sent, expected = request.form.get("csrf_token", ""), request.cookies.get(FORM_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def show_login():
    return _page("login.html", username=request.args.get("username", ""))


def submit_login():
    username = request.form.get("username", "").strip()
    if not _csrf_ok():
        return _page("login.html", 403, "csrf_failed", username=username)
    try:
        account = check_login(username, request.form.get("password", ""))
    except AppError as exc:
        return _page("login.html", exc.status, exc.code, username=username)
    session = db_session()
    old = access.current().web_session
    if old is not None:
        end_session(session, old.id, "logout")
    cookie, _ = start_session(session, account, client_addr=request.remote_addr)
    session.commit()
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(
        access.SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
        max_age=int(settings().session_absolute.total_seconds()),
    )
    response.delete_cookie(FORM_CSRF_COOKIE, path="/")
    return response


def show_password():
    return _page("password.html", username=request.args.get("username", ""))


def submit_password():
    """Change one's own password with the old one (also an expired one); then log in with the new one."""
    username = request.form.get("username", "").strip()
    if not _csrf_ok():
        return _page("password.html", 403, "csrf_failed", username=username)
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        return _page("password.html", 422, "password_mismatch", username=username)
    try:
        access.rate_limit("login", username)
        session = db_session()
        with failed_attempt_kept(session):
            change_password(
                session,
                audit_key(),
                username,
                request.form.get("old_password", ""),
                new,
                client_addr=request.remote_addr,
                policy=settings().password_policy,
            )
        session.commit()
    except AppError as exc:
        return _page("password.html", exc.status, exc.code, username=username)
    return redirect("/login?changed=1")


def end_login() -> None:
    """Log out: end the browser session (the CSRF token was checked by the access hook)."""
    principal = access.current()
    if principal.web_session is None:
        raise ValidationFailed(
            "only a browser session logs out here; a bearer token ends with POST /api/v1/auth/revoke",
            code="not_a_session",
        )
    session = db_session()
    end_session(session, principal.web_session.id, "logout")
    record(session, audit_key(), principal.actor, "logout", details={"via": "browser"})
    session.commit()
