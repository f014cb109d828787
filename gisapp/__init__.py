"""gisapp: GIS grid management for social-governance joint duty (DB32/T 3335-2017)."""

from __future__ import annotations

from apiflask import APIFlask
from flask import g

from gisapp.config import PROJECT_ROOT, Settings
from gisapp.web.headers import register_security_headers

API_TITLE = "gisapp joint-duty API"
API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None) -> APIFlask:
    """Build the Flask application: small register_* steps, nothing done at import time."""
    settings = settings or Settings.from_env()
    settings.check_production()
    app = APIFlask(
        __name__,
        title=API_TITLE,
        version=API_VERSION,
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,  # docs UI would load from a CDN: off
        static_folder=str(PROJECT_ROOT / "static"),
        static_url_path="/static",
    )
    app.config.update(
        SETTINGS=settings,
        AUDIT_KEY=settings.audit_key(),  # read once: audited routes need it on every call
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SECRET_KEY=settings.secret_key or None,
        INFO={
            "description": "Event intake, geocoding and layers of the joint-duty command platform "
            "(社会治理联勤指挥调度平台)."
        },
    )
    app.json.ensure_ascii = False  # Chinese names as UTF-8, not \u escapes
    app.json.sort_keys = False
    register_database(app, settings)
    register_errors(app)
    register_blueprints(app)
    register_access(app)
    register_edge(app)  # after register_access: its hook goes first, ahead of the credentials' look-up
    audit_policy(app, settings)
    register_security_headers(app, basemap_origin=settings.basemap_image_origin)
    if settings.behind_proxy:  # the client address and HTTPS as the one trusted reverse proxy saw them
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    return app


def register_database(app: APIFlask, settings: Settings) -> None:
    from gisapp.db import make_engine, make_session_factory

    engine = make_engine(settings.resolved_database_url(), pool_size=settings.pool_size)
    app.extensions["gisapp.engine"] = engine
    app.extensions["gisapp.sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def audit_policy(app: APIFlask, settings: Settings) -> None:
    """Record the effective security policy in the audit trail when it differs from the last one recorded."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from gisapp.services.access.audit import Actor, record_if_changed

    try:
        with app.extensions["gisapp.sessions"]() as session, session.begin():
            record_if_changed(
                session,
                app.config["AUDIT_KEY"],
                Actor("system", "system", "local"),
                "policy.change",
                settings.security_summary(),
            )
    except SQLAlchemyError as exc:  # a database that is down or not migrated yet must not stop the app
        logging.getLogger("gisapp").warning("security policy not audited at start: %s", type(exc).__name__)


def register_access(app: APIFlask) -> None:
    """Deny by default: every request passes the permission matrix before any view or hook runs."""
    from gisapp.api.access import register_access as register

    register(app)


def register_edge(app: APIFlask) -> None:
    from gisapp.api.edge import register

    register(app)


def register_errors(app: APIFlask) -> None:
    from gisapp.api.errors import register

    register(app)


def register_blueprints(app: APIFlask) -> None:
    from gisapp.api import (
        analysis,
        audit,
        auth,
        dashboard,
        duplicates,
        duty,
        evaluation,
        events,
        grids,
        imports,
        layers,
        meta,
        ogc,
        photos,
        stream,
        support,
        system,
        tiles,
        users,
    )
    from gisapp.web import bp as web
    from gisapp.web import register_assets
    from gisapp.web.i18n import register_i18n

    register_assets(app)
    register_i18n(app)
    for blueprint in (
        web,
        meta.bp,
        events.bp,
        support.bp,
        duplicates.bp,
        duty.bp,
        stream.bp,
        layers.bp,
        layers.coverage_bp,
        tiles.bp,
        dashboard.bp,
        analysis.bp,
        grids.bp,
        ogc.bp,
        imports.bp,
        photos.bp,
        auth.bp,
        audit.bp,
        users.bp,
        system.bp,
        evaluation.bp,
    ):
        app.register_blueprint(blueprint)
