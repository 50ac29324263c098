"""Scoped reads and SA's writes of a customer's meetings (Møder) and their documents.

Customers read only published meetings and their published, not withdrawn, documents: the filter is
in SQL (`drafts=False`, the default), so a forged request never sees a draft. SA staff create and
edit meetings, attach documents (each checked by `data.uploads.check_upload`), publish a meeting and
its new documents (announced as Topic.MEETINGS), and withdraw a document (kept for the audit). Every
write checks the SA action, compares the meeting's version inside the UPDATE (a stale form writes
nothing), and writes an audit row with what it was and what it became in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from core.formatting import da_date
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from core.access import AccessDenied, AccessScope, require_action
from core.rights import Action, Menu
from core.topics import Topic
from data import audit, validators
from data.announcements import announce
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.files import get_store
from data.models import Customer, Meeting, MeetingDocument, StoredFile
from data.uploads import UploadRefused, check_upload
from data.validators import ascii_digits, valid_id
from data.workdays import DANISH_TZ

# Documents are audited under their meeting, so one history holds the meeting and its papers.
ENTITY = "meeting"

# Document kinds in the order the page lists them, with their Danish labels.
DOCUMENT_KINDS: dict[str, str] = {"dagsorden": "Dagsorden", "materiale": "Materiale", "referat": "Referat"}

# Years outside this range are never meeting years; it bounds what a forged filter can ask for.
MIN_YEAR, MAX_YEAR = 1990, 2100

# Bounds match the columns of data/models.py.
MAX_LENGTHS = {"title": 200, "kind": 60, "held_date": 10, "held_time": 5}
FIELD_LABELS = {"title": "Titel", "kind": "Mødetype", "held_date": "Dato", "held_time": "Tidspunkt"}
# One upload may carry several files; a bound keeps one click from filling the store.
MAX_FILES_PER_UPLOAD = 20


class MeetingError(Refused):
    """A meeting write that was refused and wrote nothing; `message` is Danish and safe to show."""


class MeetingValidationError(ValidationError, MeetingError):
    """One or more meeting fields are invalid; `errors` maps field name to a Danish message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors, "Mødet er ikke gemt. Ret de markerede felter.")


class MeetingNotFound(MeetingError):
    """The meeting (or document) does not exist for this customer (or lies outside the scope)."""

    def __init__(self, what: str = "Mødet") -> None:
        super().__init__(f"{what} findes ikke (længere). Genindlæs siden.")


class MeetingConflict(MeetingError):
    """Someone else changed the meeting after the form or dialog loaded it; nothing was written."""

    def __init__(self, updated_by: str | None, updated_at: dt.datetime | None):
        super().__init__(conflict_message("Mødet", updated_by, updated_at))


@dataclass(frozen=True)
class MeetingInput:
    """Validated, normalised meeting form values."""

    held_at: dt.datetime
    kind: str
    title: str


def _danish_year(value: dt.datetime) -> int:
    # A meeting at 00:30 on 1 January Danish time is stored on 31 December in UTC.
    return value.astimezone(DANISH_TZ).year


def long_date(value: dt.datetime) -> str:
    """Format a meeting's day as '12. mar. 2026' (Danish local time; the portal's one date format)."""
    return da_date(value.astimezone(DANISH_TZ).date())


# --- reads ------------------------------------------------------------------------------------


def _visible_meetings(drafts: bool) -> list[Any]:
    return [] if drafts else [Meeting.published_at.is_not(None)]


def _document_visible(doc: MeetingDocument, drafts: bool) -> bool:
    return drafts or (doc.published_at is not None and doc.withdrawn_at is None)


def meeting_years(scope: AccessScope, cvr: str, *, drafts: bool = False) -> list[int]:
    """Return the years in which customer `cvr` (inside `scope`) has meetings, newest first (drafts: SA's view)."""
    stmt = select(Meeting.held_at).where(scope.clause(Meeting.cvr), Meeting.cvr == cvr, *_visible_meetings(drafts))
    years = {_danish_year(held) for held in get_session().scalars(stmt)}
    return sorted(years, reverse=True)


