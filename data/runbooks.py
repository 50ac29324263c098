"""Scoped reads of a customer's runbooks (Drejebøger), their versions and what changed between two.

A runbook belongs to one accounting unit (Regnskab) or payroll group (Løn, Refusion) and one
section; its versions hold the content as JSON. Content from the database is normalised before
use, so a malformed version can neither break a page nor smuggle in another customer's files:
attachments resolve only to stored files of the same customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Literal, Mapping, Sequence
from urllib.parse import urlencode

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.access import AccessDenied, AccessScope
from core.rights import Menu
from core.topics import Topic
from data import audit, validators
from data.announcements import announce
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.files import get_store
from data.models import Customer, Runbook, RunbookVersion, StoredFile
from data.units import units_for_area, valid_unit_code
from data.uploads import UploadRefused, check_upload
from data.validators import ascii_digits

# Tab key (as in the URL) -> area name (as stored).
AREAS: dict[str, str] = {"regnskab": "Regnskab", "loen": "Løn", "refusion": "Refusion"}

SECTIONS: dict[str, tuple[str, ...]] = {
    "Regnskab": ("Finans", "Kreditor"),
    "Løn": ("Afrapportering", "Afstemning", "Løn", "mTime"),
    "Refusion": ("Afstemning", "Kontering", "Virklister", "Refusion"),
}

UNIT_LABELS = {"Regnskab": "Bogføringskreds", "Løn": "Løngruppe", "Refusion": "Løngruppe"}

POINT_FIELDS: dict[str, str] = {"deviation": "Afvigelse", "description": "Beskrivelse", "file_ids": "Vedhæftninger"}
TASK_FIELDS: dict[str, str] = {"task": "Opgave", "description": "Beskrivelse", "frequency": "Frekvens",
                               "file_ids": "Vedhæftninger"}

# Bounds so one stored version cannot make a page arbitrarily large.
MAX_ITEMS = 500
MAX_TEXT = 10_000
MAX_FILES = 50


def parse_version(value: Any) -> int | None:
    """Return `value` as a version number (1..1_000_000), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if ascii_digits(value.strip() if isinstance(value, str) else value) and len(value.strip()) <= 7:
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 1_000_000:
        return value
    return None


# --- content normalisation -------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)[:MAX_TEXT]


def _file_ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    ids: list[int] = []
    for item in value[:MAX_FILES]:
        if isinstance(item, bool):
            continue
        if ascii_digits(item):
            item = int(item)
        if isinstance(item, int) and item > 0 and item not in ids:
            ids.append(item)
    return ids


def normalize_content(raw: Any) -> dict[str, list[dict[str, Any]]]:
    """Return runbook content as {'points': [...], 'tasks': [...]} with every field present and typed."""
    raw = raw if isinstance(raw, dict) else {}
    out: dict[str, list[dict[str, Any]]] = {"points": [], "tasks": []}
    for key, fields in (("points", POINT_FIELDS), ("tasks", TASK_FIELDS)):
        items = raw.get(key)
        if not isinstance(items, list):
            continue
        for item in items[:MAX_ITEMS]:
            if not isinstance(item, dict):
                continue
            out[key].append({f: (_file_ids(item.get(f)) if f == "file_ids" else _text(item.get(f))) for f in fields})
    return out


# --- the diff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of a point or task that differs between two versions."""

    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ItemChange:
    """A point or task added, removed or changed between two versions."""

    kind: Literal["added", "removed", "changed"]
    name: str
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class RunbookDiff:
    """What changed from version `from_version` to `to_version`, for points and for tasks."""

    from_version: int
    to_version: int
    points: tuple[ItemChange, ...] = ()
    tasks: tuple[ItemChange, ...] = ()
    unchanged_points: int = 0
    unchanged_tasks: int = 0
    # Why the `to_version` was saved (empty for versions from before the back-office).
    change_note: str = ""

    @property
    def is_empty(self) -> bool:
        """Tell whether the two versions have the same points and tasks."""
        return not self.points and not self.tasks


def _keyed(items: list[dict[str, Any]], name_field: str) -> dict[tuple[str, int], dict[str, Any]]:
    # Items are matched by name; repeated names are matched in order of appearance.
    seen: dict[str, int] = {}
    keyed: dict[tuple[str, int], dict[str, Any]] = {}
    for item in items:
        name = item[name_field].strip()
        n = seen.get(name, 0)
        seen[name] = n + 1
        keyed[(name, n)] = item
    return keyed


