"""SA's writes on Kundeaftaler: agreement drafts and publishing, exemptions, add-ons, third-party tasks, annexes.

Every function takes the caller's `AccessScope`, the CVR in context and the acting user; it refuses
anyone but SA staff (`Action.EDIT_CONTENT`) even though the callbacks' wrapper already did, validates
with Danish messages per field, compares the version the form showed inside the UPDATE (optimistic
lock: a stale form writes nothing), and audits in the same transaction. A published agreement version
never changes: only drafts (`published_at` NULL) are updated, and editing starts a new draft copied from
the version in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from core.access import AccessDenied, AccessScope, require_action
from core.rights import Action, Menu
from core.topics import Topic
from core.formatting import da_date
from data import agreements, audit, validators
from data.announcements import announce
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.files import get_store
from data.models import AddOn, Agreement, Annex, Customer, Exemption, StoredFile, ThirdPartyTask
from data.uploads import check_upload
from data.validators import ascii_digits, valid_id
from data.workdays import danish_today

MAX_SECTIONS = 100
MAX_HEADING = 200
MAX_SECTION_BODY = 20_000
MAX_TITLE = 200
# A section starts with a line beginning with this mark; the rest of that line is its heading.
HEADING_MARK = "#"


class AgreementConflict(Refused):
    """Someone else saved the record after the form loaded it; nothing was written."""


class AgreementNotFound(Refused):
    """The record does not exist for this customer (or lies outside the scope)."""

    def __init__(self, what: str = "Aftalen") -> None:
        super().__init__(f"{what} findes ikke (længere). Genindlæs siden.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _who(user: Any) -> str:
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:200]


def _require(session: Session, scope: AccessScope, cvr: Any, user: Any) -> None:
    """Refuse anyone but SA staff, a CVR outside `scope`, and a customer that does not exist."""
    require_action(user, Action.EDIT_CONTENT)
    if not isinstance(cvr, str) or not scope.allows(cvr):
        raise AccessDenied()
    if session.scalar(select(Customer.cvr).where(scope.clause(Customer.cvr), Customer.cvr == cvr)) is None:
        raise Refused("Kunden findes ikke.")


# --- agreement drafts ------------------------------------------------------------------------------------


def sections_to_text(sections: list[dict[str, str]]) -> str:
    """Return sections as the draft form's text: each section a '# heading' line followed by its body."""
    parts = []
    for section in sections:
        heading = section.get("heading") or ""
        body = section.get("body") or ""
        parts.append(f"{HEADING_MARK} {heading}\n{body}".rstrip() if heading else body)
    return "\n\n".join(p for p in parts if p)


