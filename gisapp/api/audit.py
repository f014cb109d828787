"""The audit trail, for the auditor only (三员分立: nobody else reads it)."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import request

from gisapp.api import db_session, settings
from gisapp.api.params import int_param, time_param
from gisapp.api.schemas import error_responses
from gisapp.services.access.audit import list_records

bp = APIBlueprint("audit", __name__, url_prefix="/api/v1", tag="audit")


@bp.get("/audit")
@bp.doc(
    summary="Audit records, newest first (auditor only); filters actor, action, since, until",
    responses=error_responses("authentication_required", "forbidden"),
)
def audit_records():
    cfg = settings()
    limit = int_param("limit", cfg.page_limit_default, minimum=1, maximum=cfg.page_limit_max)
    offset = int_param("offset", 0, minimum=0)
    items, total = list_records(
        db_session(),
        actor=request.args.get("actor"),
        action=request.args.get("action"),
        since=time_param("since"),
        until=time_param("until"),
        limit=limit,
        offset=offset,
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}
