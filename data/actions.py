"""Scoped reads and SA's writes of a customer's action list (Aktionsliste): filters, export rows, history.

Every function takes the caller's `AccessScope` and the CVR in context and filters in SQL, so a forged
item, unit or meeting id of another customer finds nothing. Writes (SA staff only: the callbacks are
guarded by Action.EDIT_CONTENT) validate every field with Danish messages, compare the version the form
loaded inside the UPDATE (optimistic locking), and in the same transaction keep the item's history
(which fields changed from what to what), write an audit row and announce the change (Topic.ACTIONS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from core.access import AccessDenied, AccessScope
from core.formatting import da_date
from core.topics import Topic
from data import audit, validators
from data.announcements import announce
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.models import AccountingUnit, ActionItem, ActionItemHistory, Customer, Meeting, PayrollGroup
from data.units import ACCOUNTING_KIND, PAYROLL_KIND, unit_options, valid_unit_code
from data.validators import ascii_digits, valid_id
from data.workdays import DANISH_TZ, danish_today


AREA_ALL = "Alle"
AREAS = ("Regnskab", "Løn")
AREA_CHOICES = (AREA_ALL, "Løn", "Regnskab")
# The unit filter's "every unit" choice: a value no unit code can have. Not "", which is the value
# of dbc.Select's own disabled placeholder option (a second "Alle" nobody can choose).
UNIT_ALL = "*"

# Both lines of an item, in the order the export writes them.
EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("id", "Id"),
    ("area", "Område"),
    ("unit", "Bogføringskreds/løngruppe"),
    ("subject", "Emne"),
    ("deadline", "Deadline"),
    ("owner", "Ansvarlig"),
    ("process_area", "Procesområde"),
    ("status", "Status"),
    ("overdue", "Deadline overskredet"),
    ("description", "Beskrivelse"),
    ("status_detail", "Detaljeret status"),
    ("meeting", "Møde"),
]

ENTITY = "action_item"
# The statuses SA picks while an item is open; closing is its own step and sets CLOSED_STATUS.
OPEN_STATUSES = ("Åben", "I gang", "Afventer kunden", "Afventer Statens Administration")
CLOSED_STATUS = "Afsluttet"
REOPENED_STATUS = "Åben"
# Bounds match the columns (the Text ones are bounded here so one form cannot fill the disk).
MAX_LENGTHS = {"subject": 300, "owner": 200, "process_area": 100, "description": 4000, "status_detail": 4000}
# Every field of both lines, in the order the form and the history show them.
FIELD_LABELS: dict[str, str] = {
    "area": "Område",
    "unit": "Bogføringskreds/løngruppe",
    "subject": "Emne",
    "deadline": "Deadline",
    "owner": "Ansvarlig",
    "process_area": "Procesområde",
    "status": "Status",
    "description": "Beskrivelse",
    "status_detail": "Detaljeret status",
    "meeting": "Møde",
    "closed": "Afsluttet",
}
# Deadlines outside these years are typing mistakes, and bound what a forged value can ask for.
MIN_YEAR, MAX_YEAR = 2000, 2100


class FilterError(ValueError):
    """Raised when an action-list filter value is not one the page offers."""


def parse_area(value: Any) -> str | None:
    """Return the area to filter on (None = every area); raise FilterError for an unknown one."""
    if value in (None, "", AREA_ALL):
        return None
    if isinstance(value, str) and value in AREAS:
        return value
    raise FilterError("Ukendt område. Vælg Alle, Løn eller Regnskab.")


def parse_show_closed(value: Any) -> bool:
    """Return whether closed items are shown, from the checklist value (a list) or a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return "vis" in value
    if value is None:
        return False
    raise FilterError("Ugyldig værdi for »Vis afsluttede«.")


def parse_unit(value: Any) -> str | None:
    """Return the unit code to filter on (None = every unit); raise FilterError for a malformed one."""
    if value in (None, "", UNIT_ALL):
        return None
    if valid_unit_code(value):
        return value
    raise FilterError("Ukendt bogføringskreds / løngruppe. Vælg en på listen eller Alle.")


