"""Rapporter: the KPI dashboard, its filters, drill-through and exports, behind Rapporter + B-number."""

import base64
import csv
import io

import openpyxl
import pytest

from data.db import get_session
from tests._components import response_text, texts
from tests import reports_world, world
from tests.kpi_world import PAY_A, UNIT_A, UNIT_A2


@pytest.fixture
def goals(app):
    with app.app_context():
        return reports_world.build(get_session())


def year():
    return reports_world.months()[0].year


def dashboard(dash_client, year_value, area="alle", unit="alle", cvr=world.CVR_A):
    return dash_client.call(
        "..rapporter-grid.rowData...rapporter-chart.figure...rapporter-status.children...rapporter-drill-month.options"
        "...rapporter-drill-month.value...rapporter-chart-table.children..",
        [{"id": "rapporter-grid", "property": "rowData"}, {"id": "rapporter-chart", "property": "figure"},
         {"id": "rapporter-status", "property": "children"}, {"id": "rapporter-drill-month", "property": "options"},
         {"id": "rapporter-drill-month", "property": "value"}, {"id": "rapporter-chart-table", "property": "children"}],
        [{"id": "rapporter-year", "property": "value", "value": year_value},
         {"id": "rapporter-area", "property": "value", "value": area},
         {"id": "rapporter-unit", "property": "value", "value": unit}],
        [{"id": "rapporter-cvr", "property": "data", "value": cvr}],
    )


def rows_of(response):
    return {row["code"]: row for row in response.get_json()["response"]["rapporter-grid"]["rowData"]}


def test_kpi_table_year_to_date(goals, login, dash_client):
    login(world.RAPPORTER_A)
    response = dashboard(dash_client, year())
    assert response.status_code == 200
    rows = rows_of(response)
    last, prev, _ = reports_world.months()
    a1_handled = 5 + (1 if prev.year == last.year else 0)
    assert rows["A1"]["handled"] == a1_handled and rows["A1"]["not_met"] == 1
    assert rows["A1"]["met"] == a1_handled - 1
    assert rows["L1"]["handled"] == 2 and rows["L1"]["ytd_text"].startswith("100,0 %")
    assert rows["A1"]["target_text"] == "95,0 %"
    assert rows["A1"]["median_text"] is None
    chart = response.get_json()["response"]["rapporter-chart"]["figure"]
    names = [trace["name"] for trace in chart["data"]]
    assert any(name.startswith("A1") for name in names) and "A1 mål" in names


def test_chart_has_a_table_of_its_figures(goals, login, dash_client):
    """The monthly chart's numbers are also given as a table (its text alternative)."""
    login(world.RAPPORTER_A)
    response = dashboard(dash_client, year()).get_json()["response"]
    chart = response["rapporter-chart"]["figure"]
    table = response["rapporter-chart-table"]["children"]
    shown = texts(table)
    assert "Vis tallene bag grafen som tabel" in shown
    a1 = next(trace for trace in chart["data"] if trace["name"].startswith("A1 "))
    row_start = shown.index(a1["name"])
    assert shown[row_start + 1] == "95,0 %"
    expected = ["–" if v is None else f"{v:.1f}".replace(".", ",") + " %" for v in a1["y"]]
    assert shown[row_start + 2: row_start + 2 + len(expected)] == expected
    for month in a1["x"]:
        assert month in shown


def test_filters_area_and_unit(goals, login, dash_client):
    login(world.RAPPORTER_A)
    assert set(rows_of(dashboard(dash_client, year(), area="Løn"))) == {"L1"}
    only_unit2 = rows_of(dashboard(dash_client, year(), unit=UNIT_A2))
    assert only_unit2["A1"]["handled"] == 1 and only_unit2["A1"]["not_met"] == 0
    assert rows_of(dashboard(dash_client, year(), unit=PAY_A))["A1"]["handled"] == 0


