"""Scoped reads of the SA team that serves a customer (Kontakt dit team)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth.access import AccessScope
from data.db import get_session
from data.models import TeamMember

SUPPORT_EMAIL = "kundeportal@statens-adm.dk"


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
