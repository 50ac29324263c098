"""Case imports from the browser (/sa/sagsimport): the uploaded file, its job row and the worker's task.

The flow: `web/case_upload.py` streams the upload into an `IncomingFile` (a temporary file in the
instance folder's ``case_imports/``, its SHA-256 computed while it is written), checks it with
`check_case_file`, and `queue_job` adds the `CaseImportJob` row. The background worker
(`data/worker.py`) calls `run_next_job`: it claims the oldest queued job in SQL, runs
`import_case_file` under `unscoped(...)` with a progress callback, and writes the outcome to the row
(the counts, or the same row-level report the CLI prints; nothing is written on any error). The
uploaded file is deleted afterwards: its name, size and SHA-256 stay in the history.

Live progress goes to a small file beside the upload, not to the job row: on SQLite the import holds
the database's write lock until it commits, so no other connection could update the row meanwhile.
The row's `progress` is set when the job ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data import audit
from data.cases_import import import_case_file
from data.db import get_session
from data.files import safe_filename
from data.models import CaseImportJob, utcnow
from data.scoping import unscoped
from data.uploads import UploadRefused, check_upload

UPLOAD_FOLDER = "case_imports"
EXTENSIONS = ("csv", "xlsx")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_TEXT = {QUEUED: "I kø", RUNNING: "Indlæses", DONE: "Indlæst", FAILED: "Afvist"}
# The page shows this many report lines; the whole report is one click away (/sa/sagsimport/<id>/rapport).
SHOWN_REPORT_LINES = 200
# The head of the file kept while streaming, enough for the type check (`check_upload` samples 64 KiB).
_HEAD_BYTES = 65536 + 1
_UNEXPECTED = ("Importen stoppede på grund af en uventet fejl. Intet er gemt. Prøv igen, og kontakt "
               "Kundeportalens support, hvis det sker igen.")


def upload_folder() -> Path:
    """Return the folder of uploaded case files: ``case_imports/`` in the app's instance folder."""
    return Path(current_app.instance_path) / UPLOAD_FOLDER


class IncomingFile:
    """A file being received: written to a temporary file in the upload folder and hashed as it arrives."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="upload-", suffix=".part")
        self.path = Path(name)
        self._handle = os.fdopen(fd, "wb")
        self._sha256 = hashlib.sha256()
        self.size = 0
        self.head = bytearray()

    def write(self, data: bytes) -> int:
        """Append `data` to the file and the running SHA-256."""
        self._handle.write(data)
        self._sha256.update(data)
        self.size += len(data)
        if len(self.head) < _HEAD_BYTES:
            self.head += data[: _HEAD_BYTES - len(self.head)]
        return len(data)

    def seek(self, *_args: Any) -> int:
        """Close the file for writing (the multipart parser rewinds a finished part)."""
        self._handle.close()
        return 0

    @property
    def sha256(self) -> str:
        """Return the hex SHA-256 of everything written."""
        return self._sha256.hexdigest()

    def discard(self) -> None:
        """Close and delete the temporary file."""
        self._handle.close()
        self.path.unlink(missing_ok=True)


def check_case_file(name: str | None, incoming: IncomingFile) -> tuple[str, str]:
    """Return (clean name, extension) of a received case file; raise UploadRefused (Danish) otherwise."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if extension not in EXTENSIONS:
        raise UploadRefused("Filtypen kan ikke indlæses. Brug en CSV-fil (UTF-8) eller en Excel-projektmappe (XLSX).")
    if incoming.size == 0:
        raise UploadRefused("Filen er tom.")
    # The type from the content as well as the name: the head is all the check reads, and the
    # size limit was the route's to enforce while streaming.
    checked = check_upload(base, bytes(incoming.head), max_bytes=len(incoming.head))
    return checked.filename, extension


