"""The privacy log (Persondatalog): every view of a person's data, for insight requests.

Danish public bodies must answer who looked up a person (Datatilsynet's 2024 guidance after
C-579/21). The callbacks and layouts that show persons (contact persons, users, SA team members,
and every export containing them) call `log_views` with what they show: they alone know who is
looking, on which page or export, and which rows reached the screen; the data functions are also
used by saves, mails and demo data, which are no views. Each view is one INSERT of N rows.

SA's system administrator searches the log by person and exports it (Action.READ_PRIVACY_LOG);
`purge` removes entries older than PRIVACY_LOG_RETENTION_DAYS (the CLI and the worker, daily).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from data.audit import origin, user_label
from data.db import get_session, transaction
from data.models import AppMeta, PrivacyLogEntry, utcnow
from data.scoping import unscoped

SEARCH_LIMIT = 1000
MIN_QUERY_LENGTH = 2
DEFAULT_RETENTION_DAYS = 365
PURGE_INTERVAL = dt.timedelta(days=1)
_LAST_PURGE_KEY = "privacy_log_purged_at"

# Entities a view names (stable references: entity + id, with the name at the time).
CONTACT = "contact"
USER = "user"
TEAM_MEMBER = "team_member"
SIGNATORY = "signatory"

ENTITY_LABELS = {CONTACT: "Kontaktperson", USER: "Bruger", TEAM_MEMBER: "Teammedlem", SIGNATORY: "Tegningsberettiget"}


@dataclass(frozen=True)
class PersonRef:
    """A person as shown: what it is (entity + id) and its name and e-mail at the time."""

    entity: str
    id: Any
    name: str = ""
    email: str = ""


def person(entity: str, row: dict[str, Any]) -> PersonRef:
    """Return the reference of a person dict as the data functions return it (id, name, email)."""
    return PersonRef(entity, row.get("id"), str(row.get("name") or ""), str(row.get("email") or ""))


def search_key(name: str, email: str) -> str:
    """Return the folded text a person is searched by (Python's lower(): Æ, Ø and Å too)."""
    return f"{name} {email}".strip().lower()[:460]


def log_views(viewer: Any, source: str, cvr: str | None, persons: Iterable[PersonRef]) -> int:
    """Record that `viewer` saw `persons` of `cvr` on `source` (a page or an export): one INSERT, committed."""
    unique = list({(p.entity, str(p.id)): p for p in persons if p.id is not None}.values())
    if not unique:
        return 0
    with transaction() as session:
        _insert(session, viewer, source, cvr, unique)
    return len(unique)


def signatories(agreement: dict[str, Any]) -> list[PersonRef]:
    """Return the persons who signed an agreement version (SA's and the customer's), as the signature block shows them."""
    # The signatures are names on the version itself: the stable reference is the version and the side.
    return [PersonRef(SIGNATORY, f"agreement:{agreement['id']}:{side}", str(agreement.get(f"{side}_signed_by") or ""))
            for side in ("sa", "customer") if agreement.get(f"{side}_signed_by")]


def seen(viewer: Any, source: str, cvr: str | None, entity: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log that `viewer` saw the person dicts `rows` (id, name, email) and return them unchanged."""
    log_views(viewer, source, cvr, [person(entity, row) for row in rows])
    return rows


def seen_one(viewer: Any, source: str, cvr: str | None, entity: str, row: dict[str, Any] | None) -> Any:
    """Log that `viewer` saw one person dict (nothing for None) and return it unchanged."""
    if row is not None:
        log_views(viewer, source, cvr, [person(entity, row)])
    return row


def _insert(session: Session, viewer: Any, source: str, cvr: str | None, persons: list[PersonRef]) -> None:
    at = utcnow()
    common = {
        "at": at,
        "viewer_id": getattr(viewer, "id", None),
        "viewer_label": user_label(viewer)[:254],
        "cvr": cvr,
        "source": source[:120],
        "client_address": origin(session),
    }
    rows = [
        dict(common, entity=p.entity[:60], entity_id=str(p.id)[:64], person_name=p.name[:200],
             person_email=p.email[:254], search_text=search_key(p.name, p.email))
        for p in persons
    ]
    # A Core executemany: SQLAlchemy sends it as one multi-row INSERT (insertmanyvalues), not N round trips.
    session.execute(insert(PrivacyLogEntry), rows)


def _entry(row: PrivacyLogEntry) -> dict[str, Any]:
    return {
        "id": row.id, "at": row.at, "viewer": row.viewer_label, "cvr": row.cvr or "", "source": row.source,
        "entity": row.entity, "entity_label": ENTITY_LABELS.get(row.entity, row.entity),
        "entity_id": row.entity_id, "name": row.person_name, "email": row.person_email,
        "client_address": row.client_address,
    }


def search(query: Any, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Return the views of persons whose name or e-mail contains `query`, newest first (at most `limit`)."""
    text = query.strip().lower() if isinstance(query, str) else ""
    if len(text) < MIN_QUERY_LENGTH:
        return []
    stmt = (select(PrivacyLogEntry)
            .where(PrivacyLogEntry.search_text.contains(text[:200], autoescape=True))
            .order_by(PrivacyLogEntry.at.desc(), PrivacyLogEntry.id.desc())
            .limit(limit))
    return [_entry(row) for row in get_session().scalars(stmt)]


def retention_days() -> int:
    """Return how many days entries are kept (PRIVACY_LOG_RETENTION_DAYS, default 365)."""
    # At least a day: a zero or negative setting would empty the log at the next purge.
    return max(1, int(current_app.config.get("PRIVACY_LOG_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def purge(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the entries older than the retention period; return how many went."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=retention_days() if days is None else days)
    with transaction() as session, unscoped(session, "privacy log: retention applies to every customer"):
        result = session.execute(delete(PrivacyLogEntry).where(PrivacyLogEntry.at < cutoff)
                                 .execution_options(synchronize_session=False))
        _set_last_purge(session, now)
    return int(result.rowcount or 0)


def _set_last_purge(session: Session, now: dt.datetime) -> None:
    meta = session.get(AppMeta, _LAST_PURGE_KEY)
    if meta is None:
        session.add(AppMeta(key=_LAST_PURGE_KEY, value=now.isoformat()))
    else:
        meta.value = now.isoformat()


def purge_if_due(now: dt.datetime | None = None) -> bool:
    """Purge once a day (the worker's task); the last run is kept in the database, so any worker may do it."""
    now = now or utcnow()
    meta = get_session().get(AppMeta, _LAST_PURGE_KEY)
    if meta is not None:
        try:
            last = dt.datetime.fromisoformat(meta.value)
        except ValueError:
            last = None
        if last is not None and now - last < PURGE_INTERVAL:
            return False
    return purge(now) > 0