def _diff_items(old: list[dict[str, Any]], new: list[dict[str, Any]], name_field: str,
                labels: dict[str, str]) -> tuple[tuple[ItemChange, ...], int]:
    old_k, new_k = _keyed(old, name_field), _keyed(new, name_field)
    changes: list[ItemChange] = []
    unchanged = 0
    for key, item in new_k.items():
        before = old_k.get(key)
        if before is None:
            changes.append(ItemChange("added", key[0], None, item))
            continue
        fields = tuple(
            FieldChange(f, labels[f], before.get(f), item.get(f))
            for f in labels
            if f != name_field and before.get(f) != item.get(f)
        )
        if fields:
            changes.append(ItemChange("changed", key[0], before, item, fields))
        else:
            unchanged += 1
    for key, item in old_k.items():
        if key not in new_k:
            changes.append(ItemChange("removed", key[0], item, None))
    return tuple(changes), unchanged


def diff_contents(old: Any, new: Any, from_version: int = 0, to_version: int = 0) -> RunbookDiff:
    """Return what changed between two runbook contents (points by Afvigelse, tasks by Opgave)."""
    old_c, new_c = normalize_content(old), normalize_content(new)
    points, same_points = _diff_items(old_c["points"], new_c["points"], "deviation", POINT_FIELDS)
    tasks, same_tasks = _diff_items(old_c["tasks"], new_c["tasks"], "task", TASK_FIELDS)
    return RunbookDiff(from_version, to_version, points, tasks, same_points, same_tasks)


# --- scoped reads ----------------------------------------------------------------------------


def _runbook(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str) -> Runbook | None:
    if area not in SECTIONS or section not in SECTIONS[area] or not valid_unit_code(unit_code):
        return None
    stmt = select(Runbook).where(
        scope.clause(Runbook.cvr), Runbook.cvr == cvr, Runbook.area == area,
        Runbook.unit_code == unit_code, Runbook.section == section,
    )
    return get_session().scalar(stmt)


def _version_meta(v: RunbookVersion) -> dict[str, Any]:
    return {"version": v.version, "changed_at": v.changed_at, "changed_by": v.changed_by,
            "change_note": v.change_note or ""}


def attachments(scope: AccessScope, cvr: str, file_ids: list[int]) -> dict[int, str]:
    """Return {file id: file name} for those of `file_ids` that are stored files of `cvr` in `scope`."""
    ids = sorted({i for i in file_ids if isinstance(i, int) and not isinstance(i, bool)})
    if not ids:
        return {}
    stmt = select(StoredFile.id, StoredFile.filename).where(
        StoredFile.id.in_(ids), StoredFile.cvr == cvr, scope.clause(StoredFile.cvr)
    )
    return {fid: name for fid, name in get_session().execute(stmt)}


def _all_file_ids(*contents: dict[str, list[dict[str, Any]]]) -> list[int]:
    return [fid for c in contents for key in ("points", "tasks") for item in c[key] for fid in item["file_ids"]]


def current_runbook(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str) -> dict[str, Any] | None:
    """Return the current version of one runbook of `cvr` inside `scope`, with its history; None if none."""
    book = _runbook(scope, cvr, area, unit_code, section)
    if book is None:
        return None
    versions = sorted(book.versions, key=lambda v: v.version)
    if not versions:
        return None
    current = next((v for v in versions if v.version == book.current_version), versions[-1])
    content = normalize_content(current.content)
    return {
        "area": book.area,
        "unit_code": book.unit_code,
        "section": book.section,
        **_version_meta(current),
        "content": content,
        "files": attachments(scope, cvr, _all_file_ids(content)),
        "versions": [_version_meta(v) for v in reversed(versions)],
    }