def today() -> dt.date:
    """Return today's date in Denmark (deadlines are Danish calendar dates)."""
    return danish_today()


def _shown_unit_code():
    # The unit an item is listed under: a Løn item's payroll group, else its accounting unit (or,
    # lacking one, its payroll group). The unit filter matches exactly what the column shows.
    return case((and_(ActionItem.area == "Løn", PayrollGroup.code.is_not(None)), PayrollGroup.code),
                else_=func.coalesce(AccountingUnit.code, PayrollGroup.code))


def _meeting_label(title: str | None, held_at: dt.datetime | None) -> str:
    if not title:
        return ""
    return f"{title} ({da_date(held_at.astimezone(DANISH_TZ).date())})" if held_at else title


def _unit_label(area: str, au_code: str | None, au_name: str | None, pg_code: str | None,
                pg_name: str | None) -> str:
    if area == "Løn" and pg_code:
        return f"{pg_code} {pg_name}"
    if au_code:
        return f"{au_code} {au_name}"
    if pg_code:
        return f"{pg_code} {pg_name}"
    return ""


def _items_stmt(scope: AccessScope, cvr: str):
    # The units and the meeting are joined on the item's own CVR, so an id of another customer
    # matches nothing (and the automatic scope filters each joined model as well).
    return (
        select(ActionItem, AccountingUnit.code, AccountingUnit.name, PayrollGroup.code, PayrollGroup.name,
               Meeting.title, Meeting.held_at)
        .outerjoin(AccountingUnit, (AccountingUnit.id == ActionItem.accounting_unit_id)
                   & (AccountingUnit.cvr == ActionItem.cvr))
        .outerjoin(PayrollGroup, (PayrollGroup.id == ActionItem.payroll_group_id)
                   & (PayrollGroup.cvr == ActionItem.cvr))
        # A draft meeting is SA's until published: the link shows only once the meeting is out.
        .outerjoin(Meeting, (Meeting.id == ActionItem.meeting_id) & (Meeting.cvr == ActionItem.cvr)
                   & Meeting.published_at.is_not(None))
        .where(scope.clause(ActionItem.cvr), ActionItem.cvr == cvr)
        .execution_options(populate_existing=True)
    )


def _row(item: ActionItem, au_code: str | None, au_name: str | None, pg_code: str | None, pg_name: str | None,
         meeting_title: str | None, meeting_held_at: dt.datetime | None, on: dt.date) -> dict[str, Any]:
    unit_code = (pg_code if item.area == "Løn" and pg_code else au_code or pg_code) or ""
    return {
        "id": item.id,
        "area": item.area,
        "unit": _unit_label(item.area, au_code, au_name, pg_code, pg_name),
        "unit_code": unit_code,
        "subject": item.subject,
        "deadline": item.deadline,
        "owner": item.owner,
        "process_area": item.process_area,
        "status": item.status,
        "is_closed": item.is_closed,
        "overdue": bool(item.deadline and not item.is_closed and item.deadline < on),
        "description": item.description,
        "status_detail": item.status_detail,
        "meeting_id": item.meeting_id if meeting_title else None,
        "meeting": _meeting_label(meeting_title, meeting_held_at),
        "meeting_year": meeting_held_at.astimezone(DANISH_TZ).year if meeting_title and meeting_held_at else None,
        "version": item.version,
        "updated_at": item.updated_at,
        "updated_by": item.updated_by,
    }


