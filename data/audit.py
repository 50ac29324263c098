"""The audit log: who changed what, when, with the state before and after.

Any area may call `record` inside its own unit of work, so the audit row commits (or rolls
back) together with the change it describes.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import AccessScope
from data.db import transaction
from data.models import AuditLog

HISTORY_LIMIT = 200
_ORIGIN_KEY = "portal_client_address"


def bind_origin(session: Session, address: str | None) -> None:
    """Record that the session's changes come from client `address` (set by the access wrapper per request)."""
    session.info[_ORIGIN_KEY] = (address or "")[:45]


def origin(session: Session) -> str:
    """Return the client address bound to the session by the access wrapper ('' outside requests)."""
    return session.info.get(_ORIGIN_KEY, "")


def _jsonable(value: Any) -> Any:
    # JSON columns take only plain types; timestamps and decimals become strings.
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def user_label(user: Any) -> str:
    """Return how a user is named in the audit log: 'Name (email)', or 'system' without a user."""
    if user is None:
        return "system"
    name = (getattr(user, "name", "") or "").strip()
    email = (getattr(user, "email", "") or "").strip()
    if name and email:
        return f"{name} ({email})"
    return name or email or "ukendt"


def record(
    session: Session,
    user: Any,
    action: str,
    entity: str,
    entity_id: Any,
    cvr: str | None,
    before: dict | None,
    after: dict | None,
) -> AuditLog:
    """Add one audit row for `action` on `entity` `entity_id` of `cvr` (not committed; caller commits)."""
    row = AuditLog(
        user_id=getattr(user, "id", None) if user is not None else None,
        user_label=user_label(user)[:254],
        cvr=cvr,
        action=action[:60],
        entity=entity[:60],
        entity_id=None if entity_id is None else str(entity_id)[:64],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        client_address=session.info.get(_ORIGIN_KEY, ""),
    )
    session.add(row)
    return row


def history(session: Session, scope: AccessScope, cvr: str, entity: str, entity_id: Any,
            limit: int = HISTORY_LIMIT) -> list[AuditLog]:
    """Return the audit rows of one entity of `cvr`, newest first (none when `cvr` is outside `scope`)."""
    stmt = (
        select(AuditLog)
        .where(
            scope.clause(AuditLog.cvr),
            AuditLog.cvr == cvr,
            AuditLog.entity == entity,
            AuditLog.entity_id == str(entity_id),
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def record_download(user: Any, entity: str, entity_id: Any, cvr: str | None, filename: str) -> None:
    """Write and commit one audit row saying that `user` downloaded a document of `cvr`."""
    with transaction() as session:
        record(session, user, "download", entity, entity_id, cvr, None, {"filename": filename})
