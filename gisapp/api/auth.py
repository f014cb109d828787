"""Bearer tokens for API clients: obtain, inspect, revoke (issue 3; route enforcement follows)."""
from __future__ import annotations

from contextlib import contextmanager

from apiflask import APIBlueprint, Schema
from apiflask.fields import String
from flask import current_app, request

from gisapp.api import audit_key, db_session, require_json_body
from gisapp.api.schemas import error_response
from gisapp.domain.security import Binding, Role
from gisapp.errors import Forbidden, ValidationFailed
from gisapp.services.accounts import (Account, AuthenticationFailed, account_for_token, authenticate,
                                      bound_name, change_password, issue_token, revoke_token)
from gisapp.services.audit import Actor, record

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


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_account() -> Account:
    """The account of the request's bearer token, or 401."""
    token = bearer_token()
    account = account_for_token(db_session(), token) if token else None
    if account is None:
        raise AuthenticationFailed("a valid bearer token is required: POST /api/v1/auth/token",
                                   code="authentication_required")
    return account


def request_actor(account: Account) -> Actor:
    """The audit actor of this request's account."""
    return Actor(account.username, str(account.role), request.remote_addr)


@contextmanager
def failed_attempt_kept(session):
    """A failed login or password change is counted and audited: commit it before the 401 goes out."""
    try:
        yield
    except AuthenticationFailed:
        session.commit()
        raise


def require_role(*roles: Role) -> Account:
    """The request's account if it holds one of the roles; else 401, or 403 with an audit record."""
    account = current_account()
    if account.role not in roles:
        session = db_session()
        record(session, audit_key(), request_actor(account), "permission.denied",
               target=f"{request.method} {request.path}", success=False)
        session.commit()
        raise Forbidden(f"the role {account.role} may not use {request.method} {request.path}")
    return account


@bp.post("/token")
@bp.input(TokenIn, location="json", arg_name="body", validation=False)
@bp.output(TokenOut, status_code=201)
@bp.doc(summary="Exchange a username and password for a bearer token",
        responses={401: error_response("authentication_failed, account_locked")})
def token(body):
    if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
            or not isinstance(body.get("password"), str):
        raise ValidationFailed('send {"username": "...", "password": "..."}', code="invalid_credentials_body")
    session = db_session()
    with failed_attempt_kept(session):
        account = authenticate(session, audit_key(), body["username"], body["password"],
                               client_addr=request.remote_addr)
    value, expires = issue_token(session, account)
    session.commit()
    return {"token": value, "token_type": "Bearer", "expires_at": expires.isoformat().replace("+00:00", "Z")}


@bp.post("/password")
@bp.doc(summary="Change one's own password (also when it has expired): username, old_password, new_password",
        responses={401: error_response("authentication_failed, account_locked"),
                   422: error_response("password_too_short, password_too_simple, password_contains_username, "
                                       "password_too_common, password_unchanged")})
def password():
    body = request.get_json()
    fields = ("username", "old_password", "new_password")
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        raise ValidationFailed('send {"username", "old_password", "new_password"}', code="invalid_credentials_body")
    session = db_session()
    with failed_attempt_kept(session):
        change_password(session, audit_key(), body["username"], body["old_password"], body["new_password"],
                        client_addr=request.remote_addr)
    session.commit()
    return current_app.response_class(status=204)


@bp.post("/revoke")
@bp.doc(summary="Revoke the bearer token of this request", responses={401: error_response("authentication_required")})
def revoke():
    account = current_account()
    session = db_session()
    revoke_token(session, bearer_token())
    record(session, audit_key(), request_actor(account), "logout")
    session.commit()
    return current_app.response_class(status=204)


@bp.get("/me")
@bp.doc(summary="Who the bearer token belongs to", responses={401: error_response("authentication_required")})
def me():
    account = current_account()
    name = bound_name(db_session(), account)
    area = department = None
    if account.binding is Binding.DEPARTMENT:
        department = {"code": account.bound_to, "name": name}
    else:
        area = {"level": str(account.binding), "code": account.bound_to, "name": name}
    return {"username": account.username, "role": str(account.role), "area": area, "department": department}
