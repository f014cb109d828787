"""Thin API blueprints: parse, (later: authorise), call a service, serialise."""
from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from gisapp.config import Settings


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["gisapp.sessions"]()
    return g.db_session


def settings() -> Settings:
    return current_app.config["SETTINGS"]