def action_items(scope: AccessScope, cvr: str, area: str | None = None, show_closed: bool = False,
                 on: dt.date | None = None, unit: str | None = None) -> list[dict[str, Any]]:
    """Return the action items of `cvr` inside `scope`, filtered by area, closed state and unit code."""
    # Each row carries both lines (first: id, area, unit, subject, deadline, owner, process area,
    # status; second: description, detailed status and the meeting it was agreed at) and `overdue`:
    # an open item whose deadline has passed. Ordered by deadline (none last), then id.
    on = on or today()
    stmt = _items_stmt(scope, cvr)
    if area is not None:
        stmt = stmt.where(ActionItem.area == area)
    if not show_closed:
        stmt = stmt.where(ActionItem.is_closed.is_(False))
    if unit is not None:
        stmt = stmt.where(_shown_unit_code() == unit)
    rows = [_row(*found, on) for found in get_session().execute(stmt)]
    rows.sort(key=lambda r: (r["deadline"] is None, r["deadline"] or dt.date.min, r["id"]))
    return rows


def get_action_item(scope: AccessScope, cvr: str, item_id: Any) -> dict[str, Any] | None:
    """Return one action item of `cvr` by id (both lines, version), or None when it is not this customer's."""
    if not valid_id(item_id):
        return None
    found = get_session().execute(_items_stmt(scope, cvr).where(ActionItem.id == item_id)).first()
    return _row(*found, today()) if found is not None else None


def unit_choices(scope: AccessScope, cvr: str) -> list[dict[str, str]]:
    """Return the customer's units from Stamdata for the form: value (code), label and the area it serves."""
    area_of_kind = {ACCOUNTING_KIND: "Regnskab", PAYROLL_KIND: "Løn"}
    return [{"value": u["code"], "label": f"{u['kind']} {u['code']} – {u['name']}", "area": area_of_kind[u["kind"]]}
            for u in unit_options(scope, cvr)]


def meeting_choices(scope: AccessScope, cvr: str) -> list[dict[str, str]]:
    """Return the customer's meetings an item can be linked to, newest first: value (id as text) and label."""
    stmt = (select(Meeting.id, Meeting.title, Meeting.held_at)
            .where(scope.clause(Meeting.cvr), Meeting.cvr == cvr)
            .order_by(Meeting.held_at.desc(), Meeting.id.desc()))
    return [{"value": str(mid), "label": _meeting_label(title, held)} for mid, title, held in get_session().execute(stmt)]


def item_history(scope: AccessScope, cvr: str, item_id: Any) -> list[dict[str, Any]]:
    """Return the history of one action item of `cvr`, newest first: at, user, action and changed fields."""
    if not valid_id(item_id):
        return []
    # Reached through the item joined on its own CVR, so a history row can never surface under
    # another customer's item.
    stmt = (
        select(ActionItemHistory)
        .join(ActionItem, (ActionItem.id == ActionItemHistory.action_item_id)
              & (ActionItem.cvr == ActionItemHistory.cvr))
        .where(scope.clause(ActionItemHistory.cvr), ActionItemHistory.cvr == cvr,
               ActionItemHistory.action_item_id == item_id)
        .order_by(ActionItemHistory.at.desc(), ActionItemHistory.id.desc())
        .limit(audit.HISTORY_LIMIT)
    )
    return [{"at": h.at, "user": h.changed_by, "action": h.action, "version": h.version,
             "changes": list(h.changes or [])} for h in get_session().scalars(stmt)]


# --- writes ---------------------------------------------------------------------------------------


class ActionError(Refused):
    """An action-item write that was refused and wrote nothing; `message` is Danish and safe to show."""


