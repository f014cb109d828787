"""Liveness of the database and PostGIS, for GET /healthz."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def check(engine: Engine) -> tuple[bool, dict]:
    """(healthy, body): the failing part is named, internal details are not."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
            except Exception:
                return False, {"status": "error", "database": "ok", "postgis": "missing"}
    except Exception:
        return False, {"status": "error", "database": "unreachable", "postgis": "unknown"}
    # versions are not told to anonymous callers: the system administrator sees them in /api/v1/system/status
    return True, {"status": "ok", "database": "ok", "postgis": "ok"}


def schema_and_server(session, sql_dir) -> dict:
    """The schema's migrations (applied, latest, pending) and the database server's versions."""
    from gisapp.migrate import discover

    applied = session.execute(text("SELECT version, name FROM schema_migrations ORDER BY version")).all()
    server, postgis = session.execute(text("SELECT current_setting('server_version'), postgis_lib_version()")).one()
    return {
        "schema": {
            "applied": len(applied),
            "latest": applied[-1].name if applied else None,
            "pending": len(discover(sql_dir)) - len(applied),
        },
        "database": {"server_version": server, "postgis": postgis},
    }
