"""Service goals and case helpers shared by the analytics tests (workdays, rules, import, KPI)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import ServiceGoal
from tests import world

# (code, area, title, rule_text, target, kind, value)
GOALS = [
    ("A1", "Regnskab", "Kreditortransaktioner", "Kreditortransaktioner bogføres inden 3 arbejdsdage fra modtagelse af opgaven.",
     95, "within_days", 3),
    ("A5", "Regnskab", "Udarbejd perioderegnskab", "Regnskabet udføres senest den 15. i hver måned.", 100, "by_day_of_month", 15),
    ("L1", "Løn", "Lønindberetninger", "Lønindberetninger behandles inden 2 arbejdsdage.", 98, "within_days", 2),
    ("R1", "Rejser", "Rejseafregninger", "Rejseafregninger bogføres inden 3 arbejdsdage fra modtagelse af opgaven.",
     95, "within_days", 3),
]

UNIT_A = "10001"  # bogføringskreds of CVR_A
UNIT_A2 = "10002"
PAY_A = "LG100"  # løngruppe of CVR_A
UNIT_B = "20001"


def add_goals(session: Session) -> dict[str, int]:
    """Create the test goals (once) and return code -> id."""
    existing = {g.code: g.id for g in session.scalars(select(ServiceGoal))}
    for order, (code, area, title, text, target, kind, value) in enumerate(GOALS, start=1):
        if code not in existing:
            session.add(ServiceGoal(code=code, area=area, title=title, rule_text=text, target_pct=target,
                                    rule_kind=kind, rule_value=value, sort_order=order))
    session.commit()
    return {g.code: g.id for g in session.scalars(select(ServiceGoal))}


def rec(ref: str, received: str, completed: str | None, goal: str = "A1", unit: str = UNIT_A,
        cvr: str = world.CVR_A) -> dict[str, Any]:
    """Return one import record."""
    return {"cvr": cvr, "goal_code": goal, "unit_code": unit, "case_ref": ref,
            "received_at": received, "completed_at": completed or ""}
