"""Download routes: stored files (`/filer/<id>`) and agreement PDFs (`/kundeaftaler/hent/<kind>`).

The sign-in wall covers these routes. A stored file is looked up only among the CVRs on which the
user holds the right for the file's own menu, so a file of another customer is answered exactly
as a file that does not exist. Paths on disk come from the file's generated storage key only.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request, send_file
from flask_login import current_user

from auth.guard import bind_request
from core.access import NotSignedIn, can_do, customer_scope, menu_scope, require_access
from core.rights import Action, Menu
from data import agreements, approvals, audit, privacy
from data.agreement_pdf import agreement_pdf
from data.files import FileStoreError, find_file_by_menu, get_store, safe_filename
from data.models import StoredFile
from core.formatting import da_date, da_datetime

bp = Blueprint("downloads", __name__)

NOT_FOUND_TEXT = "Filen findes ikke, eller du har ikke adgang til den."
PDF_MIMETYPE = "application/pdf"
# Ids beyond this are never real rows; it keeps absurd numbers away from the database driver.
MAX_FILE_ID = 2**31 - 1
# The document types the portal serves as such; anything else (html, svg, any of the many script
# types a browser would run from <script src>) goes out as plain bytes.
_SERVED_TYPES = frozenset({
    "application/pdf", "text/plain", "text/csv", "image/png", "image/jpeg", "image/gif",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/zip", "message/rfc822",
})
_ASCII_FALLBACK = re.compile(r"[^A-Za-z0-9._() -]+")


def _user() -> Any:
    """Return the signed-in user, with the request's queries scoped to the customers they may see."""
    user = current_user
    if user is None or not user.is_authenticated:
        raise NotSignedIn()
    user = user._get_current_object() if hasattr(user, "_get_current_object") else user
    bind_request(customer_scope(user))
    return user


def not_found() -> Response:
    """Return the one answer for a missing file, a file of another customer and a malformed id."""
    response = Response(NOT_FOUND_TEXT, status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def content_disposition(filename: str) -> str:
    """Return an attachment header with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    ascii_name = _ASCII_FALLBACK.sub("_", filename.encode("ascii", "replace").decode("ascii").replace("?", "_"))
    ascii_name = ascii_name.strip(" ._") or "fil"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _safe_mimetype(value: str | None) -> str:
    value = (value or "").split(";")[0].strip().lower()
    return value if value in _SERVED_TYPES else "application/octet-stream"


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _send_stored(row: StoredFile) -> Response:
    try:
        path = get_store().path_of(row)
    except FileStoreError:
        current_app.logger.warning("stored file %s is missing on disk", row.id)
        return not_found()
    # Names are cleaned when stored; cleaned again here, since a row may come from elsewhere (a CR/LF
    # in it broke the header: a 500).
    name = safe_filename(row.filename or "")
    response = send_file(path, mimetype=_safe_mimetype(row.content_type), as_attachment=True,
                         download_name=name, conditional=False, etag=False, max_age=0)
    return _attachment(response, name)


def visible_file(user: Any, file_id: int) -> StoredFile | None:
    """Return stored file `file_id` if `user` holds the right of the file's menu on its CVR, else None."""
    if not isinstance(file_id, int) or not 0 < file_id <= MAX_FILE_ID:
        return None
    scopes = {menu.value: menu_scope(user, menu) for menu in Menu}
    # Drafts and withdrawn documents are SA's: a customer's forged file id finds nothing.
    return find_file_by_menu(scopes, file_id, drafts=can_do(user, Action.EDIT_CONTENT))


@bp.get("/filer/<int:file_id>")
@bp.get("/filer/<int:file_id>/<name>")
def stored_file(file_id: int, name: str | None = None) -> Response:
    """Send a stored file as an attachment; 404 (the same for missing and foreign files) otherwise."""
    user = _user()
    row = visible_file(user, file_id)
    if row is None:
        return not_found()
    response = _send_stored(row)
    if response.status_code == 200:
        audit.record_download(user, "file", row.id, row.cvr, row.filename or "fil")
    return response


@bp.route("/filer", methods=["GET", "HEAD"])
@bp.route("/filer/", methods=["GET", "HEAD"])
@bp.route("/filer/<path:_rest>", methods=["GET", "HEAD"])
@bp.route("/kundeaftaler/hent", methods=["GET", "HEAD"])
@bp.route("/kundeaftaler/hent/", methods=["GET", "HEAD"])
@bp.route("/kundeaftaler/hent/<path:_rest>", methods=["GET", "HEAD"])
def malformed(_rest: str = "") -> Response:
    """Answer any other /filer or /kundeaftaler/hent address (malformed ids, '../', extra parts) as missing."""
    _user()
    return not_found()


@bp.get("/kundeaftaler/hent/<kind>")
def agreement_download(kind: str) -> Response:
    """Send agreement `kind` of `?cvr=` as PDF; raise NotSignedIn, or AccessDenied (403) without the right."""
    # Raises NotSignedIn, or AccessDenied (403) without the Kundeaftaler right on that CVR; an
    # unknown kind or a missing agreement gets 404.
    user = _user()
    cvr = request.args.get("cvr")
    scope = require_access(user, Menu.KUNDEAFTALER, cvr)
    bind_request(scope)
    if kind not in agreements.AGREEMENT_KINDS:
        return not_found()
    item = agreements.agreement(scope, cvr, kind)
    version = request.args.get("version")
    if version is not None:
        # A named published version (a later one awaiting approval); drafts are never among them.
        item = next((v for v in agreements.versions(scope, cvr, kind) if str(v["id"]) == version), None)
    if item is None:
        return not_found()
    day = agreements.agreement_date(item)
    filename = f"{agreements.AGREEMENT_TITLES[kind]}_{cvr}{'_' + day.isoformat() if day else ''}.pdf"
    if item["sealed_file_id"] is None and item["approval_requested_at"] is not None:
        # Awaiting approval: exactly the PDF the signatories approve (its hash is what they sign).
        content = approvals.approval_pdf(scope, cvr, item["id"])
        audit.record_download(user, "agreement", kind, cvr, filename)
        return _attachment(Response(content, mimetype=PDF_MIMETYPE), filename)
    # Approved electronically: the sealed PDF; else the uploaded paper copy, when there is one.
    file_id = item["sealed_file_id"] if item["sealed_file_id"] is not None else item["signed_file_id"]
    if file_id is not None:
        row = visible_file(user, file_id)
        # The signed file must be this customer's own; anything else is treated as missing.
        if row is None or row.cvr != cvr:
            return not_found()
        try:
            path = get_store().path_of(row)
        except FileStoreError:
            current_app.logger.warning("signed agreement file %s is missing on disk", row.id)
            return not_found()
        response = send_file(path, mimetype=_safe_mimetype(row.content_type), as_attachment=True,
                             download_name=filename, conditional=False, etag=False, max_age=0)
        audit.record_download(user, "agreement", kind, cvr, filename)
        return _attachment(response, filename)
    customer = agreements.customer_facts(scope, cvr)
    if customer is None:
        return not_found()
    content = agreement_pdf(item, customer, da_datetime, da_date)
    audit.record_download(user, "agreement", kind, cvr, filename)
    privacy.log_views(user, "Kundeaftaler – hent aftale (PDF)", cvr, privacy.signatories(item))
    response = Response(content, mimetype=PDF_MIMETYPE)
    return _attachment(response, filename)
