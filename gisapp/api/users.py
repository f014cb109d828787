"""Accounts and integrations, for the security administrator only (三员分立), within its county."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import request

from gisapp.api import access, audit_key, db_session, require_json_body, settings
from gisapp.api.schemas import error_responses
from gisapp.domain.security import ADMIN_POSTS
from gisapp.errors import Forbidden, NotFound, ValidationFailed
from gisapp.services.access.accounts import (
    accounts_in_county,
    create_user,
    disable_user,
    reset_password,
    role_in_county,
    serves_county,
)
from gisapp.services.access.integrations import create_integration, disable_integration, list_integrations

bp = APIBlueprint("users", __name__, url_prefix="/api/v1", tag="administration")
bp.before_request(require_json_body)

ERRORS = error_responses(
    "authentication_required",
    "forbidden",
    "csrf_failed",
    "admin_post_protected",
    "invalid_body",
    "unknown_user",
    "username_taken",
    "unknown_role",
    "unknown_binding",
    "invalid_binding",
    "invalid_member",
    "password_unchanged",
    "outside_jurisdiction",
)


def _body(*fields: str) -> dict:
    body = request.get_json()
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        raise ValidationFailed(f"send a JSON object with the text fields {', '.join(fields)}", code="invalid_body")
    return body


def _in_my_county(code: str) -> None:
    """A security administrator manages its own county's accounts: areas in it, departments serving it."""
    county = access.current().account.bound_to
    if not serves_county(db_session(), code, county):
        raise ValidationFailed(f"{code} is outside county {county}", code="outside_jurisdiction", field="bound_to")


def _not_an_admin_post(role: str) -> None:
    """三员分立: the auditor's, the system administrator's and the security administrators' own accounts
    are not managed over HTTP by a security administrator (who could otherwise become the auditor);
    they are managed with `gisapp users` on the server, which audits the operator."""
    if role in {str(r) for r in ADMIN_POSTS}:
        raise Forbidden(
            f"accounts of the administrative posts ({role}) are managed with `gisapp users` on the server, not here",
            code="admin_post_protected",
        )


def _existing(username: str) -> None:
    role = role_in_county(db_session(), username, access.current().account.bound_to)
    if role is None:
        raise NotFound(f"no account {username!r} in your county", code="unknown_user")
    _not_an_admin_post(role)


@bp.get("/users")
@bp.doc(summary="Accounts (no password data)", responses=ERRORS)
def list_users():
    return {"items": accounts_in_county(db_session(), access.current().account.bound_to)}


@bp.post("/users")
@bp.doc(summary="Create an account: username, role, bound_to, password, display_name", responses=ERRORS)
def create_account():
    body = _body("username", "role", "bound_to", "password")
    _not_an_admin_post(body["role"])
    _in_my_county(body["bound_to"])
    session = db_session()
    account = create_user(
        session,
        audit_key(),
        access.current().actor,
        username=body["username"],
        role=body["role"],
        bound_to=body["bound_to"],
        password=body["password"],
        display_name=str(body.get("display_name") or ""),
        policy=settings().password_policy,
    )
    session.commit()
    return {"username": account.username, "role": str(account.role), "bound_to": account.bound_to}, 201


@bp.post("/users/<username>/disable")
@bp.doc(summary="Disable an account: its tokens and sessions end", responses=ERRORS)
def disable_account(username: str):
    _existing(username)
    session = db_session()
    disable_user(session, audit_key(), access.current().actor, username)
    session.commit()
    return {"username": username, "disabled": True}


@bp.post("/users/<username>/password")
@bp.doc(
    summary="Set a new password (body: password); unlocks the account, ends its tokens and sessions", responses=ERRORS
)
def reset_account_password(username: str):
    body = _body("password")
    _existing(username)
    session = db_session()
    reset_password(session, audit_key(), access.current().actor, username, body["password"], settings().password_policy)
    session.commit()
    return {"username": username, "password_reset": True}


@bp.get("/integrations")
@bp.doc(summary="Integrations (public app, hotline, video platform) and their channels", responses=ERRORS)
def integrations_index():
    return {"items": list_integrations(db_session(), access.current().account.bound_to)}


@bp.post("/integrations")
@bp.doc(
    summary="Register an integration: code, name, channels; its API key is answered this once only", responses=ERRORS
)
def integration_create():
    body = request.get_json()
    if not isinstance(body, dict):
        raise ValidationFailed("send a JSON object: code, name, channels", code="invalid_body")
    session = db_session()
    integration, api_key = create_integration(
        session,
        audit_key(),
        access.current().actor,
        code=body.get("code"),
        name=body.get("name"),
        county_code=access.current().account.bound_to,
        channels=body.get("channels"),
    )
    session.commit()
    return {
        "code": integration.code,
        "name": integration.name,
        "county": integration.county_code,
        "channels": list(integration.channels),
        "api_key": api_key,
    }, 201


@bp.post("/integrations/<code>/disable")
@bp.doc(summary="Disable an integration: its key stops working at once", responses=ERRORS)
def integration_disable(code: str):
    session = db_session()
    disable_integration(session, audit_key(), access.current().actor, code, access.current().account.bound_to)
    session.commit()
    return {"code": code, "disabled": True}
