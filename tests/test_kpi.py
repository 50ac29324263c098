"""KPI reads over roll-ups: report, KPI table, series, histogram, SA median, drill-through, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.access import EMPTY_SCOPE, AccessScope
from data import kpi
from data.cases_import import import_case_records
from data.db import get_session
from data.models import MonthlyRollup
from tests import world
from tests.kpi_world import PAY_A, UNIT_A, UNIT_A2, UNIT_B, add_goals, rec

TODAY = dt.date(2024, 7, 10)  # latest closed month: June 2024
APR, MAY, JUN = dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1)
SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_B = AccessScope.single(world.CVR_B)
SA = AccessScope(all_customers=True)


def cases() -> list[dict]:
    rows = [
        # A1 (within 3 days), CVR A: April 2/2 met, May 1/2, June none.
        rec("A-1", "2024-04-08", "2024-04-09"), rec("A-2", "2024-04-08", "2024-04-11", unit=UNIT_A2),
        rec("A-3", "2024-05-01", "2024-05-02"), rec("A-4", "2024-05-01", "2024-05-10", unit=UNIT_A2),
        rec("A-5", "2024-06-28", ""),  # open: counts nowhere
        rec("A-6", "2024-07-01", "2024-07-02"),  # July is not closed yet
        # A5 (by the 15th): 15 June 2024 is a Saturday, so the deadline is Monday the 17th
        # meet it, A-9 (the 18th) does not: June 2 met of 3.
        rec("A-7", "2024-06-03", "2024-06-14", goal="A5"), rec("A-8", "2024-06-03", "2024-06-17", goal="A5"),
        rec("A-9", "2024-05-20", "2024-06-18", goal="A5"),
        # L1 Løn, April.
        rec("A-10", "2024-04-02", "2024-04-03", goal="L1", unit=PAY_A),
        # CVR B: A1 June 1/1, A5 nothing.
        rec("B-1", "2024-06-03", "2024-06-04", cvr=world.CVR_B, unit=UNIT_B),
        rec("B-2", "2024-03-04", "2024-03-20", cvr=world.CVR_B, unit=UNIT_B),
    ]
    return rows


@pytest.fixture
def data(app):
    with app.app_context():
        goals = add_goals(get_session())
        report = import_case_records(get_session(), cases())
        assert report.ok, report.errors
        yield goals


def test_service_goal_report(data):
    report = kpi.service_goal_report(SCOPE_A, world.CVR_A, today=TODAY)
    frame = report.frame
    assert list(report.months) == [APR, MAY, JUN]
    assert list(frame.columns) == kpi.GOAL_COLUMNS + ["2024-04", "2024-05", "2024-06"]
    assert frame["code"].tolist() == ["A1", "A5", "L1"]  # Regnskab first, then Løn
    by_code = frame.set_index("code")
    assert by_code.loc["A1", ["2024-04", "2024-05", "2024-06"]].tolist() == [100.0, 50.0, None]
    assert by_code.loc["A5", ["2024-04", "2024-05", "2024-06"]].tolist() == [None, None, 66.6]
    assert by_code.loc["L1", "2024-04"] == 100.0
    assert by_code.loc["A1", "target_pct"] == 95.0
    assert by_code.loc["A1", "rule_text"].startswith("Kreditortransaktioner bogføres")
    earlier = kpi.service_goal_report(SCOPE_A, world.CVR_A, dt.date(2024, 5, 17), today=TODAY)
    assert list(earlier.months) == [dt.date(2024, 3, 1), APR, MAY]
    unit = kpi.service_goal_report(SCOPE_A, world.CVR_A, today=TODAY, unit_code=UNIT_A2).frame.set_index("code")
    assert unit.loc["A1", ["2024-04", "2024-05"]].tolist() == [100.0, 0.0]


def test_kpi_table_year_to_date(data):
    frame = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY).frame
    assert list(frame.columns) == kpi.KPI_COLUMNS
    rows = frame.set_index("code")
    assert rows.loc["A1", ["handled", "met", "not_met"]].tolist() == [4, 3, 1]  # July not counted
    assert rows.loc["A1", "achievement"] == 75.0
    assert rows.loc["A5", ["handled", "met", "not_met", "achievement"]].tolist() == [3, 2, 1, 66.6]
    only_lon = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, area="Løn", today=TODAY).frame
    assert only_lon["code"].tolist() == ["L1"]
    unit = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, unit_code=[UNIT_A2], today=TODAY).frame.set_index("code")
    assert unit.loc["A1", ["handled", "met"]].tolist() == [2, 1]
    assert unit.loc["L1", "handled"] == 0 and unit.loc["L1", "achievement"] is None
    nothing_closed = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=dt.date(2024, 1, 3)).frame
    assert nothing_closed["handled"].sum() == 0 and set(nothing_closed["achievement"]) == {None}


def test_monthly_series_and_histogram(data):
    series = kpi.monthly_series(SCOPE_A, world.CVR_A, 2024, today=TODAY, goal_ids=[data["A1"]])
    assert series["month"].tolist() == [dt.date(2024, m, 1) for m in range(1, 7)]
    assert series["achievement"].tolist() == [None, None, None, 100.0, 50.0, None]
    assert series["handled"].tolist() == [0, 0, 0, 2, 2, 0]
    histogram = kpi.days_histogram(SCOPE_A, world.CVR_A, data["A1"], 2024, today=TODAY)
    assert histogram.to_dict("records") == [{"days_taken": 1, "count": 2}, {"days_taken": 3, "count": 1},
                                            {"days_taken": 6, "count": 1}]  # 9 May: Kristi himmelfart
    june = kpi.days_histogram(SCOPE_A, world.CVR_A, data["A5"], 2024, month=JUN)
    assert june["count"].sum() == 3


@pytest.mark.parametrize("filters", [{}, {"area": "Løn"}, {"area": "Regnskab", "unit_code": UNIT_A2}, {"unit_code": PAY_A}])
def test_dashboard_is_table_and_series_from_one_read(data, filters):
    """The dashboard's table and series equal the separate reads, and the table is the series summed."""
    report, series = kpi.dashboard(SCOPE_A, world.CVR_A, 2024, today=TODAY, **filters)
    alone = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY, **filters)
    table = report.frame
    assert table.to_dict("records") == alone.frame.to_dict("records") and report.months == alone.months
    assert series.to_dict("records") == kpi.monthly_series(SCOPE_A, world.CVR_A, 2024, today=TODAY,
                                                           **filters).to_dict("records")
    assert list(table.columns) == kpi.KPI_COLUMNS and list(series.columns) == kpi.SERIES_COLUMNS
    months = list(report.months)
    for record in table.to_dict("records"):
        rows = series[series["goal_id"] == record["goal_id"]]
        assert rows["month"].tolist() == months
        assert (record["handled"], record["met"]) == (rows["handled"].sum(), rows["met"].sum())
        assert record["not_met"] == record["handled"] - record["met"]
    assert kpi.dashboard(SCOPE_B, world.CVR_A, 2024, today=TODAY)[1].empty


