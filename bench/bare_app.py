"""The HTTP anchor: a bare Flask endpoint on the same stack as the app, doing one INSERT.

Same Flask, the app's own engine and session-per-request (gisapp.register_database), same
gunicorn worker class and count.
No validation, no geocoding, no routing: the posted JSON goes into bench_intake as it is.

Served as: DATABASE_URL=... gunicorn 'bench.bare_app:create_app()'
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

from flask import Flask, jsonify, request
from sqlalchemy import text

from gisapp import register_database
from gisapp.api import db_session
from gisapp.config import Settings

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_intake (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_ref  text UNIQUE,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
)
"""

INSERT_SQL = text("INSERT INTO bench_intake (client_ref, body) VALUES (:client_ref, CAST(:body AS jsonb)) RETURNING id")


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    # the app's own engine, session-per-request and teardown: the same stack, only the view differs
    register_database(app, replace(Settings.from_env(), database_url=database_url or os.environ["DATABASE_URL"]))
    app.extensions["bench.engine"] = app.extensions["gisapp.engine"]

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.post("/intake")
    def intake():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {"error": "the request body is not a JSON object"}, 400
        session = db_session()
        new_id = session.execute(
            INSERT_SQL, {"client_ref": body.get("client_ref"), "body": json.dumps(body, ensure_ascii=False)}
        ).scalar_one()
        session.commit()
        response = jsonify({"id": new_id, "client_ref": body.get("client_ref")})
        response.status_code = 201
        return response

    return app
