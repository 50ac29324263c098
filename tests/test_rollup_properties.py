"""Property: after any sequence of imports and re-imports, roll-ups and open counts equal a direct recomputation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from data.cases_import import import_case_records
from data.db import get_session
from data.models import Case, MonthlyRollup, OpenCaseDay, ServiceGoal
from data.rules import evaluate, month_start
from data.workdays import days_taken
from tests import world
from tests.kpi_world import PAY_A, UNIT_A, UNIT_A2, UNIT_B, add_goals

PLACES = [(world.CVR_A, UNIT_A), (world.CVR_A, UNIT_A2), (world.CVR_A, PAY_A), (world.CVR_B, UNIT_B)]
FIRST = dt.date(2023, 12, 1)

record = st.fixed_dictionaries({
    "place": st.sampled_from(PLACES),
    "goal": st.sampled_from(["A1", "A5", "L1"]),
    "received": st.integers(0, 150),   # days after FIRST: spans Christmas, New Year, Easter, Store Bededag's old date
    "taken": st.one_of(st.none(), st.integers(0, 45)),  # None: still open
    "hour": st.integers(0, 23),
})
# Each batch: case ref (from a small pool, so re-imports happen) -> record.
batches = st.lists(st.dictionaries(st.sampled_from([f"S{i}" for i in range(10)]), record, max_size=8), min_size=1, max_size=3)


def to_records(batch: dict) -> list[dict]:
    rows = []
    for ref, r in batch.items():
        received = dt.datetime.combine(FIRST + dt.timedelta(days=r["received"]), dt.time(r["hour"]))
        completed = None if r["taken"] is None else received + dt.timedelta(days=r["taken"], hours=(23 - r["hour"]) * (r["taken"] > 0))
        cvr, unit = r["place"]
        rows.append({"cvr": cvr, "goal_code": r["goal"], "unit_code": unit, "case_ref": ref,
                     "received_at": received.isoformat(sep=" "), "completed_at": completed.isoformat() if completed else "",
                     # Reopening a closed case must be explicit; for a new or open case it changes nothing.
                     "status": "" if completed else "genåbnet"})
    return rows


def direct_rollups(session) -> dict:
    """Recompute roll-ups from the cases with the scalar rules, independent of the import's SQL and numpy."""
    goals = {g.id: g for g in session.scalars(select(ServiceGoal))}
    totals: dict = defaultdict(lambda: [0, 0, defaultdict(int)])
    for case in session.scalars(select(Case)):
        if case.completed_at is None:
            assert case.days_taken is None and case.met is None
            continue
        goal = goals[case.goal_id]
        days = days_taken(case.received_at.date(), case.completed_at.date())
        met = evaluate(goal.rule_kind, goal.rule_value, case.received_at.date(), case.completed_at.date())
        assert (case.days_taken, case.met) == (days, met)
        entry = totals[(case.cvr, case.goal_id, case.unit_code, month_start(case.completed_at))]
        entry[0] += 1
        entry[1] += int(met)
        entry[2][days] += 1
    return {key: (h, m, dict(hist)) for key, (h, m, hist) in totals.items()}


def stored_rollups(session) -> dict:
    return {(r.cvr, r.goal_id, r.unit_code, r.month): (r.handled, r.met, {int(k): v for k, v in r.days_histogram.items()})
            for r in session.scalars(select(MonthlyRollup))}


def direct_open_counts(session) -> dict:
    """Count the open cases per customer, goal, unit and day of receipt from the cases themselves."""
    counts: dict = defaultdict(int)
    for case in session.scalars(select(Case).where(Case.completed_at.is_(None))):
        counts[(case.cvr, case.goal_id, case.unit_code, case.received_at.date())] += 1
    return dict(counts)


def stored_open_counts(session) -> dict:
    return {(r.cvr, r.goal_id, r.unit_code, r.received_on): r.open_cases for r in session.scalars(select(OpenCaseDay))}


@pytest.fixture
def goals(app):
    with app.app_context():
        add_goals(get_session())
        yield


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches, chunk_size=st.sampled_from([1, 3, 1000]))
def test_rollups_equal_direct_recomputation(goals, batches, chunk_size):
    session = get_session()
    session.execute(delete(MonthlyRollup))
    session.execute(delete(OpenCaseDay))
    session.execute(delete(Case))
    session.commit()
    stored_cvr: dict[str, str] = {}
    for batch in batches:
        report = import_case_records(session, to_records(batch), chunk_size=chunk_size)
        moved = {ref for ref, r in batch.items() if ref in stored_cvr and stored_cvr[ref] != r["place"][0]}
        if moved:
            # A case never moves to another customer: the batch is refused for those lines, nothing written.
            assert not report.ok and {e.reason.split("'")[1] for e in report.errors} == moved, report.errors
        else:
            assert report.ok, report.errors
            assert report.inserted + report.updated == len(batch)
            stored_cvr.update({ref: r["place"][0] for ref, r in batch.items()})
        assert dict(session.execute(select(Case.case_ref, Case.cvr)).all()) == stored_cvr  # never duplicated or moved
        assert stored_rollups(session) == direct_rollups(session)
        # Closing, reopening and new open cases all move the counts the pages read.
        assert stored_open_counts(session) == direct_open_counts(session)
