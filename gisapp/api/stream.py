"""Server-sent events: the steps of the events a caller may see, as they are committed (LISTEN/NOTIFY).

`GET /api/v1/stream` answers `text/event-stream`; each message has the notification id (so a browser's
EventSource resumes with Last-Event-ID and catches up on what it missed), the action as event type and
the notification as JSON. Members' duty reports (status and position) come as `event: position` without an
id: only the latest position matters, so they are not caught up on. A stream ends after `max_seconds`
(default 300): EventSource reconnects.
"""

from __future__ import annotations

import json
import select
import time

import psycopg2
from apiflask import APIBlueprint
from flask import current_app, request

from gisapp.api import access, db_session
from gisapp.api.params import int_param
from gisapp.api.schemas import error_responses
from gisapp.services.access.accounts import county_of
from gisapp.services.events.lifecycle import team_of_grid
from gisapp.services.events.notify import DUTY_CHANNEL, listen, missed, payload, visible

bp = APIBlueprint("stream", __name__, url_prefix="/api/v1", tag="events")
KEEP_ALIVE_S = 15


def _listen():
    """A connection of its own (not from the pool) listening on the channel."""
    url = current_app.extensions["gisapp.engine"].url.render_as_string(hide_password=False)
    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    conn.autocommit = True
    listen(conn)
    return conn


def _message(note: dict) -> str:
    return f"id: {note['id']}\nevent: {note['action']}\ndata: {payload(note)}\n\n"


def _team_of(account) -> str | None:
    return team_of_grid(db_session(), account.bound_to) if account.role == "grid_officer" else None


@bp.get("/stream")
@bp.doc(
    summary="Live updates (text/event-stream) of the events the caller may see; resumes with Last-Event-ID",
    responses={200: "text/event-stream", **error_responses("invalid_max_seconds", "invalid_after")},
)
def events():
    account = access.current().account
    team, county = _team_of(account), county_of(db_session(), account)
    max_seconds = int_param("max_seconds", 300, minimum=1, maximum=3600)
    after = request.headers.get("Last-Event-ID") or request.args.get("after")
    after_id = int(after) if after and after.isdigit() else None
    conn = _listen()  # before the catch-up query: nothing committed in between is lost
    backlog = missed(db_session(), after_id, county) if after_id is not None and county else []
    db_session().close()  # the stream holds no pooled connection

    def see(note: dict) -> bool:
        return visible(note, str(account.role), account.bound_to, team)

    def generate():
        last = after_id or 0
        try:
            yield "retry: 3000\n\n"
            for note in backlog:
                last = note["id"]
                if see(note):
                    yield _message(note)
            deadline = time.monotonic() + max_seconds
            while (left := deadline - time.monotonic()) > 0:
                if not select.select([conn], [], [], min(KEEP_ALIVE_S, left))[0]:
                    yield ": keep-alive\n\n"
                    continue
                conn.poll()
                while conn.notifies:
                    heard = conn.notifies.pop(0)
                    note = json.loads(heard.payload)
                    if heard.channel == DUTY_CHANNEL:  # no id: a position is not caught up on
                        if see(note):
                            yield f"event: position\ndata: {heard.payload}\n\n"
                        continue
                    if note["id"] > last and see(note):
                        last = note["id"]
                        yield _message(note)
        finally:
            conn.close()

    response = current_app.response_class(generate(), mimetype="text/event-stream")
    response.headers.update({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return response
