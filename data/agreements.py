"""Scoped reads of a customer's agreements, exemptions, add-ons, third-party tasks and annexes.

Customers read published agreement versions only (`published_at` set, filtered in SQL); a draft is
read through `draft`, which answers SA staff only. SA's writes live in `data.agreement_edits`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from core.access import AccessScope, can_do
from core.rights import Action
from data.db import get_session
from data.models import (
    AccountingUnit,
    AddOn,
    Agreement,
    Annex,
    ApprovalEvent,
    Customer,
    Exemption,
    PayrollGroup,
    StoredFile,
    ThirdPartyTask,
)
from data.workdays import danish_today

# URL/tab key -> Agreement.kind, and the Danish title used in the UI and file names.
AGREEMENT_KINDS: dict[str, str] = {"kundeaftale": "customer", "databehandleraftale": "data_processing"}
AGREEMENT_TITLES: dict[str, str] = {"kundeaftale": "Kundeaftale", "databehandleraftale": "Databehandleraftale"}


# A legacy body opened with the parties ("Mellem ... (herefter "Kunden")"); the parties now come from
# Stamdata, so that block is left out when the body is read as sections.
_PARTIES_START = re.compile(r"^\s*Mellem\s*$")
_PARTIES_END = re.compile(r'\(herefter\s+["“”»]?Kunden["“”«]?\)\s*$')
# A legacy heading paragraph: "3. Servicemål" (one short line); the number is given when rendered.
_NUMBERED_HEADING = re.compile(r"^\s*\d{1,2}\.\s+(\S[^\n]{0,120})$")


def legacy_sections(body: str | None) -> list[dict[str, str]]:
    """Return the ordered sections [{heading, body}] of a plain-text body written before sections existed."""
    paragraphs = [p.strip() for p in (body or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    if paragraphs and _PARTIES_START.match(paragraphs[0]):
        end = next((i for i, p in enumerate(paragraphs) if _PARTIES_END.search(p)), None)
        if end is not None:
            paragraphs = paragraphs[end + 1:]
    sections: list[dict[str, str]] = []
    for paragraph in paragraphs:
        heading = _NUMBERED_HEADING.match(paragraph)
        if heading:
            sections.append({"heading": heading.group(1).strip(), "body": ""})
        elif sections and sections[-1]["heading"] and not sections[-1]["body"]:
            sections[-1]["body"] = paragraph
        elif sections and sections[-1]["heading"]:
            sections[-1]["body"] += "\n\n" + paragraph
        else:
            sections.append({"heading": "", "body": paragraph})
    return sections


def sections_of(row: Agreement) -> list[dict[str, str]]:
    """Return an agreement's ordered sections: its own, or those read from a legacy body."""
    if row.sections is not None:
        return [{"heading": str(s.get("heading") or ""), "body": str(s.get("body") or "")}
                for s in row.sections if isinstance(s, dict)]
    return legacy_sections(row.body)


# The one signature state of an agreement version, read by the panel, the Bilag tab, the PDF and the start page.
ELECTRONIC = "electronic"  # both parties approved in the portal: the approval records, sealed PDF
PENDING = "pending"  # sent for electronic approval; the approval records so far
PAPER = "paper"  # signed on paper before electronic approval: the signatures SA recorded from the signed copy
UNSIGNED = "unsigned"  # neither


def signature_state(row: Agreement) -> dict[str, Any]:
    """Return who signed a version and how (`signature_status` and names/times), from its one source of truth."""
    if row.approval_requested_at is not None:
        # Sent for electronic approval: only the approval records count, whatever else the row holds.
        events = {ev.party: ev for ev in get_session().scalars(
            select(ApprovalEvent).where(ApprovalEvent.cvr == row.cvr, ApprovalEvent.agreement_id == row.id))}
        sa, customer = events.get("sa"), events.get("customer")
        return {"signature_status": ELECTRONIC if row.signed_at is not None else PENDING,
                "sa_signed_by": sa.signer_name if sa else None, "sa_signed_at": sa.approved_at if sa else None,
                "customer_signed_by": customer.signer_name if customer else None,
                "customer_signed_at": customer.approved_at if customer else None}
    if row.sa_signed_by or row.customer_signed_by:
        # Signed on paper: the names and dates SA recorded from the signed copy (its scan is under Bilag).
        return {"signature_status": PAPER,
                "sa_signed_by": row.sa_signed_by, "sa_signed_at": row.sa_signed_at if row.sa_signed_by else None,
                "customer_signed_by": row.customer_signed_by,
                "customer_signed_at": row.customer_signed_at if row.customer_signed_by else None}
    return {"signature_status": UNSIGNED, "sa_signed_by": None, "sa_signed_at": None, "customer_signed_by": None,
            "customer_signed_at": None}