class ActionValidationError(ValidationError, ActionError):
    """One or more fields are invalid; `errors` maps field name to a Danish message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors, "Aktionspunktet er ikke gemt. Ret de markerede felter.")


class ActionNotFound(ActionError):
    """The item does not exist for this customer (or lies outside the scope)."""

    def __init__(self) -> None:
        super().__init__("Aktionspunktet findes ikke (længere). Genindlæs siden.")


class ActionClosed(ActionError):
    """A closed item is edited only after it is reopened."""

    def __init__(self) -> None:
        super().__init__("Aktionspunktet er afsluttet. Genåbn det, før du retter i det.")


class ActionConflict(ActionError):
    """Someone else saved the item after the form loaded it; nothing was written."""

    def __init__(self, updated_by: str | None, updated_at: dt.datetime | None):
        super().__init__(conflict_message("Aktionspunktet", updated_by, updated_at))


@dataclass(frozen=True)
class ActionInput:
    """Validated form values, with the unit and meeting resolved on the customer in SQL."""

    area: str
    accounting_unit_id: int | None
    payroll_group_id: int | None
    unit: str  # the label the page shows
    subject: str
    deadline: dt.date | None
    owner: str
    process_area: str
    status: str
    description: str
    status_detail: str
    meeting_id: int | None
    meeting: str  # the label the page shows


def _text(raw: Mapping[str, Any], key: str, errors: dict[str, str], multiline: bool = False) -> str:
    return validators.text_field(raw, key, errors, label=FIELD_LABELS[key], max_length=MAX_LENGTHS[key],
                                 clean=validators.trimmed if multiline else validators.one_line, multiline=multiline)


def _deadline(value: Any, errors: dict[str, str]) -> dt.date | None:
    if value in (None, ""):
        return None
    message = "Deadline skal være en gyldig dato, fx 31-12-2026."
    if not isinstance(value, str) or len(value) > 10:
        errors["deadline"] = message
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors["deadline"] = message
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        errors["deadline"] = f"Deadline skal ligge mellem år {MIN_YEAR} og {MAX_YEAR}."
        return None
    return day


def _unit(session: Session, scope: AccessScope, cvr: str, area: str, code: Any,
          errors: dict[str, str]) -> tuple[int | None, int | None, str]:
    if code in (None, ""):
        return None, None, ""
    if not valid_unit_code(code):
        errors["unit"] = validators.INVALID_VALUE
        return None, None, ""
    model = PayrollGroup if area == "Løn" else AccountingUnit
    found = session.execute(
        select(model.id, model.code, model.name).where(scope.clause(model.cvr), model.cvr == cvr, model.code == code)
    ).first()
    if found is None:
        errors["unit"] = ("Vælg en af kundens løngrupper til et lønpunkt." if area == "Løn"
                          else "Vælg en af kundens bogføringskredse til et regnskabspunkt.")
        return None, None, ""
    unit_id, unit_code, name = found
    label = f"{unit_code} {name}"
    return (None, unit_id, label) if area == "Løn" else (unit_id, None, label)


def _meeting(session: Session, scope: AccessScope, cvr: str, value: Any,
             errors: dict[str, str]) -> tuple[int | None, str]:
    if value in (None, ""):
        return None, ""
    # dbc.Select sends its values as text.
    meeting_id = int(value) if ascii_digits(value) and len(value) < 19 else value
    if not valid_id(meeting_id):
        errors["meeting"] = validators.INVALID_VALUE
        return None, ""
    found = session.execute(select(Meeting.title, Meeting.held_at).where(
        scope.clause(Meeting.cvr), Meeting.cvr == cvr, Meeting.id == meeting_id)).first()
    if found is None:
        errors["meeting"] = "Mødet findes ikke hos kunden. Vælg et andet møde."
        return None, ""
    return meeting_id, _meeting_label(*found)


def validate(session: Session, scope: AccessScope, cvr: str, raw: Mapping[str, Any],
             current_status: str | None = None) -> ActionInput:
    """Validate and resolve raw form values on `cvr`; raise ActionValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise ActionValidationError({"subject": validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    area = raw.get("area")
    if not isinstance(area, str) or area not in AREAS:
        errors["area"] = "Vælg område: Regnskab eller Løn."
        area = ""
    accounting_unit_id, payroll_group_id, unit = (
        _unit(session, scope, cvr, area, raw.get("unit"), errors) if area else (None, None, ""))
    subject = _text(raw, "subject", errors)
    if not subject and "subject" not in errors:
        errors["subject"] = validators.required_message(FIELD_LABELS["subject"])
    deadline = _deadline(raw.get("deadline"), errors)
    owner = _text(raw, "owner", errors)
    process_area = _text(raw, "process_area", errors)
    status = raw.get("status")
    # An older item may carry a status no longer offered: it may keep it, but not pick another such.
    if not isinstance(status, str) or (status not in OPEN_STATUSES and status != current_status) \
            or status == CLOSED_STATUS:
        errors["status"] = "Vælg en status på listen. Et punkt afsluttes med knappen »Afslut«."
        status = ""
    description = _text(raw, "description", errors, multiline=True)
    status_detail = _text(raw, "status_detail", errors, multiline=True)
    meeting_id, meeting = _meeting(session, scope, cvr, raw.get("meeting"), errors)
    if errors:
        raise ActionValidationError(errors)
    return ActionInput(area, accounting_unit_id, payroll_group_id, unit, subject, deadline, owner, process_area,
                       status, description, status_detail, meeting_id, meeting)


def _shown(item: Mapping[str, Any]) -> dict[str, Any]:
    # The fields as the page shows them: what the history compares and keeps.
    deadline = item["deadline"]
    return {"area": item["area"], "unit": item["unit"], "subject": item["subject"],
            "deadline": deadline.isoformat() if deadline else "", "owner": item["owner"],
            "process_area": item["process_area"], "status": item["status"], "description": item["description"],
            "status_detail": item["status_detail"], "meeting": item["meeting"], "closed": bool(item["is_closed"])}


def _changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for key in FIELD_LABELS:
        old = before[key] if before is not None else None
        new = after[key]
        if before is None and new in ("", False):
            continue  # a new item lists only what it was given
        if old != new:
            changes.append({"field": key, "before": old, "after": new})
    return changes


def _require_customer(session: Session, scope: AccessScope, cvr: str) -> None:
    if not isinstance(cvr, str) or not scope.allows(cvr):
        raise AccessDenied()
    if session.scalar(select(Customer.cvr).where(scope.clause(Customer.cvr), Customer.cvr == cvr)) is None:
        raise ActionError("Kunden findes ikke.")


def _who(user: Any) -> str:
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:254]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _record(session: Session, scope: AccessScope, cvr: str, user: Any, action: str, item_id: int,
            before: dict[str, Any] | None) -> dict[str, Any]:
    """Keep the history row, the audit row and the announcement of one change; return the item after it."""
    session.expire_all()
    after = get_action_item(scope, cvr, item_id)
    if after is None:  # written in this transaction inside the same scope: only a concurrent delete
        raise ActionNotFound()
    before_shown = _shown(before) if before is not None else None
    after_shown = _shown(after)
    changes = _changes(before_shown, after_shown)
    session.add(ActionItemHistory(action_item_id=item_id, cvr=cvr, version=after["version"], action=action,
                                  at=after["updated_at"] or _now(), changed_by=_who(user), changes=changes))
    audit.record(session, user, action, ENTITY, item_id, cvr, before_shown, after_shown)
    titles = {"create": "Nyt aktionspunkt", "update": "Aktionspunkt ændret", "close": "Aktionspunkt afsluttet",
              "reopen": "Aktionspunkt genåbnet"}
    summary = "Ændret: " + ", ".join(FIELD_LABELS[c["field"]] for c in changes) + "." if action == "update" else ""
    announce(session, user, cvr, Topic.ACTIONS, f"{titles[action]}: {after['subject']}", f"/aktionsliste?cvr={cvr}",
             summary=summary, entity=ENTITY, entity_id=item_id)
    return after


def _values(data: ActionInput) -> dict[str, Any]:
    return {"area": data.area, "accounting_unit_id": data.accounting_unit_id,
            "payroll_group_id": data.payroll_group_id, "subject": data.subject, "deadline": data.deadline,
            "owner": data.owner, "process_area": data.process_area, "status": data.status,
            "description": data.description, "status_detail": data.status_detail, "meeting_id": data.meeting_id}


def create_action_item(scope: AccessScope, cvr: str, user: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Create an action item of `cvr` with its history, audit row and announcement; raise ActionError when refused."""
    with transaction() as session:
        _require_customer(session, scope, cvr)
        data = validate(session, scope, cvr, raw)
        item = ActionItem(cvr=cvr, is_closed=False, updated_at=_now(), updated_by=_who(user), **_values(data))
        session.add(item)
        session.flush()
        after = _record(session, scope, cvr, user, "create", item.id, None)
    return after


def _load(session: Session, scope: AccessScope, cvr: str, item_id: Any, version: Any) -> dict[str, Any]:
    item = get_action_item(scope, cvr, item_id)
    if item is None:
        raise ActionNotFound()
    if not valid_id(version) or item["version"] != version:
        raise ActionConflict(item["updated_by"], item["updated_at"])
    return item


def _write(session: Session, scope: AccessScope, cvr: str, user: Any, item_id: int, version: int,
           values: dict[str, Any]) -> None:
    # The version the form loaded is compared inside the UPDATE itself: if another save committed
    # in between, no row matches and nothing is written.
    result = session.execute(
        update(ActionItem)
        .where(ActionItem.id == item_id, ActionItem.cvr == cvr, scope.clause(ActionItem.cvr),
               ActionItem.version == version)
        .values(**values, version=version + 1, updated_at=_now(), updated_by=_who(user))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        item = get_action_item(scope, cvr, item_id)
        raise ActionNotFound() if item is None else ActionConflict(item["updated_by"], item["updated_at"])


def update_action_item(scope: AccessScope, cvr: str, user: Any, item_id: Any, version: Any,
                       raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """Save an open item of `cvr` shown at `version`; return it, or None when nothing changed (nothing written).

    Raises ActionConflict (stale form), ActionNotFound, ActionClosed or ActionValidationError.
    """
    with transaction() as session:
        _require_customer(session, scope, cvr)
        before = _load(session, scope, cvr, item_id, version)
        if before["is_closed"]:
            raise ActionClosed()
        data = validate(session, scope, cvr, raw, current_status=before["status"])
        shown = {**_shown(before), "area": data.area, "unit": data.unit, "subject": data.subject,
                 "deadline": data.deadline.isoformat() if data.deadline else "", "owner": data.owner,
                 "process_area": data.process_area, "status": data.status, "description": data.description,
                 "status_detail": data.status_detail, "meeting": data.meeting}
        if not _changes(_shown(before), shown):
            return None
        _write(session, scope, cvr, user, item_id, version, _values(data))
        after = _record(session, scope, cvr, user, "update", item_id, before)
    return after


def set_closed(scope: AccessScope, cvr: str, user: Any, item_id: Any, version: Any, closed: bool) -> dict[str, Any]:
    """Close (status Afsluttet) or reopen (status Åben) an item of `cvr` shown at `version`; return it after."""
    with transaction() as session:
        _require_customer(session, scope, cvr)
        before = _load(session, scope, cvr, item_id, version)
        if before["is_closed"] == closed:
            raise ActionError("Aktionspunktet er allerede afsluttet." if closed
                              else "Aktionspunktet er allerede åbent.")
        _write(session, scope, cvr, user, item_id, version,
               {"is_closed": closed, "status": CLOSED_STATUS if closed else REOPENED_STATUS})
        after = _record(session, scope, cvr, user, "close" if closed else "reopen", item_id, before)
    return after


__all__ = [
    "AREAS",
    "AREA_ALL",
    "AREA_CHOICES",
    "CLOSED_STATUS",
    "EXPORT_COLUMNS",
    "FIELD_LABELS",
    "MAX_LENGTHS",
    "OPEN_STATUSES",
    "ActionClosed",
    "ActionConflict",
    "ActionError",
    "ActionNotFound",
    "ActionValidationError",
    "FilterError",
    "UNIT_ALL",
    "action_items",
    "create_action_item",
    "get_action_item",
    "item_history",
    "meeting_choices",
    "set_closed",
    "unit_choices",
    "update_action_item",
    "parse_area",
    "parse_show_closed",
    "parse_unit",
    "today",
]
