"""Choices for the report pages (goals; units are in `data.units`), scoped like every data-layer read."""

from __future__ import annotations

from sqlalchemy import func, select

from core.access import AccessScope
from data.db import get_session
from data.models import MonthlyRollup, ServiceGoal


def goal_options(scope: AccessScope, cvr: str) -> list[dict[str, str]]:
    """Return the service goals customer `cvr` has cases for, as dropdown options (value: goal id)."""
    used = (
        select(MonthlyRollup.goal_id)
        .where(scope.clause(MonthlyRollup.cvr), MonthlyRollup.cvr == cvr)
        .group_by(MonthlyRollup.goal_id)
        .having(func.sum(MonthlyRollup.handled) > 0)
    )
    stmt = (select(ServiceGoal.id, ServiceGoal.code, ServiceGoal.title).where(ServiceGoal.id.in_(used))
            .order_by(ServiceGoal.sort_order, ServiceGoal.code))
    return [{"label": f"{code} – {title}", "value": goal_id} for goal_id, code, title in get_session().execute(stmt)]


def goal_code(goal_id: int) -> str:
    """Return the code of service goal `goal_id` (goals are not customer data)."""
    return get_session().scalar(select(ServiceGoal.code).where(ServiceGoal.id == goal_id)) or "ukendt"