@pytest.mark.parametrize("kwargs,message", [
    ({"year_value": 1990}, "Ugyldigt år"), ({"year_value": "2024"}, "Ugyldigt år"),
    ({"year_value": 2025, "area": "Hemmeligt"}, "Ukendt område"),
    ({"year_value": 2025, "unit": "20001"}, "Ukendt bogføringskreds"),
    ({"year_value": 2025, "unit": {"a": 1}}, "Ukendt bogføringskreds"),
])
def test_bad_filters(goals, login, dash_client, kwargs, message):
    login(world.RAPPORTER_A)
    response = dashboard(dash_client, **kwargs)
    assert response.status_code == 200
    assert message in response_text(response)
    assert response.get_json()["response"]["rapporter-grid"]["rowData"] == []


def test_sa_staff_sees_median_of_all_customers(goals, login, dash_client):
    login(world.SA_STAFF)
    rows = rows_of(dashboard(dash_client, year()))
    # A1 YTD: CVR A has 80 % or more, CVR B 0 %: median of two customers lies between.
    assert rows["A1"]["median_text"] not in (None, "–")
    assert world.CVR_B not in str(rows) and "Bøger" not in str(rows)


@pytest.mark.parametrize("email,cvr", [
    (world.LAESER_A, world.CVR_A),        # no Rapporter right
    (world.RAPPORTER_NO_B, world.CVR_A),  # Rapporter, but no B-number
    (world.RAPPORTER_A, world.CVR_B),     # other customer
    (world.TWO_CVRS, world.CVR_A),        # Rapporter only on B
])
def test_refused_on_callbacks_and_page(goals, login, dash_client, email, cvr):
    login(email)
    response = dashboard(dash_client, year(), cvr=cvr)
    assert response.status_code == 403
    page = response_text(dash_client.page("/rapporter", f"?cvr={cvr}"))
    assert "Ingen adgang" in page and "rapporter-grid" not in page
    assert drill(dash_client, goals["A1"], reports_world.months()[0].isoformat(), cvr=cvr).status_code == 403


def test_user_without_b_number_is_told_why(goals, login, dash_client):
    login(world.RAPPORTER_NO_B)
    page = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert "B-nummer" in page


def test_page_renders_for_rapporter_user(goals, login, dash_client):
    login(world.RAPPORTER_A)
    page = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert "KPI - Dashboard" in page and "rapporter-grid" in page and "10002 – SA Projekter" in page


def drill(dash_client, goal_id, month, unit="alle", cvr=world.CVR_A, trigger="rapporter-drill-button"):
    return dash_client.call(
        "rapporter-download.data", {"id": "rapporter-download", "property": "data"},
        [{"id": "rapporter-drill-button", "property": "n_clicks", "value": 1},
         {"id": "rapporter-export-csv", "property": "n_clicks", "value": 1},
         {"id": "rapporter-export-xlsx", "property": "n_clicks", "value": 1}],
        [{"id": "rapporter-goal", "property": "value", "value": goal_id},
         {"id": "rapporter-drill-month", "property": "value", "value": month},
         {"id": "rapporter-year", "property": "value", "value": year()},
         {"id": "rapporter-area", "property": "value", "value": "alle"},
         {"id": "rapporter-unit", "property": "value", "value": unit},
         {"id": "rapporter-cvr", "property": "data", "value": cvr}],
        changed=[f"{trigger}.n_clicks"],
    )


def _csv_rows(response):
    data = response.get_json()["response"]["rapporter-download"]["data"]
    return data["filename"], list(csv.DictReader(io.StringIO(data["content"].lstrip("\ufeff")), delimiter=";"))


