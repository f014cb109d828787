"""Who is asking, and may they: resolved once per request, before any view runs.

Credentials, in this order: `Authorization: Bearer <token>` (an account's API token),
`Authorization: ApiKey <key>` or `X-API-Key: <key>` (an integration), the `gisapp_session`
cookie (a browser session). The permission matrix (domain/permissions.py) then decides: routes
not listed are refused to everyone. A browser that is not logged in is sent to the login page;
an API caller gets 401; a caller of the wrong kind gets 403 and an audit record. A cookie-borne
state-changing request must carry the session's CSRF token (X-CSRF-Token or a csrf_token field).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask, g, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from gisapp.api import audit_key, db_session, settings
from gisapp.domain.permissions import ANONYMOUS, INTEGRATION, MATRIX, Scope, allowed, event_scope
from gisapp.errors import AuthenticationRequired, Forbidden
from gisapp.services.access.accounts import Account, account_for_token
from gisapp.services.access.audit import Actor, record
from gisapp.services.access.integrations import Integration, integration_for_key
from gisapp.services.access.ratelimit import Limit, hit
from gisapp.services.access.sessions import WebSession, session_for_cookie

SESSION_COOKIE = "gisapp_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_CREDENTIALS = frozenset({"static", "meta.healthz"})  # open to all: no database look-up for them


@dataclass(frozen=True)
class Principal:
    """The caller of this request."""

    caller: str  # a role, "integration" or "anonymous"
    name: str  # username or integration code
    account: Account | None = None
    integration: Integration | None = None
    web_session: WebSession | None = None
    presented: str | None = None  # credentials that were sent but did not lead anywhere
    session_ended: str | None = None  # 'idle' / 'expired' when this request found its session over

    @property
    def submitter(self) -> str:
        return f"integration:{self.name}" if self.integration else f"user:{self.name}"

    @property
    def actor(self) -> Actor:
        return Actor(self.name, None if self.caller == ANONYMOUS else self.caller, request.remote_addr)

    def scope(self) -> Scope:
        return event_scope(self.caller, self.account.bound_to if self.account else None, self.submitter)


def current() -> Principal:
    """The principal of this request (resolved by the authorise hook)."""
    return g.principal


def _resolve() -> Principal:
    session = db_session()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        account = account_for_token(session, value)
        return _of_account(account) if account else Principal(ANONYMOUS, ANONYMOUS, presented="bearer token")
    api_key = value if scheme.lower() == "apikey" and value else request.headers.get("X-API-Key", "").strip()
    if api_key:
        integration = integration_for_key(session, api_key)
        if integration is None:
            return Principal(ANONYMOUS, ANONYMOUS, presented="API key")
        return Principal(INTEGRATION, integration.code, integration=integration)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = session_for_cookie(session, cookie, idle=settings().session_idle, absolute=settings().session_absolute)
        if found.ended:
            record(
                session,
                audit_key(),
                Actor("session", None, request.remote_addr),
                "session.end",
                target=f"web_session:{found.ended}",
                details={"reason": found.ended},
            )
        session.commit()  # the touch of last_seen_at, or the end of an expired session
        if found.session:
            return _of_account(found.session.account, found.session)
        return Principal(ANONYMOUS, ANONYMOUS, presented="session cookie", session_ended=found.ended)
    return Principal(ANONYMOUS, ANONYMOUS)


def _of_account(account: Account, web_session: WebSession | None = None) -> Principal:
    return Principal(str(account.role), account.username, account=account, web_session=web_session)


def is_page() -> bool:
    """Browser pages (as opposed to the JSON API) answer with redirects to the login page."""
    return (request.endpoint or "").startswith("web.")


def _login_redirect(principal: Principal):
    args = {"next": request.full_path.rstrip("?")}
    if principal.session_ended:
        args["ended"] = principal.session_ended
    response = redirect("/login?" + urlencode(args))
    if principal.presented == "session cookie":
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _check_csrf(principal: Principal) -> None:
    if principal.web_session is None or request.method in SAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token") or _form_csrf_token()
    if not hmac.compare_digest(sent.encode(), principal.web_session.csrf_token.encode()):
        _deny(principal, "csrf_failed", "the form or call lacks this session's CSRF token: reload the page")


def _form_csrf_token() -> str:
    """The csrf_token field of a form; none in an upload too large to parse here (its view has its own limit)."""
    try:
        return request.form.get("csrf_token") or ""
    except RequestEntityTooLarge:
        return ""


def _deny(principal: Principal, code: str, message: str) -> None:
    session = db_session()
    session.rollback()
    record(
        session,
        audit_key(),
        principal.actor,
        "permission.denied",
        target=f"{request.method} {request.path}",
        success=False,
        details={"reason": code},
    )
    session.commit()
    raise Forbidden(message, code=code)


def authorise():
    """The app's first before_request hook: resolve the caller, apply the matrix and CSRF."""
    if request.endpoint is None:
        return None  # no such route: routing answers 404/405
    if request.endpoint in NO_CREDENTIALS:
        g.principal = Principal(ANONYMOUS, ANONYMOUS)
        return None
    principal = g.principal = _resolve()
    if allowed(request.endpoint, principal.caller):
        _check_csrf(principal)
        return None
    if principal.caller == ANONYMOUS:
        if is_page():
            return _login_redirect(principal)
        what = f"the {principal.presented} is not valid (expired, revoked or unknown); " if principal.presented else ""
        raise AuthenticationRequired(what + "sign in: POST /api/v1/auth/token for a bearer token")
    _deny(principal, "forbidden", f"the role {principal.caller} may not use {request.method} {request.path}")
    return None


def rate_limit(kind: str, account_key: str | None) -> None:
    """Count this request against the per-client and per-account limits of a kind ('login', 'intake')."""
    cfg = settings()
    per_client, per_account = cfg.rate_limits[kind]
    limits = [Limit(f"{kind}:addr:{request.remote_addr}", per_client)]
    if account_key:
        limits.append(Limit(f"{kind}:who:{account_key}", per_account))
    hit(db_session(), limits, window=cfg.rate_window_seconds)


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "integrations"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "browser session; changes need the X-CSRF-Token header",
    },
}


def document_access(app: Flask, spec: dict) -> dict:
    """Put the matrix in the OpenAPI document: the schemes, and per operation who may call it."""
    spec.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        callers = sorted(MATRIX.get(rule.endpoint, (frozenset(), ""))[0])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec.get("paths", {}).get(path, {}).get(method.lower())
            if operation is None:
                continue
            operation["x-callers"] = callers
            if ANONYMOUS not in callers:
                operation["security"] = [{"bearer": []}, {"session": []}] + (
                    [{"apiKey": []}] if INTEGRATION in callers else []
                )
    return spec


def register_access(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, authorise)
    app.spec_processor(lambda spec: document_access(app, spec))
