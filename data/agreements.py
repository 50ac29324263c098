"""Scoped reads of a customer's agreements, exemptions, add-ons, third-party tasks and annexes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core.access import AccessScope
from data.db import get_session
from data.models import AddOn, Agreement, Annex, Customer, Exemption, StoredFile, ThirdPartyTask
from data.workdays import danish_today

# URL/tab key -> Agreement.kind, and the Danish title used in the UI and file names.
AGREEMENT_KINDS: dict[str, str] = {"kundeaftale": "customer", "databehandleraftale": "data_processing"}
AGREEMENT_TITLES: dict[str, str] = {"kundeaftale": "Kundeaftale", "databehandleraftale": "Databehandleraftale"}


def _agreement_dict(row: Agreement, key: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "cvr": row.cvr,
        "key": key,
        "kind": row.kind,
        "title": row.title,
        "body": row.body or "",
        "version": row.version,
        "valid_from": row.valid_from,
        "signed_electronically": row.signed_electronically,
        "sa_signed_by": row.sa_signed_by,
        "sa_signed_at": row.sa_signed_at,
        "customer_signed_by": row.customer_signed_by,
        "customer_signed_at": row.customer_signed_at,
        "signed_file_id": row.signed_file_id,
    }


def _versions(scope: AccessScope, cvr: str, key: str):
    kind = AGREEMENT_KINDS.get(key) if isinstance(key, str) else None
    if kind is None:
        return None
    return select(Agreement).where(scope.clause(Agreement.cvr), Agreement.cvr == cvr, Agreement.kind == kind)


def agreement(scope: AccessScope, cvr: str, key: str, today: dt.date | None = None) -> dict[str, Any] | None:
    """Return the agreement of kind `key` in force for `cvr` in `scope` (else the next one to come), or None."""
    stmt = _versions(scope, cvr, key)
    if stmt is None:
        return None
    today = today or danish_today()
    in_force = (Agreement.valid_from.is_(None)) | (Agreement.valid_from <= today)
    session = get_session()
    row = session.scalar(stmt.where(in_force).order_by(Agreement.valid_from.desc().nulls_last(), Agreement.id.desc())
                         .limit(1))
    if row is None:
        # Nothing in force yet (a first agreement awaiting its start): show the one that comes first.
        row = session.scalar(stmt.order_by(Agreement.valid_from.asc(), Agreement.id.desc()).limit(1))
    return _agreement_dict(row, key) if row is not None else None


def upcoming_agreement(scope: AccessScope, current: dict[str, Any], today: dt.date | None = None) -> dict[str, Any] | None:
    """Return the version after `current` (the agreement in force, from `agreement`) that starts later, or None."""
    today = today or danish_today()
    if current["valid_from"] is None or current["valid_from"] > today:
        return None  # nothing in force yet: `current` is itself the one to come
    row = get_session().scalar(
        _versions(scope, current["cvr"], current["key"]).where(Agreement.valid_from > today)
        .order_by(Agreement.valid_from.asc(), Agreement.id.desc()).limit(1))
    return _agreement_dict(row, current["key"]) if row is not None else None


def agreement_date(item: dict[str, Any]) -> dt.date | None:
    """Return the date that names an agreement's download: its first signature, else its start date."""
    signed = [d for d in (item.get("sa_signed_at"), item.get("customer_signed_at")) if d is not None]
    if signed:
        from zoneinfo import ZoneInfo

        return min(signed).astimezone(ZoneInfo("Europe/Copenhagen")).date()
    return item.get("valid_from")


def show_annexes(scope: AccessScope, cvr: str) -> bool:
    """Tell whether the Bilag tab applies: the customer agreement of `cvr` was not signed electronically."""
    item = agreement(scope, cvr, "kundeaftale")
    return item is not None and not item["signed_electronically"]


def customer_facts(scope: AccessScope, cvr: str) -> dict[str, str] | None:
    """Return name, CVR, address and EAN of customer `cvr` in `scope` (for the agreement PDF)."""
    row = get_session().scalar(select(Customer).where(scope.clause(Customer.cvr), Customer.cvr == cvr))
    if row is None:
        return None
    return {"cvr": row.cvr, "name": row.name, "address": row.address or "", "ean": row.ean or ""}


def exemptions(scope: AccessScope, cvr: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return the exemptions of `cvr` in `scope`, newest first, each marked whether it has expired."""
    today = today or danish_today()
    stmt = (
        select(Exemption)
        .where(scope.clause(Exemption.cvr), Exemption.cvr == cvr)
        .order_by(Exemption.granted_on.desc(), Exemption.id.desc())
    )
    return [
        {
            "id": row.id,
            "title": row.title,
            "description": row.description or "",
            "granted_on": row.granted_on,
            "expires_on": row.expires_on,
            "expired": row.expires_on is not None and row.expires_on < today,
        }
        for row in get_session().scalars(stmt)
    ]


def add_ons(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the services `cvr` (in `scope`) bought, newest first."""
    stmt = (
        select(AddOn)
        .where(scope.clause(AddOn.cvr), AddOn.cvr == cvr)
        .order_by(AddOn.start_date.desc(), AddOn.id.desc())
    )
    return [
        {"id": row.id, "service": row.service, "description": row.description or "", "start_date": row.start_date}
        for row in get_session().scalars(stmt)
    ]


def third_party_tasks(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the agencies SA contacts per area for `cvr` in `scope`, Regnskab before Løn."""
    stmt = (
        select(ThirdPartyTask)
        .where(scope.clause(ThirdPartyTask.cvr), ThirdPartyTask.cvr == cvr)
        .order_by(ThirdPartyTask.area.desc(), ThirdPartyTask.agency, ThirdPartyTask.id)
    )
    return [
        {"id": row.id, "area": row.area, "agency": row.agency, "contact": row.contact or "", "note": row.note or ""}
        for row in get_session().scalars(stmt)
    ]


def annexes(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the annexes of `cvr` in `scope`, each with its file (only files of `cvr`) and its agreement."""
    stmt = (
        select(Annex, StoredFile, Agreement.title, Agreement.version)
        # The file must belong to the same customer: a mis-linked file of another CVR is never listed.
        .outerjoin(StoredFile, (StoredFile.id == Annex.file_id) & (StoredFile.cvr == Annex.cvr))
        .outerjoin(Agreement, (Agreement.id == Annex.agreement_id) & (Agreement.cvr == Annex.cvr))
        .where(scope.clause(Annex.cvr), Annex.cvr == cvr)
        .order_by(Agreement.title, Agreement.version, Annex.title, Annex.id)
    )
    return [
        {
            "id": annex.id,
            "title": annex.title,
            # Several agreements have a "Bilag 1": the list says which one each belongs to.
            "agreement": f"{agreement_title} (version {agreement_version})" if agreement_title else None,
            "file_id": stored.id if stored is not None else None,
            "filename": stored.filename if stored is not None else None,
            "size": stored.size if stored is not None else None,
        }
        for annex, stored, agreement_title, agreement_version in get_session().execute(stmt)
    ]