def version_diff(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str,
                 from_version: int, to_version: int) -> tuple[RunbookDiff, dict[int, str]] | None:
    """Return the diff between two versions of one runbook of `cvr` in `scope` and their file names."""
    # None when the runbook or either version does not exist for this customer.
    book = _runbook(scope, cvr, area, unit_code, section)
    if book is None:
        return None
    by_number = {v.version: v for v in book.versions}
    if from_version not in by_number or to_version not in by_number:
        return None
    old = normalize_content(by_number[from_version].content)
    new = normalize_content(by_number[to_version].content)
    files = attachments(scope, cvr, _all_file_ids(old, new))
    # Compare only attachments this customer can see: a foreign or missing file is no change to show.
    for content in (old, new):
        for key in ("points", "tasks"):
            for item in content[key]:
                item["file_ids"] = [fid for fid in item["file_ids"] if fid in files]
    result = diff_contents(old, new, from_version, to_version)
    return replace(result, change_note=by_number[to_version].change_note or ""), files


# --- editing (SA only: the callbacks are guarded by Action.EDIT_CONTENT) ----------------------------

ENTITY = "runbook"
ITEM_KINDS = ("points", "tasks")
ITEM_FIELDS: dict[str, dict[str, str]] = {
    "points": {f: label for f, label in POINT_FIELDS.items() if f != "file_ids"},
    "tasks": {f: label for f, label in TASK_FIELDS.items() if f != "file_ids"},
}
# The field that names an item (required; the diff matches items by it).
NAME_FIELD = {"points": "deviation", "tasks": "task"}
ITEM_MAX_LENGTHS = {"deviation": 200, "task": 200, "frequency": 100, "description": 4000}
MULTILINE_FIELDS = frozenset({"description"})
NOTE_MAX = 1000
NOTE_LABEL = "Ændringsnote"


class RunbookError(Refused):
    """A runbook save that was refused and wrote nothing; `message` is Danish and safe to show."""


