"""Scoped reads of a customer's meetings (Møder) and their documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.access import AccessScope
from data.db import get_session
from data.models import Meeting, StoredFile
from data.workdays import DANISH_TZ

# Document kinds in the order the page lists them, with their Danish labels.
DOCUMENT_KINDS: dict[str, str] = {"dagsorden": "Dagsorden", "materiale": "Materiale", "referat": "Referat"}

# Years outside this range are never meeting years; it bounds what a forged filter can ask for.
MIN_YEAR, MAX_YEAR = 1990, 2100


def _danish_year(value: dt.datetime) -> int:
    # A meeting at 00:30 on 1 January Danish time is stored on 31 December in UTC.
    return value.astimezone(DANISH_TZ).year


def meeting_years(scope: AccessScope, cvr: str) -> list[int]:
    """Return the years in which customer `cvr` (inside `scope`) has meetings, newest first."""
    stmt = select(Meeting.held_at).where(scope.clause(Meeting.cvr), Meeting.cvr == cvr)
    years = {_danish_year(held) for held in get_session().scalars(stmt)}
    return sorted(years, reverse=True)


def parse_year(value: Any) -> int | None:
    """Return `value` as a plausible meeting year, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        year = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 4:
        year = int(value.strip())
    else:
        return None
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def meetings(scope: AccessScope, cvr: str, year: int | None = None,
             now: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Return the meetings of `cvr` inside `scope`, split into 'upcoming' and 'past', newest first."""
    # Only documents whose stored file belongs to the same customer are listed, so a document row
    # pointing at another customer's file can never surface here.
    now = now or dt.datetime.now(dt.timezone.utc)
    stmt = (
        select(Meeting)
        .options(selectinload(Meeting.documents))
        .where(scope.clause(Meeting.cvr), Meeting.cvr == cvr)
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
    )
    session = get_session()
    rows = [m for m in session.scalars(stmt) if year is None or _danish_year(m.held_at) == year]
    file_ids = {d.file_id for m in rows for d in m.documents}
    files: dict[int, StoredFile] = {}
    if file_ids:
        file_stmt = select(StoredFile).where(
            StoredFile.id.in_(sorted(file_ids)), StoredFile.cvr == cvr, scope.clause(StoredFile.cvr)
        )
        files = {f.id: f for f in session.scalars(file_stmt)}
    order = {kind: i for i, kind in enumerate(DOCUMENT_KINDS)}
    result: dict[str, list[dict[str, Any]]] = {"upcoming": [], "past": []}
    for meeting in rows:
        held = meeting.held_at
        docs = sorted(
            (d for d in meeting.documents if d.file_id in files),
            key=lambda d: (order.get(d.kind, len(order)), d.id),
        )
        entry = {
            "id": meeting.id,
            "held_at": held,
            "title": meeting.title,
            "kind": meeting.kind,
            "documents": [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "kind_label": DOCUMENT_KINDS.get(d.kind, d.kind.capitalize()),
                    "title": d.title,
                    "file_id": d.file_id,
                    "filename": files[d.file_id].filename,
                    "size": files[d.file_id].size,
                }
                for d in docs
            ],
        }
        result["upcoming" if held > now else "past"].append(entry)
    # Upcoming meetings read best soonest first.
    result["upcoming"].reverse()
    return result


__all__ = ["DOCUMENT_KINDS", "meeting_years", "meetings", "parse_year"]
