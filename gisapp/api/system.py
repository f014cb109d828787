"""Operations view for the system administrator (三员分立): no business data, no audit trail."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from sqlalchemy import text

from gisapp.api import db_session, settings
from gisapp.api.schemas import error_response
from gisapp.migrate import discover

bp = APIBlueprint("system", __name__, url_prefix="/api/v1/system", tag="administration")


@bp.get("/status")
@bp.doc(summary="Schema version, database and connection-pool state, effective security settings",
        responses={401: error_response("authentication_required"), 403: error_response("forbidden")})
def status():
    cfg = settings()
    session = db_session()
    applied = session.execute(text("SELECT version, name FROM schema_migrations ORDER BY version")).all()
    known = discover(cfg.sql_dir)
    versions = session.execute(text("SELECT current_setting('server_version'), postgis_lib_version()")).one()
    pool = current_app.extensions["gisapp.engine"].pool
    return {
        "schema": {"applied": len(applied), "latest": applied[-1].name if applied else None,
                   "pending": len(known) - len(applied)},
        "database": {"server_version": versions[0], "postgis": versions[1]},
        "pool": {"size": pool.size(), "checked_out": pool.checkedout()},
        "security": cfg.security_summary(),
    }
