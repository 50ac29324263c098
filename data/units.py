"""Scoped look-ups of accounting units (bogføringskredse) and payroll groups (løngrupper).

The one home of everything about a customer's units: the code format, picker options, search,
which customer a unit belongs to, and the Stamdata rows. Every read takes an `AccessScope` and
filters by it in SQL, so a unit of a customer outside the scope is never found. SA adds units and edits
them (`save_unit`): validated, version-checked inside the UPDATE, audited in the same transaction.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from sqlalchemy import Integer, literal_column, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import AccessScope
from data import audit, search, validators
from data.customers import SEARCH_LIMIT, MasterDataConflict, ministry_id, now, require_customer, who
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.models import AccountingUnit, Customer, Ministry, PayrollGroup

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
    """Return accounting units and payroll groups in `scope` matching `text` by code or name (æ/ø/å forgiving)."""
    text = (text or "").strip()[:100]
    results: list[dict[str, str]] = []
    for model, kind in ((AccountingUnit, ACCOUNTING_KIND), (PayrollGroup, PAYROLL_KIND)):
        stmt = select(model.code, model.name, model.cvr).where(scope.clause(model.cvr))
        if text:
            stmt = stmt.where(or_(search.matches(model.code, text), search.matches(model.name, text)))
        stmt = stmt.order_by(model.code).limit(limit)
        results.extend(
            {"code": code, "name": name, "cvr": cvr, "kind": kind} for code, name, cvr in get_session().execute(stmt)
        )
    results.sort(key=lambda r: r["code"])
    return results[:limit]


def find_unit(scope: AccessScope, code: Any) -> dict[str, str] | None:
    """Return the accounting unit or payroll group `code` (code, name, cvr, kind) if it lies in `scope`."""
    if not valid_unit_code(code):
        return None
    for model, kind in ((AccountingUnit, ACCOUNTING_KIND), (PayrollGroup, PAYROLL_KIND)):
        row = get_session().execute(
            select(model.code, model.name, model.cvr).where(scope.clause(model.cvr), model.code == code)).first()
        if row is not None:
            return {"code": row.code, "name": row.name, "cvr": row.cvr, "kind": kind}
    return None


def unit_customer(scope: AccessScope, code: str) -> str | None:
    """Return the CVR owning accounting unit or payroll group `code`, if it lies in `scope`."""
    for model in (AccountingUnit, PayrollGroup):
        cvr = get_session().scalar(select(model.cvr).where(scope.clause(model.cvr), model.code == code))
        if cvr:
            return cvr
    return None


def customer_unit(scope: AccessScope, cvr: str, code: Any) -> dict[str, str] | None:
    """Return unit `code` of `cvr` (code, name, kind 'regnskab' or 'loen') if it lies in `scope`, else None."""
    # Checked before any query: the code comes from the browser, and PostgreSQL refuses some
    # characters it can carry (NUL) with an error instead of finding nothing.
    if not valid_unit_code(code):
        return None
    # Both tables in one statement (one round trip); an accounting unit wins should a payroll group share its code.
    kinds = ("regnskab", "loen")
    stmt = union_all(*(
        select(literal_column(str(index), Integer), model.name)
        .where(scope.clause(model.cvr), model.cvr == cvr, model.code == code)
        for index, model in enumerate((AccountingUnit, PayrollGroup))
    ))
    found = get_session().execute(stmt).all()
    if not found:
        return None
    index, name = min(found, key=lambda row: row[0])
    return {"code": code, "name": name, "kind": kinds[index]}


def unit_kind(scope: AccessScope, cvr: str, code: Any) -> str | None:
    """Return 'regnskab' for an accounting unit of `cvr`, 'loen' for a payroll group, else None."""
    unit = customer_unit(scope, cvr, code)
    return unit["kind"] if unit else None


def _unit_rows(model: type[AccountingUnit] | type[PayrollGroup], scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    stmt = (
        select(model.id, model.code, model.name, Ministry.name, Ministry.number, model.server_name,
               model.database_name, model.version)
        .join(Ministry, Ministry.id == model.ministry_id)
        .where(scope.clause(model.cvr), model.cvr == cvr)
        .order_by(model.code)
    )
    return [
        {"id": unit_id, "code": code, "name": name, "ministry": f"{mname} - {mnum}", "server_name": server,
         "database_name": dbname, "version": version}
        for unit_id, code, name, mname, mnum, server, dbname, version in get_session().execute(stmt)
    ]


def accounting_units(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the accounting units of `cvr` with ministry, server and database name."""
    return _unit_rows(AccountingUnit, scope, cvr)