def test_filter_options(data):
    options = kpi.filter_options(SCOPE_A, world.CVR_A)
    assert options["areas"] == ["Regnskab", "Løn"]
    assert options["units"] == sorted([UNIT_A, UNIT_A2, PAY_A])
    assert options["years"] == [2024] and JUN in options["months"]


def test_a_future_year_in_the_data_is_not_offered(data, app):
    # Bad source data may hold a completion next year; the dashboard refuses that year, so the picker
    # must not offer it.
    with app.app_context():
        report = import_case_records(get_session(), [rec("FREMTID-1", "2025-01-06 09:00", "2025-01-07 10:00")])
        assert report.ok
        options = kpi.filter_options(SCOPE_A, world.CVR_A, today=TODAY)
        assert options["years"] == [2024] and dt.date(2025, 1, 1) in options["months"]
        assert kpi.filter_options(SCOPE_A, world.CVR_A, today=dt.date(2025, 2, 1))["years"] == [2024, 2025]


def test_sa_median_only_for_sa_and_anonymous(data):
    frame = kpi.sa_median_achievement(SA, 2024, today=TODAY)
    assert list(frame.columns) == kpi.MEDIAN_COLUMNS
    a1 = frame.set_index("code").loc["A1"]
    assert a1["median_achievement"] == pytest.approx((75.0 + 50.0) / 2)  # A: 3/4, B: 1/2
    assert a1["customers"] == 2
    assert world.CVR_A not in frame.to_string() and world.CVR_B not in frame.to_string()
    assert kpi.sa_median_achievement(SCOPE_A, 2024, today=TODAY).empty


