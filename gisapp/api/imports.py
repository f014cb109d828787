"""Layer import for planners (issue 5): upload a file (multipart), poll its job.

The upload is checked at once (size 413, file type 415, layer, CRS name) and answered 202 with the
job's Location; the file is read, checked and imported in a background thread, all or nothing, and the
job shows its stage and progress until it is done or failed (with every problem). A retry of the same
file gets the same job (200) instead of a second import.
"""

from __future__ import annotations

import threading

from apiflask import APIBlueprint
from flask import current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from gisapp.api import access, audit_key, db_session, settings
from gisapp.api.schemas import error_responses
from gisapp.domain.areas import county_code
from gisapp.domain.layer_rules import importable
from gisapp.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from gisapp.services.layers.import_jobs import read_job, run_job, start_job
from gisapp.services.layers.import_read import declared_crs, file_format

bp = APIBlueprint("imports", __name__, url_prefix="/api/v1", tag="layers")
YES = ("1", "true", "yes", "on")


def _upload():
    """The uploaded file (name, bytes), within the upload limit."""
    limit = settings().max_upload_bytes
    request.max_content_length = limit  # this view's own limit, not the JSON routes' one (Flask 3.1)
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the upload is larger than {limit} bytes (GISAPP_MAX_UPLOAD_BYTES)")
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("send the file as multipart/form-data in the field 'file'")
    try:
        sent = request.files.get("file")
    except RequestEntityTooLarge:
        raise PayloadTooLarge(f"the upload is larger than {limit} bytes (GISAPP_MAX_UPLOAD_BYTES)") from None
    if sent is None or not sent.filename:
        raise ValidationFailed("send the file in the multipart field 'file'", code="missing_file", field="file")
    file_format(sent.filename)  # 415 before reading it
    return sent.filename, sent.read()


def _county() -> str:
    account = access.current().account
    return county_code(account.bound_to)


@bp.post("/layers/<name>/import")
@bp.doc(
    summary="Import a layer file (multipart field file: .geojson, .gpkg, zipped .shp, .csv; fields crs, "
    "dry_run, reason): 202 and the job's Location, 200 with the earlier job for a file already imported",
    responses=error_responses(
        "unknown_layer",
        "payload_too_large",
        "unknown_file_type",
        "unsupported_media_type",
        "missing_file",
        "unknown_crs",
    ),
)
def upload(name: str):
    if name not in importable():
        raise NotFound(f"no importable layer {name}: one of {', '.join(importable())}", code="unknown_layer")
    file_name, data = _upload()
    crs = declared_crs(request.form.get("crs"))
    dry_run = request.form.get("dry_run", "").strip().lower() in YES
    reason = (request.form.get("reason") or "").strip() or None
    principal = access.current()
    session = db_session()
    job, created = start_job(session, principal.name, _county(), name, file_name, data, crs=crs, dry_run=dry_run)
    session.commit()
    if created:
        threading.Thread(
            target=run_job,
            name=f"import-{job['id']}",
            daemon=True,
            args=(current_app.extensions["gisapp.sessions"], audit_key(), principal.actor, job, data),
            kwargs={"reason": reason, "min_area_m2": settings().grid_min_area_m2},
        ).start()
    response = jsonify(job)
    response.status_code = 202 if created else 200
    response.headers["Location"] = f"/api/v1/imports/{job['id']}"
    return response


@bp.get("/imports/<int:job_id>")
@bp.doc(
    summary="An import job: status (running, done, failed), stage, processed of total, problems, result",
    responses=error_responses("unknown_import"),
)
def job(job_id: int):
    return read_job(db_session(), job_id, _county())