def agreement_dict(row: Agreement, key: str) -> dict[str, Any]:
    """Return one agreement version as the pages and the PDF read it (signatures from the one approval state)."""
    return {
        "id": row.id,
        "cvr": row.cvr,
        "key": key,
        "kind": row.kind,
        "title": row.title,
        "body": row.body or "",
        "version": row.version,
        "valid_from": row.valid_from,
        **(state := signature_state(row)),
        # Derived, never stored apart: electronically signed means both parties' approval records exist.
        "signed_electronically": state["signature_status"] == ELECTRONIC,
        "approval_requested_at": row.approval_requested_at,
        "approval_pdf_sha256": row.approval_pdf_sha256,
        "signed_at": row.signed_at,
        "sealed_file_id": row.sealed_file_id,
        "signed_file_id": row.signed_file_id,
        "sections": sections_of(row),
        "published_at": row.published_at,
        "row_version": row.row_version,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def _all_versions(scope: AccessScope, cvr: str, key: str):
    kind = AGREEMENT_KINDS.get(key) if isinstance(key, str) else None
    if kind is None:
        return None
    return select(Agreement).where(scope.clause(Agreement.cvr), Agreement.cvr == cvr, Agreement.kind == kind)


def _versions(scope: AccessScope, cvr: str, key: str):
    stmt = _all_versions(scope, cvr, key)
    # Only published versions: a draft never reaches a customer, whatever the request says.
    return None if stmt is None else stmt.where(Agreement.published_at.is_not(None))


def draft(scope: AccessScope, cvr: str, key: str, user: Any) -> dict[str, Any] | None:
    """Return the unpublished draft of agreement `key` of `cvr` for SA staff (`user`), else None."""
    if not can_do(user, Action.EDIT_CONTENT):
        return None
    stmt = _all_versions(scope, cvr, key)
    if stmt is None:
        return None
    row = get_session().scalar(stmt.where(Agreement.published_at.is_(None)).order_by(Agreement.id.desc()).limit(1)
                               .execution_options(populate_existing=True))
    return agreement_dict(row, key) if row is not None else None


def versions(scope: AccessScope, cvr: str, key: str) -> list[dict[str, Any]]:
    """Return every published version of agreement `key` of `cvr`, newest start first (for SA's overview)."""
    stmt = _versions(scope, cvr, key)
    if stmt is None:
        return []
    rows = get_session().scalars(stmt.order_by(Agreement.valid_from.desc().nulls_last(), Agreement.id.desc()))
    return [agreement_dict(row, key) for row in rows]


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
    return agreement_dict(row, key) if row is not None else None


def upcoming_agreement(scope: AccessScope, current: dict[str, Any], today: dt.date | None = None) -> dict[str, Any] | None:
    """Return the version after `current` (the agreement in force, from `agreement`) that starts later, or None."""
    today = today or danish_today()
    if current["valid_from"] is None or current["valid_from"] > today:
        return None  # nothing in force yet: `current` is itself the one to come
    row = get_session().scalar(
        _versions(scope, current["cvr"], current["key"]).where(Agreement.valid_from > today)
        .order_by(Agreement.valid_from.asc(), Agreement.id.desc()).limit(1))
    return agreement_dict(row, current["key"]) if row is not None else None


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
    return item is not None and item["signature_status"] != ELECTRONIC


def customer_facts(scope: AccessScope, cvr: str) -> dict[str, Any] | None:
    """Return name, CVR, address, EAN and units of customer `cvr` in `scope`, from Stamdata (agreement and PDF)."""
    session = get_session()
    row = session.scalar(select(Customer).where(scope.clause(Customer.cvr), Customer.cvr == cvr))
    if row is None:
        return None
    units = session.execute(select(AccountingUnit.code, AccountingUnit.name)
                            .where(scope.clause(AccountingUnit.cvr), AccountingUnit.cvr == cvr)
                            .order_by(AccountingUnit.code)).all()
    groups = session.execute(select(PayrollGroup.code, PayrollGroup.name)
                             .where(scope.clause(PayrollGroup.cvr), PayrollGroup.cvr == cvr)
                             .order_by(PayrollGroup.code)).all()
    return {"cvr": row.cvr, "name": row.name, "address": row.address or "", "ean": row.ean or "",
            "accounting_units": [f"{code} {name}" for code, name in units],
            "payroll_groups": [f"{code} {name}" for code, name in groups]}


def _ended(end: dt.date | None, today: dt.date) -> bool:
    return end is not None and end < today


def _edit_facts(row: Any) -> dict[str, Any]:
    return {"row_version": row.row_version, "updated_at": row.updated_at, "updated_by": row.updated_by}


def _exemption_dict(row: Exemption, today: dt.date) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "description": row.description or "", "granted_on": row.granted_on,
            "expires_on": row.expires_on, "expired": _ended(row.expires_on, today), **_edit_facts(row)}


