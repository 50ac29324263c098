"""Scoped reads of customers (their units: `data.units`), SA's edits of their master data, and its change log.

Every read takes the caller's `AccessScope` and filters by it in SQL. A save validates every field with a
Danish message beside it, compares the version the form loaded inside the UPDATE (a stale form writes
nothing), and writes an audit row in the same transaction; "Seneste ændringer" is read from those rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from core.access import AccessDenied, AccessScope
from data import audit, search, validators
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.models import AuditLog, Customer, Ministry
from data.search import like_pattern

SEARCH_LIMIT = 25

CUSTOMER_ENTITY = "customer"
# The audit entities of master data, as "Seneste ændringer" names them.
MASTER_DATA_ENTITIES = {CUSTOMER_ENTITY: "Stamdata", "accounting_unit": "Bogføringskreds",
                        "payroll_group": "Løngruppe"}
CHANGES_LIMIT = 20

# Bounds match the columns of data/models.py (description is Text: bounded here; an EAN may be typed
# in groups, "5798 0000 1070 3", and is stored as its 13 digits).
MASTER_LENGTHS = {"name": 200, "customer_type": 50, "address": 300, "description": 2000, "ean": 17}
MASTER_LABELS = {"name": "Kundenavn", "ministry_id": "Ministerområde", "customer_type": "Kundetype",
                 "address": "Adresse", "description": "Beskrivelse", "ean": "EAN-nummer"}
# Every field an audited master-data snapshot may hold, with its Danish label ("Seneste ændringer").
CHANGE_LABELS = {"name": "Navn", "ministry": "Ministerområde", "customer_type": "Kundetype", "address": "Adresse",
                 "description": "Beskrivelse", "ean": "EAN-nummer", "code": "Kode", "server_name": "Servernavn",
                 "database_name": "Databasenavn"}


def search_customers(scope: AccessScope, text: str | None, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Return customers in `scope` whose name (case and æ/ø/å forgiving) or CVR contains `text`, at most `limit`."""
    stmt = select(Customer.cvr, Customer.name).where(scope.clause(Customer.cvr))
    text = (text or "").strip()[:100]
    if text:
        stmt = stmt.where(or_(search.matches(Customer.name, text), Customer.cvr.like(like_pattern(text), escape="\\")))
    stmt = stmt.order_by(Customer.name).limit(limit)
    return [{"cvr": cvr, "name": name} for cvr, name in get_session().execute(stmt)]


def customer_name(scope: AccessScope, cvr: str) -> str | None:
    """Return the name of customer `cvr` if it lies in `scope`, else None."""
    stmt = select(Customer.name).where(scope.clause(Customer.cvr), Customer.cvr == cvr)
    return get_session().scalar(stmt)


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
        "ean": customer.ean,
        "updated_at": updated,
    }


# --- editing (SA) ----------------------------------------------------------------------------------


class MasterDataConflict(Refused):
    """Someone saved the record after the form loaded it; nothing was written."""


def who(user: Any) -> str:
    """Return how a record names the user who last changed it."""
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:200]


def now() -> dt.datetime:
    """Return the current time in UTC (the timestamp of a save)."""
    return dt.datetime.now(dt.timezone.utc)


def ministries() -> list[dict[str, Any]]:
    """Return every ministerområde (id, label) in number order (not customer data: no scope)."""
    rows = get_session().scalars(select(Ministry).order_by(Ministry.number, Ministry.id))
    return [{"id": m.id, "label": m.label} for m in rows]


def ministry_id(session: Session, raw: Any, key: str, errors: dict[str, str], label: str = "Ministerområde") -> int:
    """Return the id of an existing ministry chosen in a drop-down (its value is text), or 0 with a message."""
    value = raw.strip() if isinstance(raw, str) else raw
    if validators.ascii_digits(value) and len(value) < 19:
        value = int(value)
    if value in (None, ""):
        errors[key] = f"Vælg {label.lower()}."
        return 0
    if not validators.valid_id(value) or session.get(Ministry, value) is None:
        errors[key] = "Ukendt ministerområde."
        return 0
    return value


def _master_text(raw: Mapping[str, Any], key: str, errors: dict[str, str]) -> str:
    multiline = key == "description"
    return validators.text_field(raw, key, errors, label=MASTER_LABELS[key], max_length=MASTER_LENGTHS[key],
                                 clean=validators.trimmed if multiline else validators.one_line, multiline=multiline)