def test_drill_through_returns_exactly_the_cases_behind_the_figure(goals, login, dash_client):
    login(world.RAPPORTER_A)
    last, _, _ = reports_world.months()
    name, rows = _csv_rows(drill(dash_client, goals["A1"], last.isoformat()))
    assert name.startswith(f"Sager_A1_{last:%Y-%m}_{world.CVR_A}")
    assert sorted(r["Sagsreference"] for r in rows) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert [r["Overholdt"] for r in rows].count("Nej") == 1
    missed = next(r for r in rows if r["Sagsreference"] == "A-4")
    assert int(missed["Arbejdsdage"]) > 3 and missed["Enhed"] == UNIT_A
    # Independent recomputation: met / handled from the download equals the Information figure 80,0 %.
    assert [r["Overholdt"] for r in rows].count("Ja") / len(rows) == 0.8
    _, unit_rows = _csv_rows(drill(dash_client, goals["A1"], last.isoformat(), unit=UNIT_A2))
    assert [r["Sagsreference"] for r in unit_rows] == ["A-5"]


@pytest.mark.parametrize("goal,month", [("A1", "2024-01-01"), (999, None), (None, "x"), (True, "2099-01-01")])
def test_drill_through_bad_input_downloads_nothing(goals, login, dash_client, goal, month):
    login(world.RAPPORTER_A)
    goal_id = goals.get(goal, goal) if isinstance(goal, str) else goal
    month = month if month != "2024-01-01" else "2024-01-15"
    response = drill(dash_client, goal_id, month)
    assert response.status_code == 204


def test_drill_through_cannot_reach_other_customers_goal_cases(goals, login, dash_client):
    login(world.ADMIN_AB)
    last, _, _ = reports_world.months()
    _, rows = _csv_rows(drill(dash_client, goals["A1"], last.isoformat(), cvr=world.CVR_A))
    assert all(r["Sagsreference"].startswith("A-") for r in rows)


def test_export_table_with_filters(goals, login, dash_client):
    login(world.RAPPORTER_A)
    response = dash_client.call(
        "rapporter-download.data", {"id": "rapporter-download", "property": "data"},
        [{"id": "rapporter-drill-button", "property": "n_clicks", "value": 0},
         {"id": "rapporter-export-csv", "property": "n_clicks", "value": 0},
         {"id": "rapporter-export-xlsx", "property": "n_clicks", "value": 1}],
        [{"id": "rapporter-goal", "property": "value", "value": None},
         {"id": "rapporter-drill-month", "property": "value", "value": None},
         {"id": "rapporter-year", "property": "value", "value": year()},
         {"id": "rapporter-area", "property": "value", "value": "Løn"},
         {"id": "rapporter-unit", "property": "value", "value": "alle"},
         {"id": "rapporter-cvr", "property": "data", "value": world.CVR_A}],
        changed=["rapporter-export-xlsx.n_clicks"],
    )
    data = response.get_json()["response"]["rapporter-download"]["data"]
    assert data["filename"].startswith(f"KPI_{year()}_Løn_{world.CVR_A}")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][0] == "Mål" and [row[0] for row in values[1:]] == ["L1"]
    assert values[1][4] == 2


def test_histogram(goals, login, dash_client):
    login(world.RAPPORTER_A)
    response = dash_client.call(
        "..rapporter-histogram.figure...rapporter-histogram-table.children..",
        [{"id": "rapporter-histogram", "property": "figure"}, {"id": "rapporter-histogram-table", "property": "children"}],
        [{"id": "rapporter-goal", "property": "value", "value": goals["A1"]},
         {"id": "rapporter-year", "property": "value", "value": year()},
         {"id": "rapporter-unit", "property": "value", "value": "alle"}],
        [{"id": "rapporter-cvr", "property": "data", "value": world.CVR_A}],
    )
    bar = response.get_json()["response"]["rapporter-histogram"]["figure"]["data"][0]
    counts = dict(zip(bar["x"], bar["y"]))
    assert counts[0] >= 4 and sum(counts.values()) >= 5
    # The same counts as a table, the chart's text alternative.
    shown = texts(response.get_json()["response"]["rapporter-histogram-table"]["children"])
    for day, count in counts.items():
        start = shown.index(str(day), shown.index("Antal sager"))
        assert shown[start + 1] == str(count)