def payroll_groups(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the payroll groups of `cvr` with ministry, server and database name."""
    return _unit_rows(PayrollGroup, scope, cvr)


# --- editing (SA) ----------------------------------------------------------------------------------

ACCOUNTING = "regnskab"
PAYROLL = "loen"
UNIT_MODELS: dict[str, type[AccountingUnit] | type[PayrollGroup]] = {ACCOUNTING: AccountingUnit, PAYROLL: PayrollGroup}
UNIT_ENTITIES = {ACCOUNTING: "accounting_unit", PAYROLL: "payroll_group"}
# How a message names the unit: "Bogføringskredsen 10001 er gemt."
UNIT_SUBJECTS = {ACCOUNTING: "Bogføringskredsen", PAYROLL: "Løngruppen"}
# Bounds match the columns of data/models.py.
UNIT_LENGTHS = {"code": 20, "name": 200, "server_name": 100, "database_name": 100}
UNIT_LABELS = {"code": "Kode", "name": "Navn", "ministry_id": "Ministerområde", "server_name": "Servernavn",
               "database_name": "Databasenavn"}
CODE_MESSAGE = "Kode må kun indeholde bogstaver, cifre, bindestreg og understregning (højst 20 tegn)."


def _model(kind: Any) -> type[AccountingUnit] | type[PayrollGroup]:
    if not isinstance(kind, str) or kind not in UNIT_MODELS:
        raise ValueError(f"Unknown unit kind {kind!r}")
    return UNIT_MODELS[kind]


def _load_unit(session: Session, scope: AccessScope, cvr: str, kind: str, unit_id: Any) -> Any:
    model = _model(kind)
    if not validators.valid_id(unit_id):
        return None
    stmt = (select(model).where(scope.clause(model.cvr), model.cvr == cvr, model.id == unit_id)
            .execution_options(populate_existing=True))
    return session.scalar(stmt)


def _unit_snapshot(unit: Any) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "ministry_id": unit.ministry_id,
            "server_name": unit.server_name, "database_name": unit.database_name, "version": unit.version}


def _audit_view(session: Session, unit: Any) -> dict[str, Any]:
    ministry = session.get(Ministry, unit.ministry_id)
    return {"code": unit.code, "name": unit.name, "ministry": ministry.label if ministry else "",
            "server_name": unit.server_name, "database_name": unit.database_name, "version": unit.version}


def get_unit(scope: AccessScope, cvr: str, kind: str, unit_id: Any) -> dict[str, Any] | None:
    """Return one accounting unit or payroll group of `cvr` by id, or None when it is not this customer's."""
    unit = _load_unit(get_session(), scope, cvr, kind, unit_id)
    return _unit_snapshot(unit) if unit is not None else None


def customer_ministry(scope: AccessScope, cvr: str) -> int | None:
    """Return the ministry id of customer `cvr` (a new unit's default), or None outside `scope`."""
    return get_session().scalar(select(Customer.ministry_id).where(scope.clause(Customer.cvr), Customer.cvr == cvr))


def _text(raw: Mapping[str, Any], key: str, errors: dict[str, str]) -> str:
    return validators.text_field(raw, key, errors, label=UNIT_LABELS[key], max_length=UNIT_LENGTHS[key],
                                 clean=validators.one_line)


def validate_unit(session: Session, raw: Mapping[str, Any], *, new: bool) -> dict[str, Any]:
    """Return a unit's fields cleaned (the code only for a new unit); raise ValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"name": validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if new:
        code = _text(raw, "code", errors)
        if not code and "code" not in errors:
            errors["code"] = validators.required_message(UNIT_LABELS["code"])
        elif code and not valid_unit_code(code):
            errors["code"] = CODE_MESSAGE
        values["code"] = code
    values["name"] = _text(raw, "name", errors)
    if not values["name"] and "name" not in errors:
        errors["name"] = validators.required_message(UNIT_LABELS["name"])
    values["server_name"] = _text(raw, "server_name", errors)
    values["database_name"] = _text(raw, "database_name", errors)
    values["ministry_id"] = ministry_id(session, raw.get("ministry_id"), "ministry_id", errors)
    if errors:
        raise ValidationError(errors)
    return values


def _code_taken(session: Session, code: str) -> bool:
    # A code names one unit across both kinds: the search box and every page find a unit by its code alone.
    return any(session.scalar(select(model.id).where(model.code == code)) is not None
               for model in UNIT_MODELS.values())


def save_unit(scope: AccessScope, cvr: Any, user: Any, kind: str, unit_id: Any, version: Any,
              raw: Mapping[str, Any]) -> dict[str, Any]:
    """Add a unit of `kind` to `cvr` (`unit_id` None) or save one shown at `version`; raise Refused when refused."""
    model = _model(kind)
    entity = UNIT_ENTITIES[kind]
    subject = UNIT_SUBJECTS[kind]
    with transaction() as session:
        require_customer(session, scope, cvr)
        if unit_id is None:
            values = validate_unit(session, raw, new=True)
            if _code_taken(session, values["code"]):
                raise ValidationError({"code": f"Koden {values['code']} er allerede i brug."})
            unit = model(cvr=cvr, **values, updated_at=now(), updated_by=who(user))
            session.add(unit)
            try:
                session.flush()
            except IntegrityError:
                # Another save took the code after the check above.
                session.rollback()
                raise ValidationError({"code": f"Koden {values['code']} er allerede i brug."}) from None
            audit.record(session, user, "create", entity, unit.id, cvr, None, _audit_view(session, unit))
            return _unit_snapshot(unit)
        unit = _load_unit(session, scope, cvr, kind, unit_id)
        if unit is None:
            raise Refused(f"{subject} findes ikke (længere). Genindlæs siden.")
        if not validators.valid_id(version) or unit.version != version:
            raise MasterDataConflict(conflict_message(subject, unit.updated_by, unit.updated_at))
        before = _audit_view(session, unit)
        values = validate_unit(session, raw, new=False)
        # The code stays: cases, runbooks and reports refer to the unit by it.
        result = session.execute(
            update(model)
            .where(model.id == unit_id, model.cvr == cvr, scope.clause(model.cvr), model.version == version)
            .values(**values, version=version + 1, updated_at=now(), updated_by=who(user))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            current = _load_unit(session, scope, cvr, kind, unit_id)
            raise MasterDataConflict(conflict_message(subject, current.updated_by if current else None,
                                                      current.updated_at if current else None))
        unit = _load_unit(session, scope, cvr, kind, unit_id)
        audit.record(session, user, "update", entity, unit_id, cvr, before, _audit_view(session, unit))
        return _unit_snapshot(unit)


__all__ = [
    "ACCOUNTING",
    "ACCOUNTING_KIND",
    "PAYROLL",
    "PAYROLL_KIND",
    "UNIT_CODE",
    "UNIT_KIND_OF_AREA",
    "accounting_units",
    "customer_ministry",
    "customer_unit",
    "get_unit",
    "payroll_groups",
    "save_unit",
    "search_units",
    "unit_customer",
    "unit_kind",
    "unit_options",
    "units_for_area",
    "valid_unit_code",
]
