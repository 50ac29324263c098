"""Scoped look-ups of accounting units (bogføringskredse) and payroll groups (løngrupper).

The one home of everything about a customer's units: the code format, picker options, search,
which customer a unit belongs to, and the Stamdata rows. Every read takes an `AccessScope` and
filters by it in SQL, so a unit of a customer outside the scope is never found.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select

from core.access import AccessScope
from data.customers import SEARCH_LIMIT, like_pattern
from data.db import get_session
from data.models import AccountingUnit, Ministry, PayrollGroup

# Unit codes are short identifiers (see AccountingUnit.code / PayrollGroup.code, String(20)).
UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")

ACCOUNTING_KIND = "Bogføringskreds"
PAYROLL_KIND = "Løngruppe"
# Which kind of unit an area's cases are registered on (the kinds of `unit_options`).
UNIT_KIND_OF_AREA = {"Regnskab": ACCOUNTING_KIND, "Rejser": ACCOUNTING_KIND, "Løn": PAYROLL_KIND,
                     "Refusion": PAYROLL_KIND}


def valid_unit_code(value: Any) -> bool:
    """Tell whether `value` looks like an accounting-unit or payroll-group code."""
    return isinstance(value, str) and bool(UNIT_CODE.match(value))


def unit_options(scope: AccessScope, cvr: str) -> list[dict[str, str]]:
    """Return the customer's accounting units and payroll groups (code, name, kind)."""
    rows: list[dict[str, str]] = []
    for model, kind in ((AccountingUnit, ACCOUNTING_KIND), (PayrollGroup, PAYROLL_KIND)):
        stmt = select(model.code, model.name).where(scope.clause(model.cvr), model.cvr == cvr).order_by(model.code)
        rows.extend({"code": code, "name": name, "kind": kind} for code, name in get_session().execute(stmt))
    return rows


def units_for_area(scope: AccessScope, cvr: str, area: str) -> list[dict[str, str]]:
    """Return the accounting units (Regnskab) or payroll groups (Løn, Refusion) of `cvr` in `scope`."""
    model = AccountingUnit if area == "Regnskab" else PayrollGroup
    stmt = (
        select(model.code, model.name)
        .where(scope.clause(model.cvr), model.cvr == cvr)
        .order_by(model.code)
    )
    return [{"code": code, "name": name} for code, name in get_session().execute(stmt)]


def search_units(scope: AccessScope, text: str | None, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Return accounting units and payroll groups in `scope` matching `text` by code or name."""
    text = (text or "").strip()[:100]
    results: list[dict[str, str]] = []
    for model, kind in ((AccountingUnit, ACCOUNTING_KIND), (PayrollGroup, PAYROLL_KIND)):
        stmt = select(model.code, model.name, model.cvr).where(scope.clause(model.cvr))
        if text:
            pattern = like_pattern(text)
            stmt = stmt.where(or_(model.code.ilike(pattern, escape="\\"), model.name.ilike(pattern, escape="\\")))
        stmt = stmt.order_by(model.code).limit(limit)
        results.extend(
            {"code": code, "name": name, "cvr": cvr, "kind": kind} for code, name, cvr in get_session().execute(stmt)
        )
    results.sort(key=lambda r: r["code"])
    return results[:limit]


def unit_customer(scope: AccessScope, code: str) -> str | None:
    """Return the CVR owning accounting unit or payroll group `code`, if it lies in `scope`."""
    for model in (AccountingUnit, PayrollGroup):
        cvr = get_session().scalar(select(model.cvr).where(scope.clause(model.cvr), model.code == code))
        if cvr:
            return cvr
    return None


def unit_kind(scope: AccessScope, cvr: str, code: Any) -> str | None:
    """Return 'regnskab' for an accounting unit of `cvr`, 'loen' for a payroll group, else None."""
    if not isinstance(code, str) or not code or len(code) > 20:
        return None
    for model, kind in ((AccountingUnit, "regnskab"), (PayrollGroup, "loen")):
        found = get_session().scalar(
            select(model.code).where(scope.clause(model.cvr), model.cvr == cvr, model.code == code))
        if found:
            return kind
    return None


def accounting_units(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the accounting units of `cvr` with ministry, server and database name."""
    stmt = (
        select(AccountingUnit.code, AccountingUnit.name, Ministry.name, Ministry.number,
               AccountingUnit.server_name, AccountingUnit.database_name)
        .join(Ministry, Ministry.id == AccountingUnit.ministry_id)
        .where(scope.clause(AccountingUnit.cvr), AccountingUnit.cvr == cvr)
        .order_by(AccountingUnit.code)
    )
    return [
        {"code": code, "name": name, "ministry": f"{mname} - {mnum}", "server_name": server, "database_name": dbname}
        for code, name, mname, mnum, server, dbname in get_session().execute(stmt)
    ]


def payroll_groups(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the payroll groups of `cvr` with their ministry area."""
    stmt = (
        select(PayrollGroup.code, PayrollGroup.name, Ministry.name, Ministry.number)
        .join(Ministry, Ministry.id == PayrollGroup.ministry_id)
        .where(scope.clause(PayrollGroup.cvr), PayrollGroup.cvr == cvr)
        .order_by(PayrollGroup.code)
    )
    return [
        {"code": code, "name": name, "ministry": f"{mname} - {mnum}"}
        for code, name, mname, mnum in get_session().execute(stmt)
    ]


__all__ = [
    "ACCOUNTING_KIND",
    "PAYROLL_KIND",
    "UNIT_CODE",
    "UNIT_KIND_OF_AREA",
    "accounting_units",
    "payroll_groups",
    "search_units",
    "unit_customer",
    "unit_kind",
    "unit_options",
    "units_for_area",
    "valid_unit_code",
]
