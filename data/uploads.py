"""Checks every uploaded document passes before it reaches the file store.

The type is decided from the content as well as the name: the name's extension must be on the
allow-list, and the bytes must be what that extension says (magic numbers via `filetype`; plain
text must decode and hold no control bytes). A script renamed `.pdf`, an HTML page called `.docx`,
an empty or oversized file, and a name that is only a path trick are refused with a Danish message.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import filetype

from data.errors import Refused
from data.files import safe_filename

# Extension -> (MIME type served, the `filetype` extensions the content may be detected as).
# OLE2 containers (doc/xls/ppt) are told apart by filetype's own sniffing; text has no magic number.
ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    "pdf": ("application/pdf", frozenset({"pdf"})),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({"docx"})),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({"xlsx"})),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", frozenset({"pptx"})),
    "doc": ("application/msword", frozenset({"doc"})),
    "xls": ("application/vnd.ms-excel", frozenset({"xls"})),
    "ppt": ("application/vnd.ms-powerpoint", frozenset({"ppt"})),
    "odt": ("application/vnd.oasis.opendocument.text", frozenset({"odt"})),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", frozenset({"ods"})),
    "png": ("image/png", frozenset({"png"})),
    "jpg": ("image/jpeg", frozenset({"jpg"})),
    "jpeg": ("image/jpeg", frozenset({"jpg"})),
    "gif": ("image/gif", frozenset({"gif"})),
    "txt": ("text/plain", frozenset()),
    "csv": ("text/csv", frozenset()),
}
TEXT_EXTENSIONS = frozenset(ext for ext, (_, kinds) in ALLOWED.items() if not kinds)
ALLOWED_TEXT = "PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, GIF, tekst eller CSV"


class UploadRefused(Refused):
    """Raised when an uploaded file is empty, too large, of a type not allowed, or not what its name says."""


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check: a clean name, the type to serve it as, its size and SHA-256."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB".replace(".", ",")


_MARKUP_STARTS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml")


def _decodes(sample: bytes, truncated: bool) -> bool:
    try:
        sample.decode("utf-8-sig")
        return True
    except UnicodeDecodeError as exc:
        # A character cut at the end of a sample of a longer file is still UTF-8.
        if truncated and exc.start >= len(sample) - 3:
            return True
    try:
        # Windows-1252, as Danish spreadsheets export CSV; its five undefined bytes still fail.
        sample.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def _looks_like_text(content: bytes) -> bool:
    """Tell whether `content` is plain text: no control bytes but tab and line breaks, decodable, not markup."""
    sample = content[:65536]
    if any(byte < 9 or 13 < byte < 32 for byte in sample):
        return False
    if sample.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_MARKUP_STARTS):
        return False
    return _decodes(sample, truncated=len(content) > len(sample))


def check_upload(name: str | None, content: bytes | None, max_bytes: int) -> CheckedUpload:
    """Return the checked upload; raise UploadRefused with a Danish message for any file not allowed."""
    raw_name = (name or "").replace("\\", "/")
    base = os.path.basename(raw_name).strip()
    if not base or base in (".", "..") or base.startswith("."):
        raise UploadRefused("Filen har intet gyldigt navn. Giv den et navn som fx »referat.pdf«.")
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if extension not in ALLOWED:
        raise UploadRefused(f"Filtypen er ikke tilladt. Tilladte typer: {ALLOWED_TEXT}.")
    if not content:
        raise UploadRefused("Filen er tom.")
    if len(content) > max_bytes:
        raise UploadRefused(f"Filen er for stor ({_megabytes(len(content))}). Den må højst fylde {_megabytes(max_bytes)}.")
    mime, kinds = ALLOWED[extension]
    detected = filetype.guess_extension(content)
    if kinds:
        if detected not in kinds:
            raise UploadRefused(f"Filens indhold passer ikke til navnet: den hedder ».{extension}«, men er ikke en "
                                f"{extension.upper()}-fil. Gem den i det rigtige format, og prøv igen.")
    elif detected is not None or not _looks_like_text(content):
        raise UploadRefused(f"Filens indhold passer ikke til navnet: en ».{extension}«-fil skal være almindelig tekst.")
    return CheckedUpload(filename=safe_filename(base), content_type=mime, size=len(content),
                         sha256=hashlib.sha256(content).hexdigest(), content=content)
