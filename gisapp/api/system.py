"""Operations view for the system administrator (三员分立): no business data, no audit trail."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app

from gisapp.api import db_session, settings
from gisapp.api.schemas import error_responses
from gisapp.services.health import schema_and_server

bp = APIBlueprint("system", __name__, url_prefix="/api/v1/system", tag="administration")


@bp.get("/status")
@bp.doc(
    summary="Schema version, database and connection-pool state, effective security settings",
    responses=error_responses("authentication_required", "forbidden"),
)
def status():
    cfg = settings()
    pool = current_app.extensions["gisapp.engine"].pool
    return {
        **schema_and_server(db_session(), cfg.sql_dir),
        "pool": {"size": pool.size(), "checked_out": pool.checkedout()},
        "security": cfg.security_summary(),
    }