def queue_job(session: Session, actor: Any, filename: str, extension: str, incoming: IncomingFile) -> CaseImportJob:
    """Keep the received file under a generated name and queue its import job (not committed)."""
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    os.replace(incoming.path, upload_folder() / stored_name)
    job = CaseImportJob(created_by_id=getattr(actor, "id", None), created_by=audit.user_label(actor)[:254],
                        filename=safe_filename(filename)[:255], stored_name=stored_name, sha256=incoming.sha256,
                        size_bytes=incoming.size, status=QUEUED, progress=0, rows=0, inserted=0, updated=0,
                        error_count=0)
    session.add(job)
    session.flush()
    audit.record(session, actor, "case_import_queued", "case_import_job", job.id, None, None,
                 {"filename": job.filename, "sha256": job.sha256, "size_bytes": job.size_bytes})
    return job


def _progress_path(job: CaseImportJob) -> Path:
    return upload_folder() / f"{job.stored_name}.progress"


def _write_progress(path: Path, rows: int, share: float) -> None:
    # Written whole and renamed into place, so a reader never sees half a line.
    part = path.with_suffix(".tmp")
    part.write_text(f"{rows} {share:.4f}", encoding="ascii")
    os.replace(part, path)


def _read_progress(job: CaseImportJob) -> tuple[int, float] | None:
    try:
        rows, share = _progress_path(job).read_text(encoding="ascii").split()
        return int(rows), float(share)
    except (OSError, ValueError):
        return None


def _claim(session: Session) -> CaseImportJob | None:
    """Mark the oldest queued job running and return it; None when there is none (or another worker won)."""
    job_id = session.scalar(select(CaseImportJob.id).where(CaseImportJob.status == QUEUED)
                            .order_by(CaseImportJob.id).limit(1))
    if job_id is None:
        return None
    # The status test inside the UPDATE makes the claim atomic between several workers.
    claimed = session.execute(update(CaseImportJob).where(CaseImportJob.id == job_id, CaseImportJob.status == QUEUED)
                              .values(status=RUNNING, started_at=utcnow()))
    session.commit()
    if claimed.rowcount != 1:
        return None
    return session.get(CaseImportJob, job_id)


# A running job whose progress has not moved for this long lost its worker (killed, host restarted):
# the import is one transaction, so nothing of it was written, and the job is ended as failed.
# CASE_JOB_STALE_AFTER_S (configuration) overrides it.
STALE_AFTER = dt.timedelta(minutes=15)


def stale_after() -> dt.timedelta:
    """Return how long a running job may go without progress before its worker counts as dead."""
    seconds = current_app.config.get("CASE_JOB_STALE_AFTER_S")
    return dt.timedelta(seconds=float(seconds)) if seconds else STALE_AFTER
_ABANDONED = ("Indlæsningen blev afbrudt, fordi baggrundsarbejderen stoppede undervejs. Intet er gemt. "
              "Indlæs filen igen.")


def _last_sign_of_life(job: CaseImportJob) -> dt.datetime:
    progress = _progress_path(job)
    if progress.exists():
        return dt.datetime.fromtimestamp(progress.stat().st_mtime, dt.timezone.utc)
    return job.started_at or job.created_at


def end_abandoned_jobs(session: Session, now: dt.datetime | None = None) -> int:
    """End running jobs whose worker died (no progress for `stale_after()`) as failed; return how many."""
    now = now or utcnow()
    limit = stale_after()
    ended = 0
    for job in session.scalars(select(CaseImportJob).where(CaseImportJob.status == RUNNING)).all():
        if now - _last_sign_of_life(job) < limit:
            continue
        # The status test inside the UPDATE: a worker that is alive after all and finishes first wins.
        result = session.execute(update(CaseImportJob).where(CaseImportJob.id == job.id, CaseImportJob.status == RUNNING)
                                 .values(status=FAILED, finished_at=now, report={"lines": [_ABANDONED]}))
        if result.rowcount == 1:
            ended += 1
            (upload_folder() / job.stored_name).unlink(missing_ok=True)
            _progress_path(job).unlink(missing_ok=True)
    session.commit()
    return ended


