"""Bearer tokens for API clients: obtain, inspect, revoke; the password check the login page shares."""

from __future__ import annotations

from contextlib import contextmanager

from apiflask import APIBlueprint, Schema
from apiflask.fields import String
from flask import current_app, request

from gisapp.api import access, audit_key, db_session, require_json_body, settings
from gisapp.api.schemas import error_responses
from gisapp.domain.security import Binding
from gisapp.errors import AuthenticationRequired, ValidationFailed
from gisapp.services.access.accounts import (
    Account,
    AuthenticationFailed,
    authenticate,
    bound_name,
    change_password,
    issue_token,
    revoke_token,
)
from gisapp.services.access.audit import record

bp = APIBlueprint("auth", __name__, url_prefix="/api/v1/auth", tag="auth")


@bp.before_request
def credentials_are_json():
    if request.endpoint in ("auth.token", "auth.password"):
        require_json_body()


class TokenIn(Schema):
    username = String(required=True)
    password = String(required=True)


class TokenOut(Schema):
    token = String()
    token_type = String()
    expires_at = String()


def current_account() -> Account:
    """The account behind this request (the matrix already refused anyone else), or 401."""
    account = access.current().account
    if account is None:
        raise AuthenticationRequired("this call needs an account: POST /api/v1/auth/token for a bearer token")
    return account


@contextmanager
def failed_attempt_kept(session):
    """A failed login or password change is counted and audited: commit it before the 401 goes out."""
    try:
        yield
    except AuthenticationFailed:
        session.commit()
        raise


def login(username: str, password: str) -> Account:
    """Rate-limited password check shared by the token call and the login page; commits a failure."""
    access.rate_limit("login", username)
    session = db_session()
    with failed_attempt_kept(session):
        return authenticate(
            session, audit_key(), username, password, client_addr=request.remote_addr, policy=settings().password_policy
        )


@bp.post("/token")
@bp.input(TokenIn, location="json", arg_name="body", validation=False)
@bp.output(TokenOut, status_code=201)
@bp.doc(
    summary="Exchange a username and password for a bearer token",
    responses=error_responses("authentication_failed", "account_locked"),
)
def token(body):
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("username"), str)
        or not isinstance(body.get("password"), str)
    ):
        raise ValidationFailed('send {"username": "...", "password": "..."}', code="invalid_credentials_body")
    account = login(body["username"], body["password"])
    session = db_session()
    value, expires = issue_token(session, account)
    session.commit()
    return {"token": value, "token_type": "Bearer", "expires_at": expires.isoformat().replace("+00:00", "Z")}


@bp.post("/password")
@bp.doc(
    summary="Change one's own password (also when it has expired): username, old_password, new_password",
    responses=error_responses(
        "authentication_failed",
        "account_locked",
        "password_too_short",
        "password_too_simple",
        "password_contains_username",
        "password_too_common",
        "password_unchanged",
    ),
)
def password():
    body = request.get_json()
    fields = ("username", "old_password", "new_password")
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        raise ValidationFailed('send {"username", "old_password", "new_password"}', code="invalid_credentials_body")
    access.rate_limit("login", body["username"])
    session = db_session()
    with failed_attempt_kept(session):
        change_password(
            session,
            audit_key(),
            body["username"],
            body["old_password"],
            body["new_password"],
            client_addr=request.remote_addr,
            policy=settings().password_policy,
        )
    session.commit()
    return current_app.response_class(status=204)


@bp.post("/revoke")
@bp.doc(summary="Revoke the bearer token of this request", responses=error_responses("authentication_required"))
def revoke():
    principal = access.current()
    if principal.web_session is not None:
        raise ValidationFailed("a browser session ends with POST /logout", code="not_a_token")
    session = db_session()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    revoke_token(session, token.strip())
    record(session, audit_key(), principal.actor, "logout")
    session.commit()
    return current_app.response_class(status=204)


@bp.get("/me")
@bp.doc(summary="Who the bearer token belongs to", responses=error_responses("authentication_required"))
def me():
    account = current_account()
    name = bound_name(db_session(), account)
    area = department = None
    if account.binding is Binding.DEPARTMENT:
        department = {"code": account.bound_to, "name": name}
    else:
        area = {"level": str(account.binding), "code": account.bound_to, "name": name}
    return {"username": account.username, "role": str(account.role), "area": area, "department": department}