def validate_master_data(session: Session, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Generelt fields cleaned for the customer table; raise ValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"name": validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    values = {key: _master_text(raw, key, errors) for key in ("name", "customer_type", "address", "description")}
    for key in ("name", "customer_type"):
        if not values[key] and key not in errors:
            errors[key] = validators.required_message(MASTER_LABELS[key])
    values["ean"] = validators.ean_field(_master_text(raw, "ean", errors), "ean", errors)
    values["ministry_id"] = ministry_id(session, raw.get("ministry_id"), "ministry_id", errors)
    if errors:
        raise ValidationError(errors)
    return values


def require_customer(session: Session, scope: AccessScope, cvr: Any, error: type[Refused] = Refused) -> None:
    """Check that `cvr` is a customer within `scope`; raise AccessDenied outside it, `error` when there is none."""
    # The write functions of every customer-owned screen (contacts, units, SA team) check this first.
    if not isinstance(cvr, str) or not scope.allows(cvr):
        raise AccessDenied()
    if session.scalar(select(Customer.cvr).where(scope.clause(Customer.cvr), Customer.cvr == cvr)) is None:
        raise error("Kunden findes ikke.")


def _customer(session: Session, scope: AccessScope, cvr: Any) -> Customer | None:
    if not isinstance(cvr, str) or not scope.allows(cvr):
        raise AccessDenied()
    stmt = (select(Customer).options(joinedload(Customer.ministry))
            .where(scope.clause(Customer.cvr), Customer.cvr == cvr).execution_options(populate_existing=True))
    return session.scalar(stmt)


def _master_snapshot(customer: Customer) -> dict[str, Any]:
    return {"name": customer.name, "ministry": customer.ministry.label, "customer_type": customer.customer_type,
            "address": customer.address, "description": customer.description, "ean": customer.ean,
            "version": customer.version}


def master_data_form(scope: AccessScope, cvr: str) -> dict[str, Any] | None:
    """Return the Generelt fields of `cvr` as the edit form shows them, with the version to save against."""
    customer = _customer(get_session(), scope, cvr)
    if customer is None:
        return None
    return {"name": customer.name, "ministry_id": customer.ministry_id, "customer_type": customer.customer_type,
            "address": customer.address, "description": customer.description, "ean": customer.ean,
            "version": customer.version}


def update_master_data(scope: AccessScope, cvr: Any, user: Any, version: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Save the Generelt fields of `cvr` shown at `version`; raise MasterDataConflict, ValidationError, Refused."""
    with transaction() as session:
        customer = _customer(session, scope, cvr)
        if customer is None:
            raise Refused("Kunden findes ikke.")
        if not validators.valid_id(version) or customer.version != version:
            raise MasterDataConflict(conflict_message("Stamdata", customer.updated_by, customer.updated_at))
        before = _master_snapshot(customer)
        values = validate_master_data(session, raw)
        # The version the form loaded is compared inside the UPDATE itself: a save committed in between
        # matches no row, and nothing is written.
        result = session.execute(
            update(Customer)
            .where(Customer.cvr == cvr, scope.clause(Customer.cvr), Customer.version == version)
            .values(**values, version=version + 1, updated_at=now(), updated_by=who(user))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            current = _customer(session, scope, cvr)
            raise MasterDataConflict(conflict_message("Stamdata", current.updated_by if current else None,
                                                      current.updated_at if current else None))
        after = _master_snapshot(_customer(session, scope, cvr))
        audit.record(session, user, "update", CUSTOMER_ENTITY, cvr, cvr, before, after)
    return after


# --- Seneste ændringer -----------------------------------------------------------------------------


def _changes(before: Any, after: Any) -> list[dict[str, Any]]:
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    return [{"field": label, "before": before.get(key), "after": after.get(key)}
            for key, label in CHANGE_LABELS.items()
            if (key in before or key in after) and before.get(key) != after.get(key)]


def master_data_changes(scope: AccessScope, cvr: str, limit: int = CHANGES_LIMIT) -> list[dict[str, Any]]:
    """Return the latest changes of the master data of `cvr` (customer and units), newest first; none outside `scope`."""
    stmt = (
        select(AuditLog)
        .where(scope.clause(AuditLog.cvr), AuditLog.cvr == cvr, AuditLog.entity.in_(list(MASTER_DATA_ENTITIES)))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    rows = []
    for row in get_session().scalars(stmt):
        subject = MASTER_DATA_ENTITIES[row.entity]
        code = ((row.after or {}).get("code") or (row.before or {}).get("code")) if row.entity != CUSTOMER_ENTITY \
            else None
        rows.append({"at": row.at, "user": row.user_label, "action": row.action,
                     "what": f"{subject} {code}" if code else subject, "changes": _changes(row.before, row.after)})
    return rows
