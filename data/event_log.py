"""Hændelseslog: the audit rows of changes on one customer's CVR, SA's changes included, for its administrators.

The rows are read in SQL inside the administrator's scope (the CVRs on which they hold
Brugeradministration's right) and the checked CVR. Downloads are no changes and are left out;
changes to an agreement version or a meeting customers cannot read yet (drafts) are left out until
it is published, and document uploads to a meeting wait for its publication line. Only the names of
the changed fields are shown: the values may hold persons' data, which the pages show under the
privacy log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.access import AccessScope
from data.db import get_session
from data.models import Agreement, AuditLog, Meeting

LIMIT = 500

ENTITY_LABELS = {
    "agreement": "Kundeaftale", "exemption": "Dispensation", "add_on": "Tilkøb", "third_party_task": "3. partsopgave",
    "annex": "Bilag", "meeting": "Møde", "action_item": "Aktion", "runbook": "Drejebog", "customer": "Stamdata",
    "accounting_unit": "Bogføringskreds", "payroll_group": "Løngruppe", "contact": "Kontaktperson",
    "team_member": "Teammedlem", "user": "Bruger", "signatory": "Tegningsberettiget",
}
ACTION_LABELS = {
    "create": "Oprettet", "update": "Ændret", "delete": "Slettet", "publish": "Udgivet", "end": "Afsluttet",
    "replace": "Erstattet", "withdraw": "Trukket tilbage", "withdraw_document": "Dokument trukket tilbage",
    "close": "Lukket", "reopen": "Genåbnet", "grant": "Rettigheder tilføjet", "deactivate": "Deaktiveret",
    "reactivate": "Genaktiveret", "remove_grant": "Adgang fjernet", "mitid_link": "MitID tilknyttet",
    # The electronic approval of an agreement version (data.approvals), step by step.
    "request_approval": "Sendt til godkendelse", "approve": "Godkendt af tegningsberettiget",
    "sign": "Underskrevet elektronisk og forseglet",
}
# Entities with drafts customers may not see: the audit row's record must be published.
_DRAFTED = {"agreement": Agreement, "meeting": Meeting}
_NOT_CHANGES = ("download", "add_documents")


def _changed_fields(before: dict | None, after: dict | None) -> list[str]:
    before, after = before or {}, after or {}
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def _published_ids(scope: AccessScope, cvr: str) -> dict[str, set[str]]:
    session = get_session()
    return {
        entity: {str(i) for i in session.scalars(
            select(model.id).where(model.cvr == cvr, scope.clause(model.cvr), model.published_at.is_not(None)))}
        for entity, model in _DRAFTED.items()
    }


def changes(scope: AccessScope, cvr: str, limit: int = LIMIT) -> list[dict[str, Any]]:
    """Return the newest changes on `cvr` (none outside `scope`): when, who, what, which fields."""
    stmt = (
        select(AuditLog)
        .where(scope.clause(AuditLog.cvr), AuditLog.cvr == cvr, AuditLog.action.not_in(_NOT_CHANGES))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    published = _published_ids(scope, cvr)
    result = []
    for row in get_session().scalars(stmt):
        if row.entity in published and row.entity_id not in published[row.entity]:
            continue
        result.append({
            "id": row.id, "at": row.at, "who": row.user_label,
            "what": ENTITY_LABELS.get(row.entity, row.entity), "entity_id": row.entity_id or "",
            "action": ACTION_LABELS.get(row.action, row.action),
            "fields": _changed_fields(row.before, row.after),
        })
    return result