def parse_year(value: Any) -> int | None:
    """Return `value` as a plausible meeting year, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        year = value
    elif ascii_digits(value.strip() if isinstance(value, str) else value) and len(value.strip()) == 4:
        year = int(value.strip())
    else:
        return None
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _files(session: Session, scope: AccessScope, cvr: str, file_ids: set[int]) -> dict[int, StoredFile]:
    # Only files of the same customer are listed, so a document row pointing at another customer's
    # file can never surface.
    if not file_ids:
        return {}
    stmt = select(StoredFile).where(StoredFile.id.in_(sorted(file_ids)), StoredFile.cvr == cvr,
                                    scope.clause(StoredFile.cvr))
    return {f.id: f for f in session.scalars(stmt)}


def _document_status(doc: MeetingDocument) -> str:
    if doc.withdrawn_at is not None:
        return "withdrawn"
    return "published" if doc.published_at is not None else "draft"


def _document_dict(doc: MeetingDocument, file: StoredFile) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind,
        "kind_label": DOCUMENT_KINDS.get(doc.kind, doc.kind.capitalize()),
        "title": doc.title,
        "file_id": doc.file_id,
        "filename": file.filename,
        "size": file.size,
        "status": _document_status(doc),
        "published_at": doc.published_at,
        "withdrawn_at": doc.withdrawn_at,
    }


def _meeting_dict(meeting: Meeting, docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "held_at": meeting.held_at,
        "title": meeting.title,
        "kind": meeting.kind,
        "published_at": meeting.published_at,
        "version": meeting.version,
        "updated_at": meeting.updated_at,
        "updated_by": meeting.updated_by,
        "documents": docs,
    }


def _documents_of(meeting: Meeting, files: Mapping[int, StoredFile], drafts: bool) -> list[dict[str, Any]]:
    order = {kind: i for i, kind in enumerate(DOCUMENT_KINDS)}
    docs = sorted(
        (d for d in meeting.documents if d.file_id in files and _document_visible(d, drafts)),
        key=lambda d: (order.get(d.kind, len(order)), d.id),
    )
    return [_document_dict(d, files[d.file_id]) for d in docs]


def meetings(scope: AccessScope, cvr: str, year: int | None = None,
             now: dt.datetime | None = None, *, drafts: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Return the meetings of `cvr` inside `scope`, split into 'upcoming' and 'past', newest first.

    Customers' reads (`drafts=False`) hold only published meetings and documents; SA's editing view
    passes `drafts=True`.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    stmt = (
        select(Meeting)
        .options(selectinload(Meeting.documents))
        .where(scope.clause(Meeting.cvr), Meeting.cvr == cvr, *_visible_meetings(drafts))
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
        .execution_options(populate_existing=True)
    )
    session = get_session()
    rows = [m for m in session.scalars(stmt) if year is None or _danish_year(m.held_at) == year]
    files = _files(session, scope, cvr, {d.file_id for m in rows for d in m.documents})
    result: dict[str, list[dict[str, Any]]] = {"upcoming": [], "past": []}
    for meeting in rows:
        entry = _meeting_dict(meeting, _documents_of(meeting, files, drafts))
        result["upcoming" if meeting.held_at > now else "past"].append(entry)
    # Upcoming meetings read best soonest first.
    result["upcoming"].reverse()
    return result


def all_meetings(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return every meeting of `cvr` with every document, drafts and withdrawn ones included (SA's view), newest first."""
    found = meetings(scope, cvr, drafts=True)
    return list(reversed(found["upcoming"])) + found["past"]


