"""The file store: bytes on disk under FILE_STORE_PATH, metadata in `stored_file`.

Files are only ever reached through a StoredFile row; the storage key is generated here, never
taken from a request, so no request can name a path outside the store.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, current_app
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from core.access import AccessScope
from data.db import get_session
from data.models import Meeting, MeetingDocument, StoredFile

_KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")
_UNSAFE_NAME = re.compile(r"[^\w.\- ()æøåÆØÅ]+")


class FileStoreError(RuntimeError):
    """Raised when a stored file is missing or its key is malformed."""


def safe_filename(name: str, default: str = "fil") -> str:
    """Return a download name without path parts or control characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = _UNSAFE_NAME.sub("_", base).strip("._ ")
    return base[:120] or default


class FileStore:
    """Store and open file contents in a folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not _KEY_PATTERN.match(key):
            raise FileStoreError("Ugyldig filnøgle.")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise FileStoreError("Ugyldig filnøgle.")
        return path

    def put(self, session: Session, content: bytes, filename: str, *, cvr: str | None, menu: str,
            content_type: str | None = None) -> StoredFile:
        """Write `content` to the store and add its StoredFile row to `session` (not committed)."""
        token = secrets.token_hex(16)
        key = f"{token[:2]}/{token}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        _forget_on_rollback(session, path)
        ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        row = StoredFile(cvr=cvr, menu=menu, storage_key=key, filename=safe_filename(filename), content_type=ctype,
                         size=len(content), sha256=hashlib.sha256(content).hexdigest())
        session.add(row)
        return row

    def path_of(self, row: StoredFile) -> Path:
        """Return the on-disk path of a stored file; raise FileStoreError when it is missing."""
        path = self._path(row.storage_key)
        if not path.is_file():
            raise FileStoreError("Filen findes ikke i fillageret.")
        return path


_PENDING_KEY = "portal_files_written"


def _forget_on_rollback(session: Session, path: Path) -> None:
    """Delete `path` again if the session's transaction rolls back, so no file outlives a refused save."""
    pending = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        event.listen(session, "after_commit", lambda s: s.info.get(_PENDING_KEY, []).clear())
        event.listen(session, "after_rollback", _delete_pending)
    pending.append(path)


def _delete_pending(session: Session) -> None:
    for path in session.info.get(_PENDING_KEY, []):
        path.unlink(missing_ok=True)
    session.info.get(_PENDING_KEY, []).clear()


def init_app(app: Flask) -> None:
    """Bind the file store of FILE_STORE_PATH to `app`."""
    app.extensions["file_store"] = FileStore(app.config["FILE_STORE_PATH"])


def get_store() -> FileStore:
    """Return the file store of the current app."""
    return current_app.extensions["file_store"]


def find_file(scope: AccessScope, file_id: int) -> StoredFile | None:
    """Return stored file `file_id` if its customer lies in `scope`, else None (same as missing)."""
    return get_session().scalar(select(StoredFile).where(StoredFile.id == file_id, scope.clause(StoredFile.cvr)))


def _not_a_draft() -> Any:
    """Return the condition that a file is no unpublished (draft or withdrawn) document of an unpublished meeting."""
    hidden = (
        select(MeetingDocument.id)
        .join(Meeting, MeetingDocument.meeting_id == Meeting.id)
        .where(
            MeetingDocument.file_id == StoredFile.id,
            or_(Meeting.published_at.is_(None), MeetingDocument.published_at.is_(None),
                MeetingDocument.withdrawn_at.is_not(None)),
        )
    )
    return ~hidden.exists()


def find_file_by_menu(scopes: Mapping[str, AccessScope], file_id: int, *, drafts: bool = False) -> StoredFile | None:
    """Return stored file `file_id` only if its customer lies in the scope of the file's own menu (drafts: SA's)."""
    # `scopes` maps a menu value (StoredFile.menu) to the CVRs the user may open that menu for;
    # a file of a menu that is not in `scopes`, or of a CVR outside that menu's scope, is answered
    # with None, exactly as a file that does not exist. Without `drafts` (SA staff only), a file of a
    # meeting document customers may not read yet (or no longer) is answered the same way.
    conditions = [and_(StoredFile.menu == menu, scope.clause(StoredFile.cvr)) for menu, scope in scopes.items()]
    if not conditions:
        return None
    stmt = select(StoredFile).where(StoredFile.id == file_id, or_(*conditions))
    if not drafts:
        stmt = stmt.where(_not_a_draft())
    return get_session().scalar(stmt)
