"""Photos of events: kept with the event (bytea), one per distinct content, served to who sees the event."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.permissions import Scope
from gisapp.domain.photos import sniff_photo
from gisapp.errors import Conflict, NotFound, UnsupportedMediaType
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.read import get_event, scope_clause

PHOTO_COLUMNS = (
    "p.id, p.event_id, p.sha256, p.media_type, p.size_bytes, p.width, p.height, p.uploaded_by, p.uploaded_at"
)


@dataclass(frozen=True)
class StoredPhoto:
    """A photo's bytes and what its answer needs (media type, ETag)."""

    media_type: str
    sha256: str
    content: bytes


def photo_url(photo_id: int) -> str:
    return f"/api/v1/photos/{photo_id}"


def serialize_photo(row) -> dict:
    """The JSON shape of a photo (without its bytes)."""
    return {
        "id": row["id"],
        "url": photo_url(row["id"]),
        "event_id": row["event_id"],
        "sha256": row["sha256"],
        "media_type": row["media_type"],
        "size": row["size_bytes"],
        "width": row["width"],
        "height": row["height"],
        "uploaded_by": row["uploaded_by"],
        "uploaded_at": row["uploaded_at"].isoformat().replace("+00:00", "Z"),
    }


def _find(session: Session, event_id: int, sha256: str):
    return (
        session.execute(
            text(f"SELECT {PHOTO_COLUMNS} FROM event_photos p WHERE p.event_id = :e AND p.sha256 = :h"),
            {"e": event_id, "h": sha256},
        )
        .mappings()
        .one_or_none()
    )


def add_photo(
    session: Session, key: bytes, actor: Actor, event_id: int, scope: Scope, data: bytes, *, max_photos: int
) -> tuple[dict, bool]:
    """Keep a photo of an event the scope sees (audited); the earlier one for the same bytes (created False)."""
    get_event(session, event_id, scope)  # 404 outside the caller's area, before anything is read
    kind = sniff_photo(data)
    if kind is None:
        raise UnsupportedMediaType("a photo must be a JPEG or PNG image", code="unsupported_photo", field="file")
    # the event's row lock orders concurrent uploads: the count and the retry check stay true until commit
    session.execute(text("SELECT 1 FROM events WHERE id = :e FOR UPDATE"), {"e": event_id})
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = _find(session, event_id, sha256)
    if earlier is not None:
        return serialize_photo(earlier), False
    count = session.execute(text("SELECT count(*) FROM event_photos WHERE event_id = :e"), {"e": event_id}).scalar_one()
    if count >= max_photos:
        raise Conflict(
            f"event {event_id} already has {count} photos, the most it may have (GISAPP_MAX_PHOTOS_PER_EVENT)",
            code="too_many_photos",
        )
    photo_id = session.execute(
        text(
            "INSERT INTO event_photos (event_id, sha256, media_type, content, size_bytes, width, height, uploaded_by) "
            "VALUES (:e, :h, :t, :c, :n, :w, :ht, :by) RETURNING id"
        ),
        {
            "e": event_id,
            "h": sha256,
            "t": kind.media_type,
            "c": data,
            "n": len(data),
            "w": kind.width,
            "ht": kind.height,
            "by": actor.name,
        },
    ).scalar_one()
    record(
        session,
        key,
        actor,
        "event.photo",
        target=f"event:{event_id}",
        details={"photo_id": photo_id, "sha256": sha256, "media_type": kind.media_type, "size": len(data)},
    )
    return serialize_photo(_find(session, event_id, sha256)), True


def photos_of(session: Session, event_id: int) -> list[dict]:
    """The photos of an event, oldest first (the caller already sees the event)."""
    rows = (
        session.execute(
            text(f"SELECT {PHOTO_COLUMNS} FROM event_photos p WHERE p.event_id = :e ORDER BY p.id"), {"e": event_id}
        )
        .mappings()
        .all()
    )
    return [serialize_photo(r) for r in rows]


def read_photo(session: Session, photo_id: int, scope: Scope) -> StoredPhoto:
    """A photo's bytes if the scope sees its event, else NotFound (whether or not it exists)."""
    clause, params = scope_clause(scope)
    row = session.execute(
        text(
            f"SELECT p.media_type, p.sha256, p.content FROM event_photos p "
            f"JOIN events e ON e.id = p.event_id WHERE p.id = :id AND {clause}"
        ),
        {"id": photo_id, **params},
    ).one_or_none()
    if row is None:
        raise NotFound(f"photo {photo_id} does not exist", code="photo_not_found")
    return StoredPhoto(row.media_type, row.sha256, bytes(row.content))