def _load(session: Session, scope: AccessScope, cvr: str, meeting_id: Any) -> Meeting | None:
    if not valid_id(meeting_id):
        return None
    stmt = (
        select(Meeting)
        .options(selectinload(Meeting.documents))
        .where(scope.clause(Meeting.cvr), Meeting.cvr == cvr, Meeting.id == meeting_id)
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def _snapshot(session: Session, scope: AccessScope, cvr: str, meeting: Meeting) -> dict[str, Any]:
    files = _files(session, scope, cvr, {d.file_id for d in meeting.documents})
    return _meeting_dict(meeting, _documents_of(meeting, files, drafts=True))


def get_meeting(scope: AccessScope, cvr: str, meeting_id: Any) -> dict[str, Any] | None:
    """Return one meeting of `cvr` with every document (SA's view), or None when it is not this customer's."""
    session = get_session()
    meeting = _load(session, scope, cvr, meeting_id)
    return _snapshot(session, scope, cvr, meeting) if meeting is not None else None


def get_document(scope: AccessScope, cvr: str, document_id: Any) -> dict[str, Any] | None:
    """Return one document of a meeting of `cvr` with its meeting's id, title and version, or None."""
    if not valid_id(document_id):
        return None
    session = get_session()
    # The document has no cvr of its own: it is reached through its meeting, joined on the meeting's cvr.
    row = session.execute(
        select(MeetingDocument, Meeting)
        .join(Meeting, MeetingDocument.meeting_id == Meeting.id)
        .where(MeetingDocument.id == document_id, scope.clause(Meeting.cvr), Meeting.cvr == cvr)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    doc, meeting = row
    files = _files(session, scope, cvr, {doc.file_id})
    if doc.file_id not in files:
        return None
    return {**_document_dict(doc, files[doc.file_id]), "meeting_id": meeting.id, "meeting_title": meeting.title,
            "held_at": meeting.held_at, "version": meeting.version}


def meeting_history(scope: AccessScope, cvr: str, meeting_id: Any) -> list[dict[str, Any]]:
    """Return the audit trail of one meeting of `cvr` (its documents included), newest first."""
    if not valid_id(meeting_id):
        return []
    rows = audit.history(get_session(), scope, cvr, ENTITY, meeting_id)
    return [{"at": r.at, "user": r.user_label, "action": r.action, "before": r.before, "after": r.after} for r in rows]


# --- validation -------------------------------------------------------------------------------


def _parse_date(value: str, errors: dict[str, str]) -> dt.date | None:
    if not value:
        errors.setdefault("held_date", validators.required_message(FIELD_LABELS["held_date"]))
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors["held_date"] = "Dato skal være en gyldig dato (fx 12-03-2026)."
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        errors["held_date"] = f"Dato skal ligge mellem år {MIN_YEAR} og {MAX_YEAR}."
        return None
    return day


def _parse_time(value: str, errors: dict[str, str]) -> dt.time | None:
    if not value:
        errors.setdefault("held_time", validators.required_message(FIELD_LABELS["held_time"]))
        return None
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2 or not (ascii_digits(hours) and ascii_digits(minutes)):
            raise ValueError(value)
        return dt.time(int(hours), int(minutes))
    except ValueError:
        errors["held_time"] = "Tidspunkt skal være et klokkeslæt (tt:mm, fx 09:30)."
        return None


def validate(raw: Mapping[str, Any]) -> MeetingInput:
    """Validate and normalise raw meeting form values; raise MeetingValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise MeetingValidationError({"title": validators.INVALID_VALUE})
    errors: dict[str, str] = {}

    def text(key: str) -> str:
        value = validators.text_field(raw, key, errors, label=FIELD_LABELS[key], max_length=MAX_LENGTHS[key],
                                      clean=validators.one_line)
        if not value and key not in errors:
            errors[key] = validators.required_message(FIELD_LABELS[key])
        return value

    title, kind = text("title"), text("kind")
    date_text, time_text = text("held_date"), text("held_time")
    day = _parse_date(date_text, errors) if "held_date" not in errors else None
    clock = _parse_time(time_text, errors) if "held_time" not in errors else None
    if errors or day is None or clock is None:
        raise MeetingValidationError(errors)
    # Typed in Danish local time; stored in UTC.
    held_at = dt.datetime.combine(day, clock, tzinfo=DANISH_TZ).astimezone(dt.timezone.utc)
    return MeetingInput(held_at, kind, title)


def form_values(meeting: Mapping[str, Any]) -> dict[str, str]:
    """Return a meeting's form values: date and time in Danish local time, type and title."""
    held = meeting["held_at"].astimezone(DANISH_TZ)
    return {"held_date": held.date().isoformat(), "held_time": f"{held:%H:%M}", "kind": meeting["kind"],
            "title": meeting["title"]}


# --- writes -----------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _who(user: Any) -> str:
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:200]


def _require_editor(session: Session, scope: AccessScope, cvr: str, user: Any) -> None:
    # The wrapper refused customers already; the data layer says it once more for every other caller.
    require_action(user, Action.EDIT_CONTENT)
    if not isinstance(cvr, str) or not scope.allows(cvr):
        raise AccessDenied()
    if session.scalar(select(Customer.cvr).where(scope.clause(Customer.cvr), Customer.cvr == cvr)) is None:
        raise MeetingError("Kunden findes ikke.")


def _audit_view(snapshot: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    docs = [{key: d[key] for key in ("id", "kind", "title", "filename", "status")} for d in snapshot["documents"]]
    return {"held_at": snapshot["held_at"], "kind": snapshot["kind"], "title": snapshot["title"],
            "published": snapshot["published_at"] is not None, "documents": docs, "version": snapshot["version"]}


def _locked(session: Session, scope: AccessScope, cvr: str, meeting_id: Any, version: Any) -> Meeting:
    """Return the meeting shown at `version`; raise MeetingNotFound or MeetingConflict."""
    meeting = _load(session, scope, cvr, meeting_id)
    if meeting is None:
        raise MeetingNotFound()
    if not valid_id(version) or meeting.version != version:
        raise MeetingConflict(meeting.updated_by, meeting.updated_at)
    return meeting


def _bump(session: Session, scope: AccessScope, cvr: str, user: Any, meeting_id: int, version: int,
          **values: Any) -> None:
    """Write `values` and the next version, comparing the version inside the UPDATE; raise MeetingConflict."""
    # If another save committed since the form loaded the meeting, no row matches and nothing is written.
    result = session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.cvr == cvr, scope.clause(Meeting.cvr), Meeting.version == version)
        .values(version=version + 1, updated_at=_now(), updated_by=_who(user), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        row = session.execute(select(Meeting.updated_by, Meeting.updated_at).where(
            scope.clause(Meeting.cvr), Meeting.cvr == cvr, Meeting.id == meeting_id)).first()
        raise MeetingNotFound() if row is None else MeetingConflict(row.updated_by, row.updated_at)


def _reloaded(session: Session, scope: AccessScope, cvr: str, meeting_id: int) -> dict[str, Any]:
    session.expire_all()
    meeting = _load(session, scope, cvr, meeting_id)
    assert meeting is not None
    return _snapshot(session, scope, cvr, meeting)


def create_meeting(scope: AccessScope, cvr: str, user: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Create a draft meeting of `cvr` (seen by SA only until published); raise MeetingError when refused."""
    with transaction() as session:
        _require_editor(session, scope, cvr, user)
        data = validate(raw)
        meeting = Meeting(cvr=cvr, held_at=data.held_at, kind=data.kind, title=data.title, published_at=None,
                          updated_at=_now(), updated_by=_who(user))
        session.add(meeting)
        session.flush()
        after = _snapshot(session, scope, cvr, meeting)
        audit.record(session, user, "create", ENTITY, meeting.id, cvr, None, _audit_view(after))
    return after


def update_meeting(scope: AccessScope, cvr: str, user: Any, meeting_id: Any, version: Any,
                   raw: Mapping[str, Any]) -> dict[str, Any]:
    """Save a meeting's date, type and title at `version`; raise MeetingConflict, MeetingNotFound, MeetingValidationError."""
    with transaction() as session:
        _require_editor(session, scope, cvr, user)
        meeting = _locked(session, scope, cvr, meeting_id, version)
        before = _snapshot(session, scope, cvr, meeting)
        data = validate(raw)
        _bump(session, scope, cvr, user, meeting.id, version, held_at=data.held_at, kind=data.kind, title=data.title)
        after = _reloaded(session, scope, cvr, meeting.id)
        audit.record(session, user, "update", ENTITY, meeting.id, cvr, _audit_view(before), _audit_view(after))
    return after


def _title_from(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return validators.one_line(stem)[: MAX_LENGTHS["title"]] or filename[: MAX_LENGTHS["title"]]


def add_documents(scope: AccessScope, cvr: str, user: Any, meeting_id: Any, version: Any, kind: Any,
                  files: Sequence[tuple[str | None, bytes | None]], max_bytes: int) -> dict[str, Any]:
    """Attach unpublished documents of `kind` to a meeting at `version`; every file is checked before any is stored.

    Raises MeetingError (UploadRefused naming the file) and stores nothing when any file is refused.
    """
    if kind not in DOCUMENT_KINDS:
        raise MeetingError("Vælg, om filerne er dagsorden, materiale eller referat.")
    if not files:
        raise MeetingError("Vælg mindst én fil.")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise MeetingError(f"Vælg højst {MAX_FILES_PER_UPLOAD} filer ad gangen.")
    with transaction() as session:
        _require_editor(session, scope, cvr, user)
        meeting = _locked(session, scope, cvr, meeting_id, version)
        checked = []
        for name, content in files:
            try:
                checked.append(check_upload(name, content, max_bytes))
            except UploadRefused as exc:
                shown = validators.one_line(str(name or ""))[:120] or "uden navn"
                raise UploadRefused(f"»{shown}«: {exc.message} Ingen af filerne er gemt.") from None
        before = _snapshot(session, scope, cvr, meeting)
        _bump(session, scope, cvr, user, meeting.id, version)
        store = get_store()
        for upload in checked:
            row = store.put(session, upload.content, upload.filename, cvr=cvr, menu=Menu.MOEDER.value,
                            content_type=upload.content_type)
            session.flush()
            session.add(MeetingDocument(meeting_id=meeting.id, kind=kind, title=_title_from(upload.filename),
                                        file_id=row.id, published_at=None))
        session.flush()
        after = _reloaded(session, scope, cvr, meeting.id)
        audit.record(session, user, "add_documents", ENTITY, meeting.id, cvr, _audit_view(before), _audit_view(after))
    return after


def _announcement_title(held_at: dt.datetime, kinds: Sequence[str]) -> str:
    """Return e.g. 'Referat fra mødet 12. mar. 2026 er offentliggjort' for what a publication made public."""
    day = long_date(held_at)
    if not kinds:
        return f"Mødet {day} er offentliggjort"
    labels = [DOCUMENT_KINDS[k].lower() for k in DOCUMENT_KINDS if k in kinds]
    named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " og " + labels[-1]
    named = named[0].upper() + named[1:]
    return f"{named} fra mødet {day} er offentliggjort"


def publish(scope: AccessScope, cvr: str, user: Any, meeting_id: Any, version: Any) -> dict[str, Any]:
    """Publish a meeting and its documents not yet published, and announce it; raise MeetingError when nothing is new."""
    with transaction() as session:
        _require_editor(session, scope, cvr, user)
        meeting = _locked(session, scope, cvr, meeting_id, version)
        before = _snapshot(session, scope, cvr, meeting)
        new_docs = [d for d in meeting.documents if d.published_at is None and d.withdrawn_at is None]
        meeting_too = meeting.published_at is None
        if not new_docs and not meeting_too:
            raise MeetingError("Der er intet nyt at offentliggøre: mødet og alle dets dokumenter er offentliggjort.")
        now = _now()
        _bump(session, scope, cvr, user, meeting.id, version, **({"published_at": now} if meeting_too else {}))
        if new_docs:
            session.execute(
                update(MeetingDocument)
                .where(MeetingDocument.id.in_([d.id for d in new_docs]), MeetingDocument.meeting_id == meeting.id,
                       MeetingDocument.published_at.is_(None), MeetingDocument.withdrawn_at.is_(None))
                .values(published_at=now)
                .execution_options(synchronize_session=False)
            )
        after = _reloaded(session, scope, cvr, meeting.id)
        published = [d for d in after["documents"] if d["id"] in {n.id for n in new_docs}]
        audit.record(session, user, "publish", ENTITY, meeting_id, cvr, _audit_view(before), _audit_view(after))
        year = _danish_year(after["held_at"])
        summary = after["title"]
        if published:
            summary += ": " + ", ".join(f"{d['kind_label']}: {d['title']}" for d in published)
        announce(session, user, cvr, Topic.MEETINGS,
                 _announcement_title(after["held_at"], sorted({d["kind"] for d in published})),
                 f"/moeder?cvr={cvr}&aar={year}", summary=summary, entity=ENTITY, entity_id=meeting_id)
    return after


def withdraw_document(scope: AccessScope, cvr: str, user: Any, document_id: Any, version: Any) -> dict[str, Any]:
    """Withdraw a document (customers no longer see it; the row and file stay for the audit) at its meeting's `version`."""
    with transaction() as session:
        _require_editor(session, scope, cvr, user)
        doc = get_document(scope, cvr, document_id)
        if doc is None:
            raise MeetingNotFound("Dokumentet")
        if doc["status"] == "withdrawn":
            raise MeetingError("Dokumentet er allerede trukket tilbage.")
        meeting = _locked(session, scope, cvr, doc["meeting_id"], version)
        before = _snapshot(session, scope, cvr, meeting)
        _bump(session, scope, cvr, user, meeting.id, version)
        session.execute(
            update(MeetingDocument)
            .where(MeetingDocument.id == doc["id"], MeetingDocument.meeting_id == meeting.id,
                   MeetingDocument.withdrawn_at.is_(None))
            .values(withdrawn_at=_now())
            .execution_options(synchronize_session=False)
        )
        after = _reloaded(session, scope, cvr, meeting.id)
        audit.record(session, user, "withdraw_document", ENTITY, meeting.id, cvr, _audit_view(before),
                     _audit_view(after))
    return doc


__all__ = [
    "DOCUMENT_KINDS", "MeetingConflict", "MeetingError", "MeetingNotFound", "MeetingValidationError",
    "add_documents", "all_meetings", "create_meeting", "form_values", "get_document", "get_meeting",
    "long_date", "meeting_history", "meeting_years", "meetings", "parse_year", "publish", "update_meeting",
    "validate", "withdraw_document",
]
