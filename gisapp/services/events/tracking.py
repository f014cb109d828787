"""The reporter's side of clause 6.3: a tracking token, the public status and result, the rating.

The token is `<event id>.<HMAC>` under a key derived from the audit key: nothing is stored, a retried
report gets the same token, and a token cannot be forged or turned into another event's. The public
view tells the state, the milestones and the center's closing reply, never names, phones or the
handlers' internal notes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.errors import Conflict, NotFound, ValidationFailed
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.duplicates import followed, shows_merge

RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")
MILESTONES = ("created", "accept", "dispatch", "arrive", "handle", "close", "void")
STATUS_ZH = {
    "reported": "已上报",
    "accepted": "已受理",
    "voided": "不予受理",
    "dispatched": "已派遣",
    "acknowledged": "已签收",
    "on_scene": "已到场",
    "handled": "处置完成",
    "verified": "已核查",
    "closed": "已办结",
    "parked": "挂账跟踪",
}


def _mac(key: bytes, event_id: int) -> str:
    derived = hmac.new(key, b"gisapp-tracking-v1", hashlib.sha256).digest()
    digest = hmac.new(derived, str(event_id).encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def tracking_token(key: bytes, event_id: int) -> str:
    """The reporter's token of an event.

    >>> t = tracking_token(b"k", 42); t.startswith("42.") and event_of(b"k", t) == 42
    True
    >>> event_of(b"k", "43." + t.split(".")[1]) is None, event_of(b"other", t) is None, event_of(b"k", "x") is None
    (True, True, True)
    """
    return f"{event_id}.{_mac(key, event_id)}"


def event_of(key: bytes, token: str) -> int | None:
    """The event a token stands for, or None if it is not a valid token."""
    head, _, mac = token.partition(".")
    if not head.isdigit() or len(head) > 18 or not hmac.compare_digest(mac.encode(), _mac(key, int(head)).encode()):
        return None
    return int(head)


def _event(session: Session, key: bytes, token: str, *, lock: bool = False):
    event_id = event_of(key, token)
    event_id = event_id and followed(session, event_id)  # a merged report follows its main event
    row = (
        session.execute(
            text(
                "SELECT e.id, e.status, e.created_at, e.closed_at, e.rating, e.rated_at, e.review_open, "
                "c.name AS category FROM events e JOIN categories c ON c.code = e.category_code WHERE e.id = :id"
                + (" FOR UPDATE OF e" if lock else "")
            ),
            {"id": event_id},
        )
        .mappings()
        .one_or_none()
        if event_id
        else None
    )
    if row is None:
        raise NotFound("no report has this tracking token", code="unknown_tracking_token")
    return row


@shows_merge  # a merged report keeps its own id and names the main event it follows (services/events/duplicates.py)
def public_view(session: Session, key: bytes, token: str) -> dict:
    """What the reporter may see: status, milestones, the center's reply at closure, the rating."""
    row = _event(session, key, token)
    steps = (
        session.execute(
            text("SELECT at, action, note FROM event_log WHERE event_id = :id AND action = ANY(:m) ORDER BY at, id"),
            {"id": row["id"], "m": list(MILESTONES)},
        )
        .mappings()
        .all()
    )
    reply = next((s["note"] for s in reversed(steps) if s["action"] in ("close", "void") and s["note"]), None)

    def iso(v):
        return v.isoformat().replace("+00:00", "Z") if v else None

    return {
        "id": row["id"],
        "status": row["status"],
        "status_zh": STATUS_ZH[row["status"]],
        "category": row["category"],
        "reported_at": iso(row["created_at"]),
        "closed_at": iso(row["closed_at"]),
        "milestones": [{"at": iso(s["at"]), "step": s["action"]} for s in steps],
        "reply": reply,
        "rating": row["rating"],
        "can_rate": row["status"] == "closed" and row["rating"] is None,
    }


def rate(
    session: Session,
    key: bytes,
    token: str,
    rating: object,
    comment: object,
    *,
    client_addr: str | None,
    now: datetime | None = None,
) -> dict:
    """The reporter rates a closed event once; a dissatisfied rating opens a review by the center."""
    if rating not in RATINGS:
        raise ValidationFailed(f"rating: one of {', '.join(RATINGS)}", code="invalid_rating", field="rating")
    if comment is not None and not (isinstance(comment, str) and len(comment) <= 500):
        raise ValidationFailed("comment: text of at most 500 characters", code="invalid_comment", field="comment")
    row = _event(session, key, token, lock=True)
    if row["status"] != "closed":
        raise Conflict("the event can be rated once it is closed", code="not_closed")
    if row["rating"] is not None:
        raise Conflict("the event was already rated", code="already_rated")
    now = now or datetime.now(timezone.utc)
    review = rating == "dissatisfied"
    session.execute(
        text("UPDATE events SET rating = :r, rating_comment = :c, rated_at = :now, review_open = :rv WHERE id = :id"),
        {"r": rating, "c": comment, "now": now, "rv": review, "id": row["id"]},
    )
    session.execute(
        text(
            "INSERT INTO event_log (event_id, at, actor, action, note, details) "
            "VALUES (:id, :now, 'reporter', :a, :c, CAST(:d AS jsonb))"
        ),
        {
            "id": row["id"],
            "now": now,
            "a": "review_opened" if review else "rated",
            "c": comment or "",
            "d": json.dumps({"rating": rating}),
        },
    )
    record(
        session,
        key,
        Actor("reporter", None, client_addr),
        "event.rate",
        target=f"event:{row['id']}",
        details={"rating": rating, "review": review},
        at=now,
    )
    return public_view(session, key, token)