def run_next_job() -> bool:
    """Run the oldest queued case import job, if any (a background worker task); return whether there was one."""
    session = get_session()
    end_abandoned_jobs(session)
    job = _claim(session)
    if job is None:
        return False
    path = upload_folder() / job.stored_name
    progress_path = _progress_path(job)
    job_id = job.id
    outcome: dict[str, Any]
    try:
        with unscoped(session, "case import job: a file may hold the cases of every customer"):
            report = import_case_file(session, path, progress=lambda rows, share: _write_progress(progress_path, rows, share))
        outcome = {"status": DONE if report.ok else FAILED, "rows": report.rows, "inserted": report.inserted,
                   "updated": report.updated, "error_count": report.error_count,
                   "report": {"lines": report.summary_lines()}}
    except ValueError as exc:  # the file cannot be read (ImportFileError) or is of no supported type
        session.rollback()
        outcome = {"status": FAILED, "report": {"lines": [str(exc)]}}
    except Exception:  # noqa: BLE001 - the job must end, and the import wrote nothing
        session.rollback()
        current_app.logger.exception("case import job %s failed", job_id)
        outcome = {"status": FAILED, "report": {"lines": [_UNEXPECTED]}}
    finally:
        path.unlink(missing_ok=True)
        progress_path.unlink(missing_ok=True)
    session.execute(update(CaseImportJob).where(CaseImportJob.id == job_id)
                    .values(progress=100, finished_at=utcnow(), **outcome))
    session.commit()
    return True


@dataclass(frozen=True)
class JobView:
    """What the page shows of one job."""

    id: int
    created_at: dt.datetime
    created_by: str
    filename: str
    sha256: str
    size_bytes: int
    status: str
    progress: int
    rows: int
    inserted: int
    updated: int
    error_count: int
    report_lines: tuple[str, ...]
    more_lines: int

    @property
    def finished(self) -> bool:
        """Tell whether the worker is done with the job (imported or refused)."""
        return self.status in (DONE, FAILED)

    @property
    def status_text(self) -> str:
        """Return the job's status in Danish."""
        return STATUS_TEXT.get(self.status, self.status)


def _view(job: CaseImportJob, lines: int) -> JobView:
    progress = job.progress
    if job.status == RUNNING:
        live = _read_progress(job)
        # The last chunk read is not the end: roll-ups and the commit follow, so 100 % waits for them.
        progress = min(int((live[1] if live else 0.0) * 100), 99)
    report = (job.report or {}).get("lines") or []
    return JobView(id=job.id, created_at=job.created_at, created_by=job.created_by, filename=job.filename,
                   sha256=job.sha256, size_bytes=job.size_bytes, status=job.status, progress=progress, rows=job.rows,
                   inserted=job.inserted, updated=job.updated, error_count=job.error_count,
                   report_lines=tuple(report[:lines]), more_lines=max(len(report) - lines, 0))


def job_view(session: Session, job_id: int) -> JobView | None:
    """Return job `job_id` as the page shows it (the first report lines, live progress); None if unknown."""
    job = session.get(CaseImportJob, job_id)
    return None if job is None else _view(job, SHOWN_REPORT_LINES)


def report_lines(session: Session, job_id: int) -> list[str] | None:
    """Return every line of job `job_id`'s report (as the CLI prints them); None if the job is unknown."""
    job = session.get(CaseImportJob, job_id)
    return None if job is None else list((job.report or {}).get("lines") or [])


def recent_jobs(session: Session, limit: int = 50) -> list[JobView]:
    """Return the latest `limit` jobs, newest first, for the history (without their reports)."""
    jobs = session.scalars(select(CaseImportJob).order_by(CaseImportJob.id.desc()).limit(limit)).all()
    return [_view(job, 0) for job in jobs]


__all__ = [
    "DONE", "EXTENSIONS", "FAILED", "QUEUED", "RUNNING", "SHOWN_REPORT_LINES", "IncomingFile", "JobView",
    "UploadRefused", "check_case_file", "job_view", "queue_job", "recent_jobs", "report_lines", "run_next_job",
    "upload_folder",
]
