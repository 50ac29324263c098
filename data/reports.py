"""Choices for the report pages (years, units, goals), scoped like every data-layer read."""

from __future__ import annotations

from sqlalchemy import func, select

from core.access import AccessScope
from data.db import get_session
from data.models import AccountingUnit, MonthlyRollup, PayrollGroup, ServiceGoal


def unit_options(scope: AccessScope, cvr: str) -> list[dict[str, str]]:
    """Return the customer's accounting units and payroll groups (code, name, kind)."""
    rows: list[dict[str, str]] = []
    for model, kind in ((AccountingUnit, "Bogføringskreds"), (PayrollGroup, "Løngruppe")):
        stmt = select(model.code, model.name).where(scope.clause(model.cvr), model.cvr == cvr).order_by(model.code)
        rows.extend({"code": code, "name": name, "kind": kind} for code, name in get_session().execute(stmt))
    return rows


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
