"""The case file upload of /sa/sagsimport: a plain multipart POST, streamed to disk and queued for the worker.

The browser (assets/sagsimport.js) POSTs the file as ``multipart/form-data`` with the CSRF token in
the ``X-CSRFToken`` header. The body is never held in memory: it is parsed as it arrives, written to
a temporary file in the instance folder and hashed (SHA-256) on the way, under the route's own size
limit (``CASE_IMPORT_MAX_BYTES``, from CASE_IMPORT_MAX_MB; the app-wide MAX_CONTENT_LENGTH is for
everything else). The import itself runs in the background worker (data/case_jobs.py).

The CSRF check is this view's own, done before a byte of the body is read: Flask-WTF's hook would
look for the token in the form first, and so parse the whole upload before the size limit applied.
Only SA staff may upload (Action.EDIT_CONTENT); a customer account gets 403 and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, same_origin, validate_csrf
from werkzeug.exceptions import BadRequest, Forbidden, LengthRequired, NotFound, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from wtforms import ValidationError

from auth.dash_requests import streams_own_body
from auth.guard import bind_request
from auth.extensions import csrf
from core.access import NotSignedIn, can_do, customer_scope
from core.rights import Action
from data import case_jobs
from data.db import get_session, transaction
from web.downloads import content_disposition

bp = Blueprint("case_upload", __name__)

UPLOAD_PATH = "/sa/sagsimport/fil"
FILE_FIELD = "fil"
SA_ONLY = "Kun medarbejdere i Statens Administration kan indlæse sager."
# The form holds the file and no field worth more than this in memory. Werkzeug's parser applies it to
# its read-ahead buffer too (64 KiB blocks plus what is left of the last), so it is Flask's default.
_MAX_FIELD_BYTES = 500 * 1024
_MAX_PARTS = 8


def report_path(job_id: int) -> str:
    """Return the address of job `job_id`'s whole report as plain text."""
    return f"/sa/sagsimport/{job_id}/rapport"


def _sa_user() -> Any:
    user = current_user
    if user is None or not user.is_authenticated:
        raise NotSignedIn()
    if getattr(user, "must_change_password", False) or not can_do(user, Action.EDIT_CONTENT):
        raise Forbidden(SA_ONLY)
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def _check_csrf() -> None:
    """Check the X-CSRFToken header as Flask-WTF's own hook does, without touching the body."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None
    if request.is_secure and current_app.config.get("WTF_CSRF_SSL_STRICT", True):
        if not request.referrer or not same_origin(request.referrer, f"https://{request.host}/"):
            raise CSRFError("The referrer does not match the host.")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB".replace(",", ".")


@bp.post(UPLOAD_PATH)
@streams_own_body
@csrf.exempt
def upload_case_file() -> tuple[Response, int]:
    """Receive a case file, stream it to the upload folder and queue its import; answer the job id as JSON."""
    _check_csrf()
    user = _sa_user()
    bind_request(customer_scope(user))
    limit = current_app.config["CASE_IMPORT_MAX_BYTES"]
    request.max_content_length = limit
    if request.content_length is None:
        raise LengthRequired("Filen blev sendt uden en længde. Prøv igen fra siden Indlæs sager.")
    if request.content_length > limit:
        raise RequestEntityTooLarge(f"Filen er for stor ({_megabytes(request.content_length)}). "
                                    f"Den må højst fylde {_megabytes(limit)}.")
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Vælg en fil, og prøv igen.")
    received: list[case_jobs.IncomingFile] = []

    def stream_factory(**_part: Any) -> case_jobs.IncomingFile:
        if received:
            raise BadRequest("Send én fil ad gangen.")
        received.append(case_jobs.IncomingFile(case_jobs.upload_folder()))
        return received[0]

    parser = FormDataParser(stream_factory, max_form_memory_size=_MAX_FIELD_BYTES, silent=False,
                            max_form_parts=_MAX_PARTS)
    try:
        try:
            _, _, files = parser.parse(request.stream, request.mimetype, request.content_length,
                                       request.mimetype_params)
        except ValueError:
            raise BadRequest("Filen kom ikke helt frem. Prøv igen.") from None
        upload = files.get(FILE_FIELD)
        if upload is None or not received or "\x00" in (upload.filename or ""):
            raise BadRequest("Vælg en fil, og prøv igen.")
        try:
            name, extension = case_jobs.check_case_file(upload.filename, received[0])
        except case_jobs.UploadRefused as exc:
            return jsonify(error=str(exc)), 400
        with transaction() as session:
            job = case_jobs.queue_job(session, user, name, extension, received[0])
            job_id = job.id
    finally:
        for incoming in received:
            incoming.discard()
    return jsonify(job=job_id, message="Filen er modtaget og står i kø til indlæsning."), 202


@bp.get("/sa/sagsimport/<int:job_id>/rapport")
def job_report(job_id: int) -> Response:
    """Send the whole report of case import job `job_id` as plain text (SA staff only)."""
    _sa_user()
    lines = case_jobs.report_lines(get_session(), job_id)
    if lines is None:
        raise NotFound("Importen findes ikke.")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Content-Disposition"] = content_disposition(f"sagsimport_{job_id}_rapport.txt")
    response.headers["Cache-Control"] = "private, no-store"
    return response


__all__ = ["FILE_FIELD", "UPLOAD_PATH", "bp", "report_path"]