def _add_on_dict(row: AddOn, today: dt.date) -> dict[str, Any]:
    return {"id": row.id, "service": row.service, "description": row.description or "", "start_date": row.start_date,
            "end_date": row.end_date, "ended": _ended(row.end_date, today), **_edit_facts(row)}


def _task_dict(row: ThirdPartyTask, today: dt.date) -> dict[str, Any]:
    return {"id": row.id, "area": row.area, "agency": row.agency, "contact": row.contact or "",
            "note": row.note or "", "end_date": row.end_date, "ended": _ended(row.end_date, today), **_edit_facts(row)}


def exemptions(scope: AccessScope, cvr: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return the exemptions of `cvr` in `scope`, newest first, each marked whether it has expired."""
    today = today or danish_today()
    stmt = (
        select(Exemption)
        .where(scope.clause(Exemption.cvr), Exemption.cvr == cvr)
        .order_by(Exemption.granted_on.desc(), Exemption.id.desc())
        .execution_options(populate_existing=True)
    )
    return [_exemption_dict(row, today) for row in get_session().scalars(stmt)]


def add_ons(scope: AccessScope, cvr: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return the services `cvr` (in `scope`) bought, newest first, each marked whether it has ended."""
    today = today or danish_today()
    stmt = (
        select(AddOn)
        .where(scope.clause(AddOn.cvr), AddOn.cvr == cvr)
        .order_by(AddOn.start_date.desc(), AddOn.id.desc())
        .execution_options(populate_existing=True)
    )
    return [_add_on_dict(row, today) for row in get_session().scalars(stmt)]


def third_party_tasks(scope: AccessScope, cvr: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return the agencies SA contacts per area for `cvr` in `scope`, Regnskab before Løn, marked when ended."""
    today = today or danish_today()
    stmt = (
        select(ThirdPartyTask)
        .where(scope.clause(ThirdPartyTask.cvr), ThirdPartyTask.cvr == cvr)
        .order_by(ThirdPartyTask.area.desc(), ThirdPartyTask.agency, ThirdPartyTask.id)
        .execution_options(populate_existing=True)
    )
    return [_task_dict(row, today) for row in get_session().scalars(stmt)]


def annexes(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the current annexes of `cvr` in `scope` (not replaced or withdrawn), each with its own file."""
    stmt = (
        select(Annex, StoredFile, Agreement.title, Agreement.version)
        # The file must belong to the same customer: a mis-linked file of another CVR is never listed.
        .outerjoin(StoredFile, (StoredFile.id == Annex.file_id) & (StoredFile.cvr == Annex.cvr))
        .outerjoin(Agreement, (Agreement.id == Annex.agreement_id) & (Agreement.cvr == Annex.cvr))
        .where(scope.clause(Annex.cvr), Annex.cvr == cvr, Annex.superseded_at.is_(None), Annex.withdrawn_at.is_(None))
        .order_by(Agreement.title, Agreement.version, Annex.title, Annex.id)
        .execution_options(populate_existing=True)
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
            "revision": annex.revision,
            "row_version": annex.row_version,
        }
        for annex, stored, agreement_title, agreement_version in get_session().execute(stmt)
    ]
