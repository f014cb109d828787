"""Import jobs (issue 5, 025): an import that a client can poll, that a retry does not repeat.

start_job writes the job (committed by the caller) or finds the running or finished job of the same
file; run_job reads, checks and writes the file in one transaction of its own, commits its progress
from other short transactions as it goes (so a poller sees it), and marks the job done in the import's
own transaction, or failed (with the problems) in a new one after rolling the import back. A running
job silent for longer than STALE_AFTER was interrupted (the process died): it reads as failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Callable

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gisapp.errors import AppError, Conflict, NotFound
from gisapp.services.access.audit import Actor
from gisapp.services.jurisdiction.grid_edit import DEFAULT_MIN_AREA_M2
from gisapp.services.layers.import_read import read_layer_file
from gisapp.services.layers.importer import MAX_PROBLEMS, import_layer

log = logging.getLogger("gisapp")
STALE_AFTER = "10 minutes"
MAX_RUNNING = 3
PROGRESS_EVERY_S = 0.5  # commit progress at most this often (and at each stage change)
JOB_COLUMNS = (
    "id, layer, county_code, file_name, file_hash, options, dry_run, status, stage, total, processed, "
    "problems, problem_count, result, author, created_at, updated_at, finished_at"
)
EXPIRE_SQL = text(f"""
UPDATE import_jobs SET status = 'failed', stage = 'finished', finished_at = now(), problem_count = 1,
       problems = '[{{"index": null, "id": null, "check": "interrupted", "where": null,
                     "message": "the import stopped (the server restarted?): nothing was imported; send it again"}}]'
WHERE status = 'running' AND updated_at < now() - interval '{STALE_AFTER}'
""")
FIND_SQL = text(
    f"SELECT {JOB_COLUMNS} FROM import_jobs WHERE layer = :layer AND county_code = :county "
    "AND file_hash = :hash AND options = CAST(:options AS jsonb) AND NOT dry_run "
    "AND status IN ('running', 'done')"
)


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_job(
    session: Session,
    author: str,
    county: str,
    layer: str,
    file_name: str,
    data: bytes,
    *,
    crs: str | None,
    dry_run: bool,
) -> tuple[dict, bool]:
    """(the job, True) for a new import, or (the running or done job of the same file, False)."""
    session.execute(EXPIRE_SQL)
    params = {"layer": layer, "county": county, "hash": file_hash(data), "options": json.dumps({"crs": crs})}
    if not dry_run:
        found = session.execute(FIND_SQL, params).first()
        if found is not None:
            return serialise(found), False
    _not_busy(session, county)
    try:
        with session.begin_nested():
            row = session.execute(
                text(
                    "INSERT INTO import_jobs (layer, county_code, file_name, file_hash, options, dry_run, author) "
                    "VALUES (:layer, :county, :name, :hash, CAST(:options AS jsonb), :dry, :author) "
                    f"RETURNING {JOB_COLUMNS}"
                ),
                params | {"name": file_name, "dry": dry_run, "author": author},
            ).one()
    except IntegrityError:  # the same file started at the same moment by another request
        return serialise(session.execute(FIND_SQL, params).one()), False
    return serialise(row), True


def _not_busy(session: Session, county: str) -> None:
    """At most MAX_RUNNING imports of a county at once: each holds a file in memory and a transaction."""
    running = session.execute(
        text("SELECT count(*) FROM import_jobs WHERE county_code = :c AND status = 'running'"), {"c": county}
    ).scalar()
    if running >= MAX_RUNNING:
        raise Conflict(
            f"{running} imports of this county are running: wait for one to finish (GET its job)", code="import_busy"
        )


def serialise(row) -> dict:
    def at(value):
        return value.isoformat().replace("+00:00", "Z") if value is not None else None

    return {
        "id": row.id,
        "layer": row.layer,
        "county": row.county_code,
        "file_name": row.file_name,
        "sha256": row.file_hash.strip(),
        "crs": row.options.get("crs"),
        "dry_run": row.dry_run,
        "status": row.status,
        "stage": row.stage,
        "total": row.total,
        "processed": row.processed,
        "problem_count": row.problem_count,
        "problems": row.problems,
        "result": row.result,
        "author": row.author,
        "created_at": at(row.created_at),
        "updated_at": at(row.updated_at),
        "finished_at": at(row.finished_at),
    }


def read_job(session: Session, job_id: int, county: str) -> dict:
    """A job of the caller's county (another county's does not exist for it)."""
    session.execute(EXPIRE_SQL)
    row = session.execute(
        text(f"SELECT {JOB_COLUMNS} FROM import_jobs WHERE id = :id AND county_code = :c"), {"id": job_id, "c": county}
    ).first()
    if row is None:
        raise NotFound(f"no import job {job_id}", code="unknown_import")
    return serialise(row)


def _progress_writer(factory: sessionmaker, job_id: int, echo: Callable | None) -> Callable[[str, int, int], None]:
    """A progress callback committing stage and counts from its own short transactions (throttled)."""
    state = {"stage": None, "at": 0.0}

    def progress(stage: str, processed: int, total: int) -> None:
        if echo is not None:
            echo(stage, processed, total)
        now = time.monotonic()
        if stage == state["stage"] and now - state["at"] < PROGRESS_EVERY_S and processed < total:
            return
        state.update(stage=stage, at=now)
        with factory() as s, s.begin():
            s.execute(
                text(
                    "UPDATE import_jobs SET stage = :s, processed = :p, total = :t, updated_at = now() "
                    "WHERE id = :id AND status = 'running'"
                ),
                {"s": stage, "p": processed, "t": total, "id": job_id},
            )

    return progress


def _fail(factory: sessionmaker, job_id: int, problems: list[dict], count: int) -> None:
    with factory() as s, s.begin():
        s.execute(
            text(
                "UPDATE import_jobs SET status = 'failed', stage = 'finished', problems = CAST(:p AS jsonb), "
                "problem_count = :n, finished_at = now(), updated_at = now() WHERE id = :id"
            ),
            {"p": json.dumps(problems[:MAX_PROBLEMS], ensure_ascii=False), "n": count, "id": job_id},
        )


def _problems_of(exc: AppError) -> list[dict]:
    """An error as the job's problems: the features' problems, or the file's one problem."""
    if exc.code == "import_rejected" and isinstance(exc.details, list):
        return exc.details
    return [{"index": None, "id": None, "check": exc.code, "message": exc.message, "where": None}]


