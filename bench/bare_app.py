"""The HTTP anchor: a bare Flask endpoint on the same stack as the app, doing one INSERT.

Same Flask, same SQLAlchemy engine settings (gisapp.db.make_engine: pre-ping pool, same
connect options), same session-per-request pattern, same gunicorn worker class and count.
No validation, no geocoding, no routing: the posted JSON goes into bench_intake as it is.

Served as: DATABASE_URL=... gunicorn 'bench.bare_app:create_app()'
"""
from __future__ import annotations

import json
import os

from flask import Flask, g, jsonify, request
from sqlalchemy import text

from gisapp.db import make_engine, make_session_factory

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_intake (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_ref  text UNIQUE,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
)
"""

INSERT_SQL = text("INSERT INTO bench_intake (client_ref, body) VALUES (:client_ref, CAST(:body AS jsonb)) "
                  "RETURNING id")


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = make_engine(database_url or os.environ["DATABASE_URL"],
                         pool_size=int(os.environ.get("GISAPP_DB_POOL_SIZE") or 10))
    sessions = make_session_factory(engine)
    app.extensions["bench.engine"] = engine

    @app.teardown_appcontext
    def close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.post("/intake")
    def intake():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {"error": "the request body is not a JSON object"}, 400
        session = g.db_session = sessions()
        new_id = session.execute(INSERT_SQL, {"client_ref": body.get("client_ref"),
                                              "body": json.dumps(body, ensure_ascii=False)}).scalar_one()
        session.commit()
        response = jsonify({"id": new_id, "client_ref": body.get("client_ref")})
        response.status_code = 201
        return response

    return app
