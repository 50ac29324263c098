"""Scoped reads of the SA team that serves a customer (Kontakt dit team)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from core.access import AccessScope
from data.db import get_session
from data.models import TeamMember

DEFAULT_SUPPORT_EMAIL = "kundeportal@statens-adm.dk"


def support_email() -> str:
    """Return the address users are told to write to (the SUPPORT_EMAIL setting)."""
    if has_app_context():
        return current_app.config.get("SUPPORT_EMAIL") or DEFAULT_SUPPORT_EMAIL
    return DEFAULT_SUPPORT_EMAIL


def team_members(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the SA team members of customer `cvr` if it lies in `scope`, ordered by role and name."""
    stmt = (
        select(TeamMember)
        .where(scope.clause(TeamMember.cvr), TeamMember.cvr == cvr)
        .order_by(TeamMember.role, TeamMember.name, TeamMember.id)
    )
    return [
        {"id": row.id, "name": row.name, "role": row.role, "email": row.email, "phone": row.phone or ""}
        for row in get_session().scalars(stmt)
    ]
