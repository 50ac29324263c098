"""Scoped reads of a customer's action list (Aktionsliste), its filters and its export rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, select

from core.access import AccessScope
from data.db import get_session
from data.models import AccountingUnit, ActionItem, PayrollGroup
from data.units import valid_unit_code
from data.workdays import danish_today


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
]


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


def action_items(scope: AccessScope, cvr: str, area: str | None = None, show_closed: bool = False,
                 on: dt.date | None = None, unit: str | None = None) -> list[dict[str, Any]]:
    """Return the action items of `cvr` inside `scope`, filtered by area, closed state and unit code."""
    # Each row carries both lines (first: id, area, unit, subject, deadline, owner, process area,
    # status; second: description and detailed status) and `overdue`: an open item whose deadline
    # has passed. Ordered by deadline (none last), then id. The units are joined on the item's own
    # CVR, so a unit code of another customer matches nothing.
    on = on or today()
    stmt = (
        select(ActionItem, AccountingUnit.code, AccountingUnit.name, PayrollGroup.code, PayrollGroup.name)
        .outerjoin(AccountingUnit, (AccountingUnit.id == ActionItem.accounting_unit_id)
                   & (AccountingUnit.cvr == ActionItem.cvr))
        .outerjoin(PayrollGroup, (PayrollGroup.id == ActionItem.payroll_group_id)
                   & (PayrollGroup.cvr == ActionItem.cvr))
        .where(scope.clause(ActionItem.cvr), ActionItem.cvr == cvr)
    )
    if area is not None:
        stmt = stmt.where(ActionItem.area == area)
    if not show_closed:
        stmt = stmt.where(ActionItem.is_closed.is_(False))
    if unit is not None:
        stmt = stmt.where(_shown_unit_code() == unit)
    rows: list[dict[str, Any]] = []
    for item, au_code, au_name, pg_code, pg_name in get_session().execute(stmt):
        if item.area == "Løn" and pg_code:
            unit = f"{pg_code} {pg_name}"
        elif au_code:
            unit = f"{au_code} {au_name}"
        elif pg_code:
            unit = f"{pg_code} {pg_name}"
        else:
            unit = ""
        rows.append({
            "id": item.id,
            "area": item.area,
            "unit": unit,
            "subject": item.subject,
            "deadline": item.deadline,
            "owner": item.owner,
            "process_area": item.process_area,
            "status": item.status,
            "is_closed": item.is_closed,
            "overdue": bool(item.deadline and not item.is_closed and item.deadline < on),
            "description": item.description,
            "status_detail": item.status_detail,
        })
    rows.sort(key=lambda r: (r["deadline"] is None, r["deadline"] or dt.date.min, r["id"]))
    return rows


__all__ = [
    "AREAS",
    "AREA_ALL",
    "AREA_CHOICES",
    "EXPORT_COLUMNS",
    "FilterError",
    "UNIT_ALL",
    "action_items",
    "parse_area",
    "parse_show_closed",
    "parse_unit",
    "today",
]
