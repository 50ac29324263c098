"""Cases for the report pages: known figures in the latest closed months for CVR A (and B)."""

from __future__ import annotations

import datetime as dt

from data.cases_import import import_case_records
from data.rules import add_months, latest_closed_month
from tests import world
from tests.kpi_world import PAY_A, UNIT_A2, UNIT_B, add_goals, rec


def months() -> tuple[dt.date, dt.date, dt.date]:
    """Return the latest closed month and the two before it."""
    last = latest_closed_month()
    return last, add_months(last, -1), add_months(last, -2)


def _day(month: dt.date, day: int) -> str:
    return month.replace(day=day).isoformat() + " 10:00"


def build(session) -> dict[str, int]:
    """Import the report cases and return goal code -> id.

    Latest closed month M: A1 on unit 10001: 3 met (same day), 1 missed (received 40 days
    earlier); A1 on 10002: 1 met; L1 on LG100: 2 met. M-1: A1 1 met. M-2: nothing.
    CVR B: A1 in M, 5 missed — never to be seen by users of A.
    """
    goals = add_goals(session)
    last, prev, _ = months()
    records = [
        rec("A-1", _day(last, 10), _day(last, 10)),
        rec("A-2", _day(last, 11), _day(last, 11)),
        rec("A-3", _day(last, 12), _day(last, 12)),
        rec("A-4", (last.replace(day=20) - dt.timedelta(days=40)).isoformat() + " 09:00", _day(last, 20)),
        rec("A-5", _day(last, 13), _day(last, 13), unit=UNIT_A2),
        rec("A-L1", _day(last, 14), _day(last, 14), goal="L1", unit=PAY_A),
        rec("A-L2", _day(last, 15), _day(last, 15), goal="L1", unit=PAY_A),
        rec("A-P1", _day(prev, 5), _day(prev, 5)),
        rec("A-OPEN", _day(last, 16), None),
    ]
    records += [
        rec(f"B-{i}", (last.replace(day=20) - dt.timedelta(days=40)).isoformat() + " 09:00", _day(last, 20),
            unit=UNIT_B, cvr=world.CVR_B)
        for i in range(5)
    ]
    report = import_case_records(session, records)
    assert report.ok, report.summary_lines()
    return goals