def test_sa_median_from_exact_fractions_rounded_down_once(app):
    # A: 1 of 3 met (33,33… %), B: 1 of 2 (50 %): the exact median is 41,66… % and shows as 41,6 %.
    # The median of the rounded figures (33,3 and 50,0 -> 41,65, shown 41,7) was biased upwards.
    with app.app_context():
        add_goals(get_session())
        report = import_case_records(get_session(), [
            rec("A-1", "2024-04-08", "2024-04-09"), rec("A-2", "2024-04-08", "2024-04-30"),
            rec("A-3", "2024-04-08", "2024-04-30"),
            rec("B-1", "2024-04-08", "2024-04-09", cvr=world.CVR_B, unit=UNIT_B),
            rec("B-2", "2024-04-08", "2024-04-30", cvr=world.CVR_B, unit=UNIT_B),
        ])
        assert report.ok, report.errors
        frame = kpi.sa_median_achievement(SA, 2024, today=TODAY)
        assert frame.set_index("code").loc["A1", "median_achievement"] == 41.6


@pytest.mark.parametrize("scope", [SCOPE_B, EMPTY_SCOPE])
def test_scope_without_the_cvr_returns_nothing(data, scope):
    assert kpi.service_goal_report(scope, world.CVR_A, today=TODAY).frame.empty
    assert kpi.kpi_table(scope, world.CVR_A, 2024, today=TODAY).frame.empty
    assert kpi.monthly_series(scope, world.CVR_A, 2024, today=TODAY).empty
    assert kpi.days_histogram(scope, world.CVR_A, data["A1"], 2024, today=TODAY).empty
    assert kpi.drill_through(scope, world.CVR_A, data["A1"], APR).empty
    assert kpi.filter_options(scope, world.CVR_A)["units"] == []
    assert kpi.customer_goal_ids(scope, world.CVR_A) == []


@pytest.mark.parametrize("scope", [SCOPE_B, EMPTY_SCOPE])
def test_the_statements_built_once_filter_by_the_scope_in_sql(data, scope):
    """The shape-cached reads, called past the `allows` check, still read nothing outside the scope."""
    goals = kpi._read_goals()
    assert goals
    assert kpi._read_goals(customer=(scope, world.CVR_A)) == []
    figures = kpi._read_figures(scope, world.CVR_A, [APR, MAY, JUN], None, open_goals=goals, today=TODAY)
    assert figures.counts == [] and figures.reopened == {}
    assert figures.open_counts == {g.goal_id: (0, 0) for g in goals}
    assert kpi._monthly_counts(scope, world.CVR_A, [APR, MAY, JUN], [UNIT_A]) == []


def test_a_statement_built_once_runs_only_with_the_scope_bound(data):
    """Without the scope's CVRs the run fails in SQLAlchemy; it never reads unscoped."""
    from sqlalchemy.exc import ArgumentError, InvalidRequestError, StatementError

    stmt = kpi._counts_stmt(False, False)
    with pytest.raises((ArgumentError, InvalidRequestError, StatementError)):
        get_session().execute(stmt, {"cvr": world.CVR_A, "first_month": APR, "last_month": JUN}).all()
    assert "IN" not in str(kpi._counts_stmt(True, False))  # SA staff: every customer, no list


