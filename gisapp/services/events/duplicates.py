"""Duplicates (clause 6.3): reports of one incident through several channels, proposed and merged.

A proposal lists the open events near an event in place and time, other channels first. Merging keeps every
source: the duplicate keeps its row, reporter and log, is voided (its open tasks cancelled) and points at
the main event through events.merged_into; both logs say so and the merge is audited. The duplicate's
reporter then follows the main event with the tracking token they hold (tracking.public_view), up to the
closing reply; a rating through it rates the main event, which has one rating however many reports it
gathered: the first reporter to rate it gives it, the others are told it was already rated.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.lifecycle import NotYourStep, TransitionNotAllowed
from gisapp.domain.permissions import Scope, event_scope
from gisapp.errors import Conflict, NotFound, ValidationFailed
from gisapp.services.access.accounts import Account
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.lifecycle import caller_for
from gisapp.services.events.read import get_event, scope_clause

DEFAULT_MINUTES = 60
DEFAULT_RADIUS_M = 200
PROPOSAL_LIMIT = 50
# the shortest degree of latitude is 110 574 m (equator) and a degree of longitude is at least 111 319 m x
# cos(lat): dividing by 110 000 gives a search box never smaller than the circle
METRES_PER_DEGREE = 110_000.0
NOTE_MAX = 2000
FINAL = ("voided", "closed")

PROPOSE_SQL = """
SELECT e.id, e.channel, e.category_code, cat.name AS category_name, e.status,
       ST_Distance(e.geom::geography, b.geom::geography) AS distance_m,
       abs(extract(epoch FROM e.created_at - b.created_at)) / 60 AS minutes_apart,
       e.category_code = b.category_code AS same_category, e.channel = b.channel AS same_channel
FROM events b
JOIN events e ON e.id <> b.id
     -- the box first, answered by the GiST index on events.geom; then the distance on the spheroid
     AND e.geom && ST_Expand(b.geom, :r / (:mpd * GREATEST(cos(radians(ST_Y(b.geom))), 0.01)), :r / :mpd)
     AND ST_DWithin(e.geom::geography, b.geom::geography, :r)
     AND e.created_at BETWEEN b.created_at - make_interval(mins => :minutes)
                          AND b.created_at + make_interval(mins => :minutes)
