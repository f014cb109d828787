"""Photos of events: upload one to an event (multipart field `file`, or the raw image as the body), read it back.

This blueprint has no JSON-body hook: its upload is an image, checked here (size 413, JPEG/PNG by its
magic bytes 415). A retry of the same bytes for the same event answers the earlier photo (200).
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from gisapp.api import access, audit_key, db_session, settings
from gisapp.api.schemas import error_responses
from gisapp.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from gisapp.services.events.photos import add_photo, read_photo

bp = APIBlueprint("photos", __name__, url_prefix="/api/v1", tag="events")
RAW_TYPES = ("image/jpeg", "image/png")


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the photo is larger than {limit} bytes (GISAPP_MAX_PHOTO_BYTES): send a smaller one")


def _sent_bytes() -> bytes:
    """The photo's bytes: the multipart field `file`, or a raw image/jpeg or image/png body."""
    limit = settings().max_photo_bytes
    # this view's own limit (Flask 3.1), not the JSON routes' one; a multipart envelope gets a little room
    request.max_content_length = limit + 64 * 1024
    if request.content_length is not None and request.content_length > request.max_content_length:
        raise _too_large(limit)
    try:
        if request.mimetype == "multipart/form-data":
            sent = request.files.get("file")
            if sent is None:
                raise ValidationFailed(
                    "send the photo in the multipart field 'file'", code="missing_file", field="file"
                )
            data = sent.read(limit + 1)
        elif request.mimetype in RAW_TYPES:
            data = request.get_data(cache=False)
        else:
            raise UnsupportedMediaType(
                "send the photo as multipart/form-data (field 'file') or as an image/jpeg or image/png body",
                code="unsupported_photo",
            )
    except RequestEntityTooLarge:
        raise _too_large(limit) from None
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise ValidationFailed("the photo is empty", code="missing_file", field="file")
    return data


@bp.post("/events/<int:event_id>/photos")
@bp.doc(
    summary="Attach a photo (JPEG or PNG) to an event in the caller's area: multipart field file, or the raw "
    "image as the body; 201 and the photo, 200 with the earlier photo for the same bytes",
    responses=error_responses(
        "event_not_found",
        "too_many_photos",
        "payload_too_large",
        "unsupported_photo",
        "missing_file",
        "forbidden",
        "csrf_failed",
    ),
)
def upload_photo(event_id: int):
    principal = access.current()
    data = _sent_bytes()
    session = db_session()
    photo, created = add_photo(
        session,
        audit_key(),
        principal.actor,
        event_id,
        principal.scope(),
        data,
        max_photos=settings().max_photos_per_event,
    )
    session.commit()
    response = jsonify(photo)
    response.status_code = 201 if created else 200
    response.headers["Location"] = photo["url"]
    return response


@bp.get("/photos/<int:photo_id>")
@bp.doc(
    summary="A photo's bytes (its media type, ETag = sha256), for callers who see its event",
    responses=error_responses("photo_not_found"),
)
def photo(photo_id: int):
    stored = read_photo(db_session(), photo_id, access.current().scope())
    etag = f'"{stored.sha256}"'
    headers = {
        "Cache-Control": "private, max-age=86400",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(stored.content, mimetype=stored.media_type, headers=headers)