class RunbookValidationError(ValidationError, RunbookError):
    """Fields of the runbook form are invalid: `errors` maps 'note' or '<kind>-<index>-<field>' to a message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors, "Drejebogen er ikke gemt. Ret de markerede felter.")


class RunbookNotFound(RunbookError):
    """The runbook's unit is not this customer's, or the runbook is gone."""

    def __init__(self) -> None:
        super().__init__("Drejebogen findes ikke (længere) for denne kunde. Genindlæs siden.")


class RunbookConflict(RunbookError):
    """Someone saved the runbook after this form was opened: nothing was written."""

    def __init__(self, changed_by: str | None = None, changed_at: dt.datetime | None = None):
        super().__init__(conflict_message("Drejebogen", changed_by, changed_at))


@dataclass(frozen=True)
class NewAttachment:
    """A file uploaded for item `index` of `kind` ('points' or 'tasks'), checked and stored only on save."""

    kind: str
    index: int
    filename: Any
    content: bytes | None


def item_error_key(kind: str, index: int, field: str) -> str:
    """Return the error key of one item field: '<kind>-<index>-<field>' (field 'files' or 'upload' too)."""
    return f"{kind}-{index}-{field}"


def runbook_path(cvr: str, area: str, unit_code: str, section: str) -> str:
    """Return the portal path of one runbook (as the page's submenu links to it)."""
    tab = next(key for key, name in AREAS.items() if name == area)
    return "/drejeboeger?" + urlencode({"cvr": cvr, "fane": tab, "enhed": unit_code, "afsnit": section})


def _unit(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str) -> dict[str, str] | None:
    if area not in SECTIONS or section not in SECTIONS[area] or not valid_unit_code(unit_code):
        return None
    return next((u for u in units_for_area(scope, cvr, area) if u["code"] == unit_code), None)


def editable_runbook(scope: AccessScope, cvr: str, area: str, unit_code: str,
                     section: str) -> dict[str, Any] | None:
    """Return what the editor opens with: the unit, the current version (0: none yet), content, file names."""
    # None when the unit is not one of this customer's (in `scope`).
    unit = _unit(scope, cvr, area, unit_code, section)
    if unit is None:
        return None
    runbook = _runbook(scope, cvr, area, unit_code, section)
    book = current_runbook(scope, cvr, area, unit_code, section)
    content = book["content"] if book else {"points": [], "tasks": []}
    return {"unit": unit, "version": runbook.current_version if runbook else 0, "content": content,
            "files": book["files"] if book else {}}


def _validate_items(raw: Any, errors: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    raw = raw if isinstance(raw, Mapping) else {}
    out: dict[str, list[dict[str, Any]]] = {"points": [], "tasks": []}
    for kind in ITEM_KINDS:
        items = raw.get(kind) or []
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            errors["note"] = f"Drejebogen kan højst have {MAX_ITEMS} punkter og {MAX_ITEMS} opgaver."
            continue
        for index, item in enumerate(items):
            item = item if isinstance(item, Mapping) else {}
            clean: dict[str, Any] = {}
            for field, label in ITEM_FIELDS[kind].items():
                key = item_error_key(kind, index, field)
                values = {key: item.get(field)}
                multiline = field in MULTILINE_FIELDS
                clean[field] = validators.text_field(
                    values, key, errors, label=label, max_length=ITEM_MAX_LENGTHS[field], multiline=multiline,
                    clean=validators.trimmed if multiline else validators.one_line)
            name_key = item_error_key(kind, index, NAME_FIELD[kind])
            if not clean[NAME_FIELD[kind]] and name_key not in errors:
                errors[name_key] = validators.required_message(ITEM_FIELDS[kind][NAME_FIELD[kind]])
            file_ids = item.get("file_ids")
            if file_ids is None:
                file_ids = []
            if not isinstance(file_ids, list) or len(file_ids) > MAX_FILES or not all(
                    validators.valid_id(f) for f in file_ids):
                errors[item_error_key(kind, index, "files")] = "Ugyldigt valg af vedhæftninger."
                file_ids = []
            clean["file_ids"] = list(dict.fromkeys(file_ids))
            out[kind].append(clean)
    return out


def _check_files(scope: AccessScope, cvr: str, content: dict[str, list[dict[str, Any]]],
                 errors: dict[str, str]) -> None:
    # Only this customer's stored files may be attached: a forged id of another customer's file is refused.
    known = attachments(scope, cvr, _all_file_ids(content))
    for kind in ITEM_KINDS:
        for index, item in enumerate(content[kind]):
            if any(fid not in known for fid in item["file_ids"]):
                errors[item_error_key(kind, index, "files")] = "En vedhæftning findes ikke for denne kunde."


def _check_uploads(uploads: Sequence[NewAttachment], content: dict[str, list[dict[str, Any]]], max_bytes: int,
                   errors: dict[str, str]) -> list[tuple[NewAttachment, Any]]:
    checked = []
    for upload in uploads:
        if upload.kind not in ITEM_KINDS or not isinstance(upload.index, int) or isinstance(upload.index, bool) \
                or not 0 <= upload.index < len(content[upload.kind]):
            errors["note"] = "En vedhæftning hører ikke til noget punkt. Genindlæs siden."
            continue
        key = item_error_key(upload.kind, upload.index, "upload")
        try:
            checked.append((upload, check_upload(upload.filename if isinstance(upload.filename, str) else None,
                                                 upload.content, max_bytes)))
        except UploadRefused as exc:
            errors[key] = exc.message
        else:
            if len(content[upload.kind][upload.index]["file_ids"]) >= MAX_FILES:
                errors[key] = f"Højst {MAX_FILES} vedhæftninger pr. punkt."
    return checked


def _visible(scope: AccessScope, cvr: str, content: dict[str, list[dict[str, Any]]] | None) -> Any:
    # The content as the editor shows it: attachments that are not this customer's files are left out.
    if content is None:
        return None
    known = attachments(scope, cvr, _all_file_ids(content))
    return {kind: [{**item, "file_ids": [f for f in item["file_ids"] if f in known]} for item in content[kind]]
            for kind in ITEM_KINDS}


def _who(user: Any) -> str:
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:200]


def _require_customer(scope: AccessScope, cvr: str) -> None:
    if not isinstance(cvr, str) or not scope.allows(cvr):
        raise AccessDenied()
    if get_session().scalar(select(Customer.cvr).where(scope.clause(Customer.cvr), Customer.cvr == cvr)) is None:
        raise RunbookError("Kunden findes ikke.")


def _latest(session: Any, runbook_id: int) -> RunbookVersion | None:
    return session.scalar(select(RunbookVersion).where(RunbookVersion.runbook_id == runbook_id)
                          .order_by(RunbookVersion.version.desc()).limit(1))


def save_runbook(scope: AccessScope, cvr: str, user: Any, area: str, unit_code: str, section: str, version: Any,
                 raw_content: Any, note: Any, uploads: Sequence[NewAttachment] = (), *,
                 max_bytes: int) -> dict[str, Any]:
    """Save a new version of one runbook of `cvr` opened at `version` (0: none yet), with a change note.

    Validates every item and the note (Danish messages per field), checks and stores the uploads, compares
    `version` with Runbook.current_version inside the UPDATE (a stale form raises RunbookConflict and writes
    nothing), and audits and announces the change in the same transaction. Returns the new version's number.
    """
    with transaction() as session:
        _require_customer(scope, cvr)
        unit = _unit(scope, cvr, area, unit_code, section)
        if unit is None:
            raise RunbookNotFound()
        if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version < 2**31:
            raise RunbookConflict()
        runbook = _runbook(scope, cvr, area, unit_code, section)
        latest = _latest(session, runbook.id) if runbook is not None else None
        if (runbook is None) != (version == 0) or (runbook is not None and runbook.current_version != version):
            raise RunbookConflict(latest.changed_by if latest else None, latest.changed_at if latest else None)
        errors: dict[str, str] = {}
        note_text = validators.text_field({"note": note}, "note", errors, label=NOTE_LABEL, max_length=NOTE_MAX,
                                          multiline=True)
        if not note_text and "note" not in errors:
            errors["note"] = "Skriv kort, hvad der er ændret: noten vises i drejebogens historik."
        content = _validate_items(raw_content, errors)
        _check_files(scope, cvr, content, errors)
        checked = _check_uploads(uploads, content, max_bytes, errors)
        if errors:
            raise RunbookValidationError(errors)
        before = normalize_content(next((v.content for v in runbook.versions if v.version == version), None)) \
            if runbook is not None else None
        if _visible(scope, cvr, before) == content and not checked:
            raise RunbookError("Der er ingen ændringer at gemme.")
        # Every check passed: only now do the files reach the store.
        store = get_store()
        for upload, ok in checked:
            row = store.put(session, ok.content, ok.filename, cvr=cvr, menu=Menu.DREJEBOEGER.value,
                            content_type=ok.content_type)
            session.flush()
            content[upload.kind][upload.index]["file_ids"].append(row.id)
        if runbook is None:
            runbook = Runbook(cvr=cvr, area=area, unit_code=unit_code, section=section, current_version=1)
            session.add(runbook)
            try:
                session.flush()
            except IntegrityError:
                # Another SA user created the same runbook a moment ago.
                session.rollback()
                raise RunbookConflict() from None
            number = 1
        else:
            number = max(v.version for v in runbook.versions) + 1
            # The version the form opened is compared inside the UPDATE: a save committed in between
            # leaves no row to match, and nothing is written.
            result = session.execute(
                update(Runbook)
                .where(Runbook.id == runbook.id, Runbook.cvr == cvr, scope.clause(Runbook.cvr),
                       Runbook.current_version == version)
                .values(current_version=number)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                session.rollback()
                fresh = _latest(session, runbook.id)
                raise RunbookConflict(fresh.changed_by if fresh else None, fresh.changed_at if fresh else None)
        session.add(RunbookVersion(runbook_id=runbook.id, version=number, content=content, changed_by=_who(user),
                                   change_note=note_text))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise RunbookConflict() from None
        audit.record(session, user, "create" if number == 1 else "update", ENTITY, runbook.id, cvr,
                     {"version": version, "content": before} if before is not None else None,
                     {"version": number, "content": content, "change_note": note_text,
                      "area": area, "unit_code": unit_code, "section": section})
        title = f"Drejebog ændret: {UNIT_LABELS[area]} {unit['code']} {unit['name']} – {section}"
        announce(session, user, cvr, Topic.RUNBOOKS, title, runbook_path(cvr, area, unit_code, section),
                 summary=note_text, entity=ENTITY, entity_id=runbook.id)
        runbook_id = runbook.id
    return {"id": runbook_id, "version": number, "change_note": note_text}


__all__ = [
    "AREAS",
    "NewAttachment",
    "RunbookConflict",
    "RunbookError",
    "RunbookNotFound",
    "RunbookValidationError",
    "editable_runbook",
    "item_error_key",
    "runbook_path",
    "save_runbook",
    "FieldChange",
    "ItemChange",
    "POINT_FIELDS",
    "RunbookDiff",
    "SECTIONS",
    "TASK_FIELDS",
    "UNIT_LABELS",
    "attachments",
    "current_runbook",
    "diff_contents",
    "normalize_content",
    "parse_version",
    "version_diff",
]