def text_to_sections(text: str) -> list[dict[str, str]]:
    """Return the ordered sections of the draft form's text (text before the first heading has none)."""
    sections: list[dict[str, Any]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(HEADING_MARK):
            sections.append({"heading": line.lstrip(HEADING_MARK).strip(), "lines": []})
        else:
            if not sections:
                sections.append({"heading": "", "lines": []})
            sections[-1]["lines"].append(line)
    result = []
    for section in sections:
        body = "\n".join(section["lines"]).strip()
        if section["heading"] or body:
            result.append({"heading": section["heading"], "body": body})
    return result


DRAFT_LABELS = {"title": "Titel", "valid_from": "Gældende fra", "sections": "Afsnit"}


@dataclass(frozen=True)
class DraftInput:
    """Validated values of the draft form."""

    title: str
    valid_from: dt.date | None
    sections: list[dict[str, str]]


def validate_draft(raw: Mapping[str, Any]) -> DraftInput:
    """Validate the draft form (title, valid_from, sections text); raise ValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"title": validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    title = validators.text_field(raw, "title", errors, label="Titel", max_length=MAX_TITLE,
                                  clean=validators.one_line)
    if not title and "title" not in errors:
        errors["title"] = validators.required_message("Titel")
    valid_from = validators.date_field(raw, "valid_from", errors, label="Gældende fra")
    text = validators.text_field(raw, "sections", errors, label="Afsnit",
                                 max_length=MAX_SECTIONS * (MAX_HEADING + MAX_SECTION_BODY), multiline=True)
    sections = text_to_sections(text) if "sections" not in errors else []
    if "sections" not in errors:
        if not sections:
            errors["sections"] = "Aftalen skal have mindst ét afsnit."
        elif len(sections) > MAX_SECTIONS:
            errors["sections"] = f"Aftalen må højst have {MAX_SECTIONS} afsnit."
        elif any(len(s["heading"]) > MAX_HEADING for s in sections):
            errors["sections"] = f"En overskrift må højst være {MAX_HEADING} tegn."
        elif any(len(s["body"]) > MAX_SECTION_BODY for s in sections):
            errors["sections"] = f"Et afsnit må højst være {MAX_SECTION_BODY} tegn."
        elif any(s["heading"] and not s["body"] for s in sections):
            empty = next(s["heading"] for s in sections if s["heading"] and not s["body"])
            errors["sections"] = f"Afsnittet »{empty[:60]}« har ingen tekst."
    if errors:
        raise ValidationError(errors)
    return DraftInput(title, valid_from, sections)


def _kind(key: Any) -> str:
    kind = agreements.AGREEMENT_KINDS.get(key) if isinstance(key, str) else None
    if kind is None:
        raise Refused("Ukendt aftaletype.")
    return kind


def _draft_view(row: Agreement) -> dict[str, Any]:
    return {"title": row.title, "version": row.version, "valid_from": row.valid_from,
            "sections": agreements.sections_of(row), "published_at": row.published_at}


def _next_version(session: Session, cvr: str, kind: str) -> str:
    labels = session.scalars(select(Agreement.version).where(Agreement.cvr == cvr, Agreement.kind == kind))
    numbers = [int(v) for v in labels if ascii_digits(v)]
    return str(max(numbers, default=0) + 1)


def start_draft(scope: AccessScope, cvr: str, user: Any, key: Any) -> dict[str, Any]:
    """Start a draft of agreement `key` of `cvr`, copied from the version in force; refuse a second draft."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        kind = _kind(key)
        if agreements.draft(scope, cvr, key, user) is not None:
            raise Refused("Der findes allerede en kladde til en ny version. Rediger eller slet den først.")
        current = agreements.agreement(scope, cvr, key)
        title = current["title"] if current else agreements.AGREEMENT_TITLES[key]
        values = dict(
            cvr=cvr, kind=kind, title=title, version=_next_version(session, cvr, kind),
            body="", sections=current["sections"] if current else [],
            valid_from=None,
            # A new version is unsigned: it becomes signed only through the approvals (data.approvals).
            signed_electronically=False,
            row_version=1, updated_at=_now(), updated_by=_who(user), published_by="",
        )
        # A Core insert: the ORM would put the column's default (published now) in place of an explicit None.
        result = session.execute(insert(Agreement.__table__).values(**values, published_at=None))
        row = session.scalar(select(Agreement).where(scope.clause(Agreement.cvr), Agreement.cvr == cvr,
                                                     Agreement.id == result.inserted_primary_key[0]))
        audit.record(session, user, "create", "agreement", row.id, cvr, None, _draft_view(row))
        draft_id = row.id
    result = agreements.draft(scope, cvr, key, user)
    assert result is not None and result["id"] == draft_id
    return result


def _load_draft(session: Session, scope: AccessScope, cvr: str, draft_id: Any) -> Agreement:
    row = None
    if valid_id(draft_id):
        row = session.scalar(select(Agreement).where(scope.clause(Agreement.cvr), Agreement.cvr == cvr,
                                                     Agreement.id == draft_id)
                             .execution_options(populate_existing=True))
    if row is None:
        raise AgreementNotFound("Kladden")
    if row.published_at is not None:
        # A published version never changes: editing it starts a new draft.
        raise Refused("Versionen er udgivet og kan ikke ændres. Start en ny version i stedet.")
    return row


def _locked_update(session: Session, model: Any, scope: AccessScope, cvr: str, record_id: int, version: Any,
                   values: dict[str, Any], what: str, *extra: Any) -> None:
    """UPDATE one row of `cvr` only if it is still at `version`; raise the refusal (nothing written) if not."""
    if not valid_id(version):
        raise AgreementConflict(conflict_message(what, None, None))
    result = session.execute(
        update(model)
        .where(model.id == record_id, model.cvr == cvr, scope.clause(model.cvr), model.row_version == version, *extra)
        .values(**values, row_version=version + 1, updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        row = session.execute(select(model.updated_by, model.updated_at).where(
            scope.clause(model.cvr), model.cvr == cvr, model.id == record_id)).first()
        if row is None:
            raise AgreementNotFound(what)
        raise AgreementConflict(conflict_message(what, row.updated_by, row.updated_at))
    session.expire_all()


def save_draft(scope: AccessScope, cvr: str, user: Any, draft_id: Any, version: Any,
               raw: Mapping[str, Any]) -> dict[str, Any]:
    """Save the draft form at `version`; raise ValidationError, AgreementConflict or a refusal (nothing written)."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        row = _load_draft(session, scope, cvr, draft_id)
        before = _draft_view(row)
        data = validate_draft(raw)
        _locked_update(session, Agreement, scope, cvr, row.id, version,
                       {"title": data.title, "valid_from": data.valid_from, "sections": data.sections,
                        "updated_by": _who(user)}, "Kladden", Agreement.published_at.is_(None))
        row = _load_draft(session, scope, cvr, row.id)
        audit.record(session, user, "update", "agreement", row.id, cvr, before, _draft_view(row))
        return {"id": row.id, "title": row.title, "version": row.version}


def _key_of(kind: str) -> str:
    return next(key for key, value in agreements.AGREEMENT_KINDS.items() if value == kind)


def publish_draft(scope: AccessScope, cvr: str, user: Any, draft_id: Any, version: Any) -> dict[str, Any]:
    """Publish the draft shown at `version` (a valid-from date required) and announce it to the customer."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        row = _load_draft(session, scope, cvr, draft_id)
        if row.valid_from is None:
            raise Refused("Angiv en dato i »Gældende fra«, før versionen udgives.")
        if not agreements.sections_of(row):
            raise Refused("Aftalen skal have mindst ét afsnit, før den udgives.")
        current = agreements.agreement(scope, cvr, _key_of(row.kind))
        if current is not None and current["valid_from"] is not None and row.valid_from <= current["valid_from"]:
            # An earlier date would never be in force: the version in force starts later.
            raise Refused(f"»Gældende fra« skal ligge efter {da_date(current['valid_from'])}, hvor den gældende "
                          f"version {current['version']} trådte i kraft.")
        before = _draft_view(row)
        now = _now()
        _locked_update(session, Agreement, scope, cvr, row.id, version,
                       {"published_at": now, "published_by": _who(user), "updated_by": _who(user)}, "Kladden",
                       Agreement.published_at.is_(None))
        row = session.scalar(select(Agreement).where(scope.clause(Agreement.cvr), Agreement.id == row.id))
        key = _key_of(row.kind)
        audit.record(session, user, "publish", "agreement", row.id, cvr, before, _draft_view(row))
        announce(session, user, cvr, Topic.AGREEMENTS,
                 f"{agreements.AGREEMENT_TITLES[key]}: ny version {row.version}",
                 f"/kundeaftaler?cvr={cvr}&tab={key}",
                 summary=f"Version {row.version} af {row.title} gælder fra {da_date(row.valid_from)}.",
                 entity="agreement", entity_id=row.id)
        return {"id": row.id, "title": row.title, "version": row.version, "valid_from": row.valid_from}


def discard_draft(scope: AccessScope, cvr: str, user: Any, draft_id: Any, version: Any) -> dict[str, Any]:
    """Delete the unpublished draft shown at `version`; a published version is never deleted."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        row = _load_draft(session, scope, cvr, draft_id)
        before = _draft_view(row)
        if not valid_id(version):
            raise AgreementConflict(conflict_message("Kladden", row.updated_by, row.updated_at))
        # Annexes of a draft would lose their agreement; drafts have none, but never delete one that has.
        if session.scalar(select(func.count()).select_from(Annex).where(Annex.agreement_id == row.id)):
            raise Refused("Kladden har bilag og kan ikke slettes.")
        result = session.execute(
            delete(Agreement).where(Agreement.id == row.id, Agreement.cvr == cvr, scope.clause(Agreement.cvr),
                                    Agreement.row_version == version, Agreement.published_at.is_(None))
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            session.rollback()
            raise AgreementConflict(conflict_message("Kladden", row.updated_by, row.updated_at))
        session.expunge(row)
        audit.record(session, user, "delete", "agreement", draft_id, cvr, before, None)
        return before


# --- exemptions, add-ons, third-party tasks ------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field of a record form: its label, kind (text, multiline, date, choice) and bounds."""

    label: str
    kind: str = "text"
    max_length: int = 200
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordKind:
    """A customer-owned record SA adds, edits and ends: its model, fields, end-date column and wording."""

    model: Any
    entity: str
    noun: str  # "Dispensationen": the Danish subject of messages
    fields: dict[str, Field]
    end: str  # the column that ends it
    name: str  # the field that names it in messages
    check: Callable[[dict[str, Any], dict[str, str]], None] | None = None


def _exemption_dates(values: dict[str, Any], errors: dict[str, str]) -> None:
    if values.get("expires_on") and values.get("granted_on") and values["expires_on"] < values["granted_on"]:
        errors["expires_on"] = "Udløbsdatoen kan ikke ligge før datoen, dispensationen er givet."


def _add_on_dates(values: dict[str, Any], errors: dict[str, str]) -> None:
    if values.get("end_date") and values.get("start_date") and values["end_date"] < values["start_date"]:
        errors["end_date"] = "Slutdatoen kan ikke ligge før startdatoen."


RECORDS: dict[str, RecordKind] = {
    "dispensationer": RecordKind(
        Exemption, "exemption", "Dispensationen",
        {"title": Field("Dispensation", required=True), "description": Field("Beskrivelse", "multiline", 4000),
         "granted_on": Field("Givet", "date", required=True), "expires_on": Field("Udløber", "date")},
        end="expires_on", name="title", check=_exemption_dates),
    "tilkoeb": RecordKind(
        AddOn, "add_on", "Tilkøbet",
        {"service": Field("Ydelse", required=True), "description": Field("Beskrivelse", "multiline", 4000),
         "start_date": Field("Fra", "date", required=True), "end_date": Field("Til", "date")},
        end="end_date", name="service", check=_add_on_dates),
    "tredjepart": RecordKind(
        ThirdPartyTask, "third_party_task", "Opgaven",
        {"area": Field("Område", "choice", required=True, choices=("Regnskab", "Løn")),
         "agency": Field("Styrelse", required=True), "contact": Field("Kontakt"),
         "note": Field("Bemærkning", "multiline", 4000), "end_date": Field("Ophører", "date")},
        end="end_date", name="agency"),
}


def record_kind(key: Any) -> RecordKind:
    """Return the record kind of tab `key`; raise Refused for any other value."""
    spec = RECORDS.get(key) if isinstance(key, str) else None
    if spec is None:
        raise Refused("Ukendt faneblad.")
    return spec


def validate_record(key: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a record form of tab `key`; return the column values or raise ValidationError (Danish)."""
    spec = record_kind(key)
    if not isinstance(raw, Mapping):
        raise ValidationError({spec.name: validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, field in spec.fields.items():
        if field.kind == "date":
            values[name] = validators.date_field(raw, name, errors, label=field.label, required=field.required)
            continue
        value = validators.text_field(raw, name, errors, label=field.label, max_length=field.max_length,
                                      clean=validators.trimmed if field.kind == "multiline" else validators.one_line,
                                      multiline=field.kind == "multiline")
        if field.required and not value and name not in errors:
            errors[name] = validators.required_message(field.label)
        if field.choices and value and value not in field.choices:
            errors[name] = f"Vælg {' eller '.join(field.choices)}."
        values[name] = value
    if spec.check is not None:
        spec.check(values, errors)
    if errors:
        raise ValidationError(errors)
    return values


def _record_view(spec: RecordKind, row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in spec.fields}


def _load_record(session: Session, spec: RecordKind, scope: AccessScope, cvr: str, record_id: Any) -> Any:
    row = None
    if valid_id(record_id):
        row = session.scalar(select(spec.model).where(scope.clause(spec.model.cvr), spec.model.cvr == cvr,
                                                      spec.model.id == record_id)
                             .execution_options(populate_existing=True))
    if row is None:
        raise AgreementNotFound(spec.noun)
    return row


def save_record(scope: AccessScope, cvr: str, user: Any, key: Any, record_id: Any, version: Any,
                raw: Mapping[str, Any]) -> dict[str, Any]:
    """Add (record_id None) or edit at `version` a record of tab `key`; return its values and id."""
    spec = record_kind(key)
    with transaction() as session:
        _require(session, scope, cvr, user)
        if record_id is None:
            values = validate_record(key, raw)
            row = spec.model(cvr=cvr, **values, row_version=1, updated_at=_now(), updated_by=_who(user))
            session.add(row)
            session.flush()
            audit.record(session, user, "create", spec.entity, row.id, cvr, None, _record_view(spec, row))
            return {"id": row.id, **values}
        row = _load_record(session, spec, scope, cvr, record_id)
        before = _record_view(spec, row)
        values = validate_record(key, raw)
        _locked_update(session, spec.model, scope, cvr, row.id, version, {**values, "updated_by": _who(user)},
                       spec.noun)
        row = _load_record(session, spec, scope, cvr, row.id)
        audit.record(session, user, "update", spec.entity, row.id, cvr, before, _record_view(spec, row))
        return {"id": row.id, **values}


def end_record(scope: AccessScope, cvr: str, user: Any, key: Any, record_id: Any, version: Any,
               on: dt.date | None = None) -> dict[str, Any]:
    """End a record of tab `key` shown at `version` as of `on` (today); an ended one stays listed as ended."""
    spec = record_kind(key)
    day = on or danish_today()
    with transaction() as session:
        _require(session, scope, cvr, user)
        row = _load_record(session, spec, scope, cvr, record_id)
        current = getattr(row, spec.end)
        if current is not None and current <= day:
            raise Refused(f"{spec.noun} er allerede afsluttet.")
        before = _record_view(spec, row)
        _locked_update(session, spec.model, scope, cvr, row.id, version, {spec.end: day, "updated_by": _who(user)},
                       spec.noun)
        row = _load_record(session, spec, scope, cvr, row.id)
        audit.record(session, user, "end", spec.entity, row.id, cvr, before, _record_view(spec, row))
        return {"id": row.id, **_record_view(spec, row)}


def get_record(scope: AccessScope, cvr: str, key: Any, record_id: Any) -> dict[str, Any] | None:
    """Return one record of tab `key` of `cvr` for the edit form (with its row_version), or None."""
    spec = RECORDS.get(key) if isinstance(key, str) else None
    if spec is None or not valid_id(record_id):
        return None
    row = get_session().scalar(select(spec.model).where(scope.clause(spec.model.cvr), spec.model.cvr == cvr,
                                                        spec.model.id == record_id)
                               .execution_options(populate_existing=True))
    if row is None:
        return None
    return {"id": row.id, "row_version": row.row_version, "ended": getattr(row, spec.end) is not None
            and getattr(row, spec.end) <= danish_today(), **_record_view(spec, row)}


# --- annexes ---------------------------------------------------------------------------------------------


ANNEX_TITLE_MAX = 200


def _annex_title(raw: Any) -> str:
    errors: dict[str, str] = {}
    title = validators.text_field({"title": raw}, "title", errors, label="Titel", max_length=ANNEX_TITLE_MAX,
                                  clean=validators.one_line)
    if not title and "title" not in errors:
        errors["title"] = validators.required_message("Titel")
    if errors:
        raise ValidationError(errors)
    return title


def _store_annex_file(session: Session, cvr: str, filename: Any, content: Any, max_bytes: int) -> StoredFile:
    # Checked before anything is stored: a refused file leaves neither a row nor a file behind.
    checked = check_upload(filename if isinstance(filename, str) else None,
                           content if isinstance(content, bytes) else None, max_bytes)
    stored = get_store().put(session, checked.content, checked.filename, cvr=cvr, menu=Menu.KUNDEAFTALER.value,
                             content_type=checked.content_type)
    stored.sha256 = checked.sha256
    session.flush()
    return stored


def _annex_view(row: Annex) -> dict[str, Any]:
    return {"title": row.title, "file_id": row.file_id, "revision": row.revision, "agreement_id": row.agreement_id,
            "superseded_at": row.superseded_at, "withdrawn_at": row.withdrawn_at}


def add_annex(scope: AccessScope, cvr: str, user: Any, title: Any, filename: Any, content: Any,
              max_bytes: int) -> dict[str, Any]:
    """Upload a new annex to the customer agreement in force of `cvr`; nothing is stored when a check fails."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        clean_title = _annex_title(title)
        current = agreements.agreement(scope, cvr, "kundeaftale")
        stored = _store_annex_file(session, cvr, filename, content, max_bytes)
        row = Annex(cvr=cvr, agreement_id=current["id"] if current else None, title=clean_title, file_id=stored.id,
                    revision=1, row_version=1, updated_at=_now(), updated_by=_who(user))
        session.add(row)
        session.flush()
        audit.record(session, user, "create", "annex", row.id, cvr, None, _annex_view(row))
        return {"id": row.id, "title": row.title, "file_id": stored.id}


def _load_annex(session: Session, scope: AccessScope, cvr: str, annex_id: Any) -> Annex:
    row = None
    if valid_id(annex_id):
        row = session.scalar(select(Annex).where(scope.clause(Annex.cvr), Annex.cvr == cvr, Annex.id == annex_id)
                             .execution_options(populate_existing=True))
    if row is None or row.superseded_at is not None or row.withdrawn_at is not None:
        raise AgreementNotFound("Bilaget")
    return row


def get_annex(scope: AccessScope, cvr: str, annex_id: Any) -> dict[str, Any] | None:
    """Return the current annex `annex_id` of `cvr` (id, title, row_version), or None."""
    try:
        row = _load_annex(get_session(), scope, cvr, annex_id)
    except AgreementNotFound:
        return None
    return {"id": row.id, "title": row.title, "row_version": row.row_version, "revision": row.revision}


def replace_annex(scope: AccessScope, cvr: str, user: Any, annex_id: Any, version: Any, filename: Any,
                  content: Any, max_bytes: int, title: Any = None) -> dict[str, Any]:
    """Replace an annex shown at `version` by a new revision with a new file; the old one and its file are kept."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        old = _load_annex(session, scope, cvr, annex_id)
        old_id = old.id
        clean_title = _annex_title(title) if title not in (None, "") else old.title
        before = _annex_view(old)
        now = _now()
        _locked_update(session, Annex, scope, cvr, old.id, version, {"superseded_at": now, "updated_by": _who(user)},
                       "Bilaget", Annex.superseded_at.is_(None), Annex.withdrawn_at.is_(None))
        stored = _store_annex_file(session, cvr, filename, content, max_bytes)
        new = Annex(cvr=cvr, agreement_id=before["agreement_id"], title=clean_title, file_id=stored.id,
                    revision=before["revision"] + 1, previous_id=old_id,
                    row_version=1, updated_at=now, updated_by=_who(user))
        session.add(new)
        session.flush()
        audit.record(session, user, "replace", "annex", new.id, cvr, before, _annex_view(new))
        return {"id": new.id, "title": new.title, "file_id": stored.id, "revision": new.revision}


def withdraw_annex(scope: AccessScope, cvr: str, user: Any, annex_id: Any, version: Any) -> dict[str, Any]:
    """Withdraw an annex shown at `version`: no longer listed for the customer, row and file kept."""
    with transaction() as session:
        _require(session, scope, cvr, user)
        row = _load_annex(session, scope, cvr, annex_id)
        row_id = row.id
        before = _annex_view(row)
        _locked_update(session, Annex, scope, cvr, row_id, version, {"withdrawn_at": _now(), "updated_by": _who(user)},
                       "Bilaget", Annex.superseded_at.is_(None), Annex.withdrawn_at.is_(None))
        row = session.scalar(select(Annex).where(scope.clause(Annex.cvr), Annex.id == row_id))
        audit.record(session, user, "withdraw", "annex", row_id, cvr, before, _annex_view(row))
        return {"id": row_id, "title": before["title"]}