JOIN categories cat ON cat.code = e.category_code
WHERE b.id = :id AND e.merged_into IS NULL AND e.status NOT IN ('voided', 'closed') AND {scope}
ORDER BY same_channel, distance_m, e.id
LIMIT :limit
"""

LOCK_SQL = """
SELECT e.id, e.status, e.level, e.county_code, e.township_code, e.merged_into
FROM events e WHERE e.id = ANY(:ids) AND {scope} ORDER BY e.id FOR UPDATE OF e
"""

FOLLOW_SQL = text("""
WITH RECURSIVE chain (id, merged_into, hops) AS (
    SELECT id, merged_into, 0 FROM events WHERE id = :id
    UNION ALL
    SELECT e.id, e.merged_into, c.hops + 1 FROM events e JOIN chain c ON e.id = c.merged_into WHERE c.hops < 16
)
SELECT id FROM chain WHERE merged_into IS NULL
""")


def propose(
    session: Session, event_id: int, scope: Scope, *, minutes: int = DEFAULT_MINUTES, radius_m: int = DEFAULT_RADIUS_M
) -> list[dict]:
    """Open events in the scope within radius_m metres and ±minutes of the event: other channels first, nearest."""
    get_event(session, event_id, scope)  # 404 outside the caller's area
    clause, params = scope_clause(scope)
    rows = session.execute(
        text(PROPOSE_SQL.format(scope=clause)),
        {
            "id": event_id,
            "r": float(radius_m),
            "mpd": METRES_PER_DEGREE,
            "minutes": minutes,
            "limit": PROPOSAL_LIMIT,
            **params,
        },
    ).mappings()
    return [
        {
            "id": r["id"],
            "channel": r["channel"],
            "category": {"code": r["category_code"], "name": r["category_name"]},
            "status": r["status"],
            "distance_m": round(r["distance_m"], 1),
            "minutes_apart": round(float(r["minutes_apart"]), 1),
            "same_category": r["same_category"],
            "same_channel": r["same_channel"],
        }
        for r in rows
    ]


@dataclass(frozen=True)
class Merged:
    """The result of a merge; replayed when the duplicate had already been merged into the same event."""

    duplicate_id: int
    into_id: int
    replayed: bool

    def as_dict(self) -> dict:
        return {"id": self.duplicate_id, "merged_into": self.into_id, "status": "voided"}


def _check_request(duplicate_id: int, into_id: object, note: object) -> None:
    if not isinstance(into_id, int) or isinstance(into_id, bool) or into_id <= 0:
        raise ValidationFailed("into: the id of the event to merge into", code="invalid_into", field="into")
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise ValidationFailed(f"note: text of at most {NOTE_MAX} characters", code="invalid_note", field="note")
    if duplicate_id == into_id:
        raise ValidationFailed("an event cannot be merged into itself", code="merge_into_itself", field="into")


def _locked(session: Session, ids: tuple[int, int], scope: Scope) -> dict:
    """Both events, locked in id order (two merges of the same pair never deadlock); 404 if one is unseen."""
    clause, params = scope_clause(scope)
    rows = {r.id: r for r in session.execute(text(LOCK_SQL.format(scope=clause)), {"ids": list(ids), **params})}
    for event_id in ids:
        if event_id not in rows:
            raise NotFound(f"event {event_id} does not exist", code="event_not_found")
    return rows


def _refuse_states(duplicate, into) -> None:
    """The states a merge may not start from (the same pair merged again is answered before this)."""
    if duplicate.merged_into is not None:
        raise Conflict(
            f"event {duplicate.id} was already merged into event {duplicate.merged_into}", code="already_merged"
        )
    if duplicate.status == "closed":
        raise TransitionNotAllowed(f"event {duplicate.id} is closed: a closed case is not merged")
    if into.merged_into is not None:
        raise TransitionNotAllowed(
            f"event {into.id} was itself merged into event {into.merged_into}: merge into event {into.merged_into}"
        )
    if into.status in FINAL:
        raise TransitionNotAllowed(f"event {into.id} is {into.status}: merge into an open event")


def _write(session: Session, actor: Actor, duplicate, into, note: str, now: datetime) -> None:
    session.execute(
        text(
            "UPDATE events SET merged_into = :into, status = 'voided', parked_from = NULL, updated_at = :now "
            "WHERE id = :id"
        ),
        {"into": into.id, "now": now, "id": duplicate.id},
    )
    session.execute(
        text(
            "UPDATE event_tasks SET status = 'cancelled', extension_pending = false "
            "WHERE event_id = :id AND status IN ('dispatched', 'acknowledged', 'on_scene')"
        ),
        {"id": duplicate.id},
    )
    log = text(
        "INSERT INTO event_log (event_id, at, actor, action, from_status, to_status, note, details) "
        "VALUES (:e, :at, :actor, :action, :f, :t, :note, CAST(:d AS jsonb))"
    )
    session.execute(
        log,
        {
            "e": duplicate.id,
            "at": now,
            "actor": actor.name,
            "action": "merged_into",
            "f": duplicate.status,
            "t": "voided",
            "note": note,
            "d": json.dumps({"into": into.id}),
        },
    )
    session.execute(
        log,
        {
            "e": into.id,
            "at": now,
            "actor": actor.name,
            "action": "merged_from",
            "f": into.status,
            "t": into.status,
            "note": note,
            "d": json.dumps({"from": duplicate.id}),
        },
    )


def merge(
    session: Session,
    key: bytes,
    account: Account,
    actor: Actor,
    duplicate_id: int,
    into_id: int,
    note: str = "",
    *,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> Merged:
    """Merge a duplicate report into the main event, as the center of both (403 not_your_step, 404, 409, 422)."""
    _check_request(duplicate_id, into_id, note)
    scope = scope or event_scope(str(account.role), account.bound_to, f"user:{account.username}")
    rows = _locked(session, (duplicate_id, into_id), scope)
    duplicate, into = rows[duplicate_id], rows[into_id]
    if not all(caller_for(session, account, row).is_center for row in (duplicate, into)):
        raise NotYourStep("only the command center of both events may merge them")
    if duplicate.merged_into == into_id:
        return Merged(duplicate_id, into_id, replayed=True)
    _refuse_states(duplicate, into)
    now = now or datetime.now(timezone.utc)
    _write(session, actor, duplicate, into, note, now)
    record(
        session,
        key,
        actor,
        "event.merge",
        target=f"event:{duplicate_id}",
        details={"into": into_id, "from": duplicate.status},
        at=now,
    )
    return Merged(duplicate_id, into_id, replayed=False)


def followed(session: Session, event_id: int) -> int:
    """The event a report stands for: itself, or the event it was merged into (through later merges too)."""
    return session.execute(FOLLOW_SQL, {"id": event_id}).scalar_one_or_none() or event_id


def shows_merge(view):
    """Decorate tracking.public_view: a merged report keeps its own id and time and names the event it follows.

    The view has read the followed event's status, milestones and reply; a view that answered was given a
    valid token, whose head is the report's own id."""

    @functools.wraps(view)
    def wrapped(session: Session, key: bytes, token: str, *args, **kwargs) -> dict:
        out = view(session, key, token, *args, **kwargs)
        own = int(token.partition(".")[0])
        if own == out["id"]:
            return {**out, "merged_into": None}
        created = session.execute(text("SELECT created_at FROM events WHERE id = :id"), {"id": own}).scalar_one()
        return {**out, "id": own, "merged_into": out["id"], "reported_at": created.isoformat().replace("+00:00", "Z")}

    return wrapped
