"""Scoped reads of customers, their accounting units and payroll groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from core.access import AccessScope
from data.db import get_session
from data.models import AccountingUnit, Customer, Ministry, PayrollGroup

SEARCH_LIMIT = 25


def _like_pattern(text: str) -> str:
    # Control characters are never part of a name or CVR, and PostgreSQL refuses NUL in text outright.
    text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_customers(scope: AccessScope, text: str | None, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Return customers in `scope` whose name or CVR contains `text`, at most `limit`."""
    stmt = select(Customer.cvr, Customer.name).where(scope.clause(Customer.cvr))
    text = (text or "").strip()[:100]
    if text:
        pattern = _like_pattern(text)
        stmt = stmt.where(or_(Customer.name.ilike(pattern, escape="\\"), Customer.cvr.like(pattern, escape="\\")))
    stmt = stmt.order_by(Customer.name).limit(limit)
    return [{"cvr": cvr, "name": name} for cvr, name in get_session().execute(stmt)]


def search_units(scope: AccessScope, text: str | None, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Return accounting units and payroll groups in `scope` matching `text` by code or name."""
    text = (text or "").strip()[:100]
    results: list[dict[str, str]] = []
    for model, kind in ((AccountingUnit, "Bogføringskreds"), (PayrollGroup, "Løngruppe")):
        stmt = select(model.code, model.name, model.cvr).where(scope.clause(model.cvr))
        if text:
            pattern = _like_pattern(text)
            stmt = stmt.where(or_(model.code.ilike(pattern, escape="\\"), model.name.ilike(pattern, escape="\\")))
        stmt = stmt.order_by(model.code).limit(limit)
        results.extend(
            {"code": code, "name": name, "cvr": cvr, "kind": kind} for code, name, cvr in get_session().execute(stmt)
        )
    results.sort(key=lambda r: r["code"])
    return results[:limit]


def customer_name(scope: AccessScope, cvr: str) -> str | None:
    """Return the name of customer `cvr` if it lies in `scope`, else None."""
    stmt = select(Customer.name).where(scope.clause(Customer.cvr), Customer.cvr == cvr)
    return get_session().scalar(stmt)


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


def master_data(scope: AccessScope, cvr: str) -> dict[str, Any] | None:
    """Return the Generelt facts of customer `cvr` (None when outside `scope` or unknown)."""
    stmt = (
        select(Customer)
        .options(joinedload(Customer.ministry))
        .where(scope.clause(Customer.cvr), Customer.cvr == cvr)
    )
    customer = get_session().scalar(stmt)
    if customer is None:
        return None
    updated: dt.datetime | None = customer.updated_at
    return {
        "name": customer.name,
        "cvr": customer.cvr,
        "ministry": customer.ministry.label,
        "customer_type": customer.customer_type,
        "address": customer.address,
        "description": customer.description,
        "updated_at": updated,
    }


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