def run_job(
    factory: sessionmaker,
    key: bytes,
    actor: Actor,
    job: dict,
    data: bytes,
    *,
    reason: str | None = None,
    echo: Callable[[str, int, int], None] | None = None,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """Read, check and (unless a dry run) import the job's file; the finished job."""
    progress = _progress_writer(factory, job["id"], echo)
    try:
        with factory() as session, session.begin():
            progress("reading", 0, 1)
            source = read_layer_file(data, job["file_name"], job["crs"], layer=job["layer"])
            result = import_layer(
                session,
                key,
                actor,
                job["county"],
                job["layer"],
                source,
                file_name=job["file_name"],
                file_hash=job["sha256"],
                dry_run=job["dry_run"],
                reason=reason,
                progress=progress,
                min_area_m2=min_area_m2,
            )
            total = len(source.features)
            session.execute(
                text(
                    "UPDATE import_jobs SET status = 'done', stage = 'finished', total = :t, processed = :t, "
                    "result = CAST(:r AS jsonb), finished_at = now(), updated_at = now() WHERE id = :id"
                ),
                {"t": total, "r": json.dumps(result, ensure_ascii=False), "id": job["id"]},
            )
    except AppError as exc:
        _fail(factory, job["id"], _problems_of(exc), getattr(exc, "count", 1))
    except Exception:  # noqa: BLE001 - a job must end failed, never stay running; the cause goes to the log
        log.exception("import job %s failed unexpectedly", job["id"])
        _fail(
            factory,
            job["id"],
            [
                {
                    "index": None,
                    "id": None,
                    "check": "internal_error",
                    "where": None,
                    "message": "an internal error stopped the import; nothing was imported",
                }
            ],
            1,
        )
    with factory() as session:
        return read_job(session, job["id"], job["county"])