def test_one_statement_serves_every_customer_with_their_own_figures(data):
    """Reports of A, B and A again (one cached statement, values bound per run) each show their own cases."""
    first = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY, with_open=True)
    other = kpi.kpi_table(SCOPE_B, world.CVR_B, 2024, today=TODAY, with_open=True)
    again = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY, with_open=True)
    assert first.rows == again.rows and first.open_counts == again.open_counts
    assert {r["code"]: r["handled"] for r in other.rows} == {"A1": 2}
    assert {r["code"]: r["handled"] for r in first.rows} == {"A1": 4, "A5": 3, "L1": 1}
    assert first.open_counts[data["A1"]] == (1, 1)  # A-5, received 28 June: overdue on 10 July
    staff = kpi.kpi_table(SA, world.CVR_B, 2024, today=TODAY)
    assert staff.rows == other.rows


def test_drill_through_returns_exactly_the_cases_behind_each_figure(data):
    session = get_session()
    for rollup in session.scalars(select(MonthlyRollup)):
        scope = AccessScope.single(rollup.cvr)
        cases = kpi.drill_through(scope, rollup.cvr, rollup.goal_id, rollup.month, unit_code=rollup.unit_code)
        assert list(cases.columns) == kpi.DRILL_COLUMNS
        assert len(cases) == rollup.handled
        assert int(cases["met"].sum()) == rollup.met
        histogram = cases["days_taken"].value_counts().to_dict()
        assert {str(k): v for k, v in histogram.items()} == rollup.days_histogram
        assert all(c.year == rollup.month.year and c.month == rollup.month.month for c in cases["completed_at"])
    april = kpi.drill_through(SCOPE_A, world.CVR_A, data["A1"], dt.date(2024, 4, 20))
    assert april["case_ref"].tolist() == ["A-1", "A-2"]
    assert april.iloc[1].to_dict() == {"case_ref": "A-2", "unit_code": UNIT_A2, "received_at": dt.datetime(2024, 4, 8),
                                       "completed_at": dt.datetime(2024, 4, 11), "days_taken": 3, "met": True}
    # The KPI figures add up to the drill-through rows.
    table = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY).frame.set_index("code")
    rows = [kpi.drill_through(SCOPE_A, world.CVR_A, data["A1"], dt.date(2024, m, 1)) for m in range(1, 7)]
    assert sum(len(r) for r in rows) == table.loc["A1", "handled"]
    assert sum(int(r["met"].sum()) for r in rows) == table.loc["A1", "met"]


def test_goal_choices_follow_the_area(data):
    """The drill-through's goals: only those with cases, of the chosen area, in the table's order."""
    assert [g["code"] for g in kpi.goal_choices(SCOPE_A, world.CVR_A)] == ["A1", "A5", "L1"]
    assert kpi.goal_choices(SCOPE_A, world.CVR_A, "Løn") == [
        {"goal_id": data["L1"], "code": "L1", "title": "Lønindberetninger", "area": "Løn"}]
    assert kpi.goal_choices(SCOPE_A, world.CVR_A, "Rejser") == []
    assert kpi.goal_choices(SCOPE_B, world.CVR_A) == [] and kpi.goal_choices(EMPTY_SCOPE, world.CVR_A) == []
    assert kpi.goal_codes()[:4] == ["A1", "A5", "L1", "R1"]


