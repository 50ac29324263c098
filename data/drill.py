"""Scoped reads behind the on-screen drill-through: the cases behind one figure, with their deadlines.

A figure is one goal of one customer in one month (optionally one unit). `cases` returns its cases
as `kpi.drill_through` reads them, plus each case's deadline under the rule in force that month, so
the grid can show why a case was late. Outside `scope` every read is empty, never an error.
`earliest_month` gives the first month with figures, so the period pickers reach all of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from core.access import AccessScope
from data import goals as goal_data
from data import kpi
from data.db import get_session
from data.models import MonthlyRollup, ServiceGoal
from data.rules import by_day_deadline, month_start
from data.workdays import busday_calendar, to_days

CASE_COLUMNS = kpi.DRILL_COLUMNS + ["deadline"]


def earliest_month(scope: AccessScope, cvr: str) -> dt.date | None:
    """Return the first month with figures for `cvr` (None without any, or outside `scope`)."""
    if not scope.allows(cvr):
        return None
    stmt = select(func.min(MonthlyRollup.month)).where(scope.clause(MonthlyRollup.cvr), MonthlyRollup.cvr == cvr)
    return get_session().scalar(stmt)


def goal_of(scope: AccessScope, cvr: str, goal: Any) -> dict[str, Any] | None:
    """Return id, code and title of a goal `cvr` has figures for, given its id or code; else None."""
    if isinstance(goal, bool) or not isinstance(goal, (int, str)) or (isinstance(goal, str) and len(goal) > 10):
        return None
    ids = kpi.customer_goal_ids(scope, cvr)
    if not ids:
        return None
    column = ServiceGoal.id if isinstance(goal, int) else ServiceGoal.code
    row = get_session().execute(select(ServiceGoal.id, ServiceGoal.code, ServiceGoal.title)
                                .where(column == goal, ServiceGoal.id.in_(ids))).first()
    return None if row is None else {"goal_id": row.id, "code": row.code, "title": row.title}


def deadlines(rule_kind: str, rule_value: int, received: Sequence[Any]) -> np.ndarray:
    """Return the deadline dates (datetime64[D]) of cases received on `received` under one rule."""
    days = to_days(list(received)) if len(received) else np.array([], dtype="datetime64[D]")
    if not days.size:
        return days
    if rule_kind == "by_day_of_month":
        return by_day_deadline(days, int(rule_value))
    # Within N working days: the N-th working day after receipt (as `workdays.add_working_days`).
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    calendar = busday_calendar(int(years.min()), int(years.max()) + 1 + int(rule_value) // 200)
    return np.busday_offset(days, int(rule_value), roll="backward", busdaycal=calendar)


def cases(scope: AccessScope, cvr: str, goal_id: int, month: dt.date, *,
          unit_code: str | None = None) -> pd.DataFrame:
    """Return the cases behind one goal and month of `cvr` with each case's deadline (empty outside `scope`)."""
    frame = kpi.drill_through(scope, cvr, goal_id, month, unit_code=unit_code)
    if frame.empty:
        frame["deadline"] = pd.Series(dtype=object)
        return frame[CASE_COLUMNS]
    versions = goal_data.goal_versions(goal_ids=[goal_id]).get(int(goal_id))
    rule = goal_data.rule_in_force(versions, month_start(month)) if versions else None
    if rule is None:
        frame["deadline"] = None
    else:
        frame["deadline"] = [d.astype(dt.date) for d in deadlines(rule.rule_kind, rule.rule_value,
                                                                    frame["received_at"].tolist())]
    return frame[CASE_COLUMNS]