def test_area_units_offer_the_units_of_the_area(data, app):
    def codes(area):
        return [u["code"] for u in kpi.area_units(SCOPE_A, world.CVR_A, area)]

    assert codes(None) == [UNIT_A, UNIT_A2, PAY_A]
    assert codes("Regnskab") == [UNIT_A, UNIT_A2] and codes("Rejser") == [UNIT_A, UNIT_A2]
    assert codes("Løn") == [PAY_A] and codes("Refusion") == [PAY_A]
    # A unit that holds cases of the area's goals is offered even against the convention.
    with app.app_context():
        assert import_case_records(get_session(), [rec("R-1", "2024-04-08", "2024-04-09", goal="R1", unit=PAY_A)]).ok
    assert codes("Rejser") == [UNIT_A, UNIT_A2, PAY_A]
    assert kpi.area_units(SCOPE_B, world.CVR_A, "Løn") == []


def test_open_cases_per_goal_and_past_their_deadline_today(data):
    # A-5 (A1, within 3 days) was received Friday 28 June and is still open on 10 July: 8 working days,
    # past its deadline (3 July). A-11, received 9 July, is open but not late; B's open case is B's.
    session = get_session()
    assert import_case_records(session, [rec("A-11", "2024-07-09", ""), rec("A-12", "2024-07-01", "", goal="A5"),
                                         rec("B-3", "2024-06-03", "", cvr=world.CVR_B, unit=UNIT_B)]).ok
    report_before = kpi.service_goal_report(SCOPE_A, world.CVR_A, JUN, today=TODAY).frame.to_dict("records")
    frame = kpi.open_cases(SCOPE_A, world.CVR_A, today=TODAY)
    assert list(frame.columns) == kpi.OPEN_COLUMNS
    counts = {g: (o, late) for g, o, late in frame.itertuples(index=False)}
    assert counts == {data["A1"]: (2, 1), data["A5"]: (1, 0), data["L1"]: (0, 0)}
    # A5 (by the 15th): received 1 July, deadline Monday 15 July; on 16 July it is late.
    assert kpi.open_cases(SCOPE_A, world.CVR_A, goal_ids=[data["A5"]], today=dt.date(2024, 7, 16)).iloc[0].tolist() == [
        data["A5"], 1, 1]
    rows = kpi.open_case_rows(SCOPE_A, world.CVR_A, data["A1"], today=TODAY)
    assert list(rows.columns) == kpi.OPEN_CASE_COLUMNS
    assert rows[["case_ref", "deadline", "working_days", "overdue"]].values.tolist() == [
        ["A-5", dt.date(2024, 7, 3), 8, True], ["A-11", dt.date(2024, 7, 12), 1, False]]
    late = kpi.open_case_rows(SCOPE_A, world.CVR_A, data["A1"], overdue_only=True, today=TODAY)
    assert late["case_ref"].tolist() == ["A-5"]
    # Another customer's scope sees nothing of A's; open cases never change a closed month's figures.
    assert kpi.open_cases(SCOPE_B, world.CVR_A, today=TODAY).empty
    assert kpi.open_case_rows(SCOPE_B, world.CVR_A, data["A1"], today=TODAY).empty
    assert kpi.service_goal_report(SCOPE_A, world.CVR_A, JUN, today=TODAY).frame.to_dict("records") == report_before


def test_reopened_cases_are_counted_apart(data):
    # A-3 (A1, completed in May) is reopened, then completed again in June: June counts it, "heraf genåbnet" 1.
    session = get_session()
    assert import_case_records(session, [rec("A-3", "2024-05-01", "")], reopen=True).ok
    assert import_case_records(session, [rec("A-3", "2024-05-01", "2024-06-03")]).ok
    table = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY).frame.set_index("code")
    assert table.loc["A1", ["handled", "reopened"]].tolist() == [4, 1]
    assert table.loc["A5", "reopened"] == 0
    report = kpi.service_goal_report(SCOPE_A, world.CVR_A, JUN, today=TODAY)
    assert report.reopened_in(data["A1"], JUN) == 1 and report.reopened_in(data["A1"], MAY) == 0
    assert kpi.kpi_table(SCOPE_B, world.CVR_A, 2024, today=TODAY).frame.empty


@pytest.mark.parametrize("unit", [None, UNIT_A2])
def test_open_and_reopened_read_with_the_figures_equal_their_own_reads(data, unit):
    """The reports' one statement (figures, reopened and open cases) gives what the separate reads give."""
    session = get_session()
    assert import_case_records(session, [rec("A-11", "2024-07-09", ""), rec("A-12", "2024-07-01", "", goal="A5"),
                                         rec("A-13", "2024-06-03", "", unit=UNIT_A2)]).ok
    assert import_case_records(session, [rec("A-3", "2024-05-01", "")], reopen=True).ok
    assert import_case_records(session, [rec("A-3", "2024-05-01", "2024-06-03")]).ok
    table = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, unit_code=unit, today=TODAY, with_open=True)
    alone = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, unit_code=unit, today=TODAY)
    assert alone.open_counts is None and table.records() == alone.records()
    assert table.frame.to_dict("records") == alone.frame.to_dict("records") == table.records()
    separate = kpi.open_cases(SCOPE_A, world.CVR_A, goal_ids=[r["goal_id"] for r in table.records()],
                              unit_code=unit, today=TODAY)
    assert table.open_counts == {g: (n, late) for g, n, late in separate.itertuples(index=False)}
    assert table.open_counts[data["A1"]] == ((1, 1) if unit else (3, 2))
    # The Servicemålsrapport counts the open cases of the chosen unit too, as its drill-through shows them.
    report = kpi.service_goal_report(SCOPE_A, world.CVR_A, JUN, unit_code=unit, today=TODAY, with_open=True)
    of_unit = kpi.open_cases(SCOPE_A, world.CVR_A, unit_code=unit, today=TODAY)
    assert report.open_counts == {g: (n, late) for g, n, late in of_unit.itertuples(index=False)}
    assert report.open_counts[data["A1"]] == ((1, 1) if unit else (3, 2))
    assert report.reopened_in(data["A1"], JUN) == (0 if unit else 1) and report.records() == kpi.service_goal_report(
        SCOPE_A, world.CVR_A, JUN, unit_code=unit, today=TODAY).records()
    assert kpi.kpi_table(SCOPE_B, world.CVR_A, 2024, today=TODAY, with_open=True).records() == []


def test_a_figure_and_its_mark_never_disagree_1899_of_2000(app):
    # 1.899 of 2.000 met is 94,95 %: it used to show "95,0 % ✓" beside 101 late cases. Now the figure is
    # rounded down (94,9 %) and the mark is decided on the exact fraction (not met), in the KPI table, the
    # Servicemålsrapport, its cell and its export alike.
    from callbacks.information import export_rows
    from pages._service_report import _mark

    with app.app_context():
        add_goals(get_session())
        records = [rec(f"M-{i}", "2024-04-08", "2024-04-09") for i in range(1899)]
        records += [rec(f"L-{i}", "2024-04-08", "2024-04-30") for i in range(101)]
        assert import_case_records(get_session(), records).ok
        row = kpi.kpi_table(SCOPE_A, world.CVR_A, 2024, today=TODAY).frame.set_index("code").loc["A1"]
        assert (row["achievement"], row["target_met"], row["not_met"]) == (94.9, False, 101)
        report = kpi.service_goal_report(SCOPE_A, world.CVR_A, APR, months_shown=1, today=TODAY)
        a1 = report.frame.set_index("code").loc["A1"]
        assert a1["2024-04"] == 94.9 and report.met(a1["goal_id"], APR) is False
        cell = str(_mark(94.9, report.met(a1["goal_id"], APR)))
        assert "94,9 % " in cell and "'children': '✗'" in cell and "mål ikke nået" in cell and "kpi-missed" in cell
        rows, _columns = export_rows([APR], [a1.to_dict() | {"code": "A1"}])
        assert rows[0]["2024-04"] == 94.9
