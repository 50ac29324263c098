"""Rapporter: the KPI dashboard, its filters, drill-through and exports, behind Rapporter + B-number."""

import base64
import csv
import io
import re

import openpyxl
import pytest

from callbacks.rapporter import CONTEXT_COLOUR, GoalSeries, chart_figure
from data.db import get_session
from core.formatting import da_month_abbr
from pages.ids import rapporter as ids
from pages.ids import shell as shell_ids
from tests._components import tagged, kpi_table_rows, response_text, texts
from tests._dash import sql_statements
from tests import reports_world, world
from tests.kpi_world import PAY_A, UNIT_A, UNIT_A2


@pytest.fixture
def goals(app):
    with app.app_context():
        return reports_world.build(get_session())


def year():
    return reports_world.months()[0].year


def dashboard(dash_client, year_value, area="alle", unit="alle", cvr=world.CVR_A, sort=None):
    return dash_client.fire(ids.YEAR, "value", output=ids.TABLE, cvr=cvr, initial=True,
                            values={ids.YEAR: year_value, ids.AREA: area, ids.UNIT: unit, ids.SORT: sort or {},
                                    ids.SORT_REQUEST: {}})


def sort_click(dash_client, field, sort=None, cvr=world.CVR_A):
    """Fire the table's callback as a click on `field`'s header does (assets/drill.js), the table sorted `sort`."""
    return dash_client.fire(ids.SORT_REQUEST, "data", output=ids.TABLE, cvr=cvr,
                            values={ids.YEAR: year(), ids.AREA: "alle", ids.UNIT: "alle", ids.SORT: sort or {},
                                    ids.SORT_REQUEST: {"value": field, "at": 1}})


def chart(dash_client, year_value, area="alle", unit="alle", goal=None, cvr=world.CVR_A, trigger=ids.CHARTS_SEEN):
    """Fire the monthly chart as the browser does when it scrolls into view (or a filter changes after)."""
    prop = "data" if trigger == ids.CHARTS_SEEN else "value"
    return dash_client.fire(trigger, prop, output=ids.CHART_BOX, cvr=cvr,
                            values={ids.YEAR: year_value, ids.AREA: area, ids.UNIT: unit, ids.GOAL: goal,
                                    ids.CHARTS_SEEN: True})


def chart_of(dash_client, year_value, **kwargs):
    """Return the monthly chart's figure."""
    return chart(dash_client, year_value, **kwargs).get_json()["response"][ids.CHART_BOX]["children"]["props"]["figure"]


def rows_of(response):
    """Return the KPI table's rows by goal code: counts as numbers, the rest as the text shown (None: no column)."""
    return kpi_table_rows(response.get_json()["response"][ids.TABLE]["children"])


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
    figure = chart_of(dash_client, year())
    names = [trace["name"] for trace in figure["data"]]
    assert any(name.startswith("A1") for name in names) and "Servicemål A1" in names


def test_a_filter_change_reads_in_three_statements(app, goals, login, dash_client):
    """Sign-in, the goals with their versions, the figures with reopened and open cases; a unit adds its check."""
    # Each statement is a round trip on PostgreSQL: the dashboard's filter changes are what users do most.
    login(world.RAPPORTER_A)
    dashboard(dash_client, year())  # the test client's first call also fetches the callback map
    with sql_statements(app) as statements:
        assert rows_of(dashboard(dash_client, year()))["A1"]["handled"]
    assert len(statements) == 3, statements
    with sql_statements(app) as statements:
        assert dashboard(dash_client, year(), unit=UNIT_A).status_code == 200
    assert len(statements) == 4, statements


def figures_table(dash_client, year_value, area="alle", unit="alle", clicks=1, cvr=world.CVR_A):
    return dash_client.fire(ids.TABLE_TOGGLE, "n_clicks", output=ids.CHART_TABLE, cvr=cvr, values={
        ids.TABLE_TOGGLE: clicks, ids.YEAR: year_value, ids.AREA: area, ids.UNIT: unit})


def test_chart_has_a_table_of_its_figures(goals, login, dash_client):
    """The monthly chart's numbers are also given as a table (its text alternative), drawn when asked for."""
    login(world.RAPPORTER_A)
    response = dashboard(dash_client, year()).get_json()["response"]
    figure = chart_of(dash_client, year())
    # Not drawn with the dashboard: the button draws it, and hides it again.
    assert ids.CHART_TABLE not in response
    opened = figures_table(dash_client, year()).get_json()["response"]
    assert opened[ids.TABLE_TOGGLE] == {"children": "Skjul tabellen med tallene", "aria-expanded": "true"}
    shown = texts(opened[ids.CHART_TABLE]["children"])
    closed = figures_table(dash_client, year(), clicks=2).get_json()["response"]
    assert closed[ids.CHART_TABLE]["children"] is None and closed[ids.TABLE_TOGGLE]["aria-expanded"] == "false"
    a1 = next(trace for trace in figure["data"] if trace["name"].startswith("A1 "))
    row_start = shown.index(a1["name"])
    assert shown[row_start + 1] == "95,0 %"
    expected = ["–" if v is None else f"{v:.1f}".replace(".", ",") + " %" for v in a1["y"]]
    assert shown[row_start + 2: row_start + 2 + len(expected)] == expected
    for month in a1["x"]:
        assert month in shown


def coloured(figure):
    return [t for t in figure["data"] if t["line"]["color"] != CONTEXT_COLOUR and not t["name"].startswith("Servicemål")]


def test_chart_shows_the_chosen_goal_in_colour_and_the_others_grey(goals, login, dash_client):
    """One goal in colour with its target line dashed and labelled; every other goal a thin grey line behind it."""
    login(world.RAPPORTER_A)
    figure = chart_of(dash_client, year())
    # Without a choice, the first goal (A1) is the coloured one; L1 is grey behind it (drawn first).
    assert [t["name"].split()[0] for t in coloured(figure)] == ["A1"]
    grey = [t for t in figure["data"] if t["line"]["color"] == CONTEXT_COLOUR]
    assert [t["name"].split()[0] for t in grey] == ["L1"] and figure["data"][0] == grey[0]
    assert all(t["mode"] == "lines" and t["line"]["width"] < 2 for t in grey)
    target = next(t for t in figure["data"] if t["name"] == "Servicemål A1")
    assert target["line"]["dash"] == "dash" and target["line"]["color"] == coloured(figure)[0]["line"]["color"]
    assert target["hovertemplate"].startswith("Servicemål A1: 95,0 %")
    layout = figure["layout"]
    assert [a["text"] for a in layout["annotations"]] == ["Servicemål 95,0 %"]
    assert layout["showlegend"] is False and "height" not in layout
    assert layout["title"]["text"].startswith("A1 ")
    # The axis starts 5 points below the chosen goal's lowest figure or target, not at 0.
    low = min([v for v in coloured(figure)[0]["y"] if v is not None] + [95.0])
    assert layout["yaxis"]["range"] == [max(0.0, (low - 5) // 5 * 5), 101]
    assert layout["xaxis"]["ticktext"][-1] == da_month_abbr(reports_world.months()[0])


def test_picking_a_goal_redraws_only_the_chart(goals, login, dash_client):
    login(world.RAPPORTER_A)
    body = chart(dash_client, year(), goal=goals["L1"], trigger=ids.GOAL).get_json()["response"]
    figure = body[ids.CHART_BOX]["children"]["props"]["figure"]
    assert [t["name"].split()[0] for t in coloured(figure)] == ["L1"]
    assert "Servicemål 98,0 %" in [a["text"] for a in figure["layout"]["annotations"]]
    # Nothing else is sent again: the grid and the table are not redrawn (no callback of theirs listens to it).
    assert set(body) == {ids.CHART_BOX}
    listeners = [cb["output"] for cb in dash_client.dependencies()
                 if any(i["id"] == ids.GOAL and i["property"] == "value" for i in cb["inputs"])]
    assert listeners and not [output for output in listeners if ids.TABLE in output]
    # A goal id the customer has no figures for colours nothing of it: the first goal is shown.
    forged = chart_of(dash_client, year(), goal=99999, trigger=ids.GOAL)
    assert [t["name"].split()[0] for t in coloured(forged)] == ["A1"]


def test_charts_below_the_fold_are_not_drawn_on_load(goals, login, dash_client):
    """The page is ready when the table is drawn: chart and histogram wait until they scroll into view."""
    login(world.RAPPORTER_A)
    page = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert 'data-lazy' in page and ids.CHARTS_SEEN in page
    for output in (ids.CHART_BOX, ids.HISTOGRAM_BOX):
        spec = next(cb for cb in dash_client.dependencies() if output in cb["output"])
        assert spec["prevent_initial_call"] is True
        # Fired before the marker was seen (a filter changed first), it draws nothing.
        values = {ids.YEAR: year(), ids.UNIT: "alle", ids.GOAL: goals["A1"], ids.CHARTS_SEEN: False}
        values |= {ids.AREA: "alle"} if output == ids.CHART_BOX else {}
        unseen = dash_client.fire(ids.YEAR, "value", output=output, cvr=world.CVR_A, values=values)
        assert unseen.status_code == 204
    # Another customer's CVR with the store set is refused like any callback.
    assert chart(dash_client, year(), cvr=world.CVR_B).status_code == 403


def test_each_catalogue_goal_keeps_its_own_colour_when_chosen():
    goals = [GoalSeries(f"G{i}", f"Mål {i}", 95.0, [reports_world.months()[0]], [90.0]) for i in range(10)]
    colours = {coloured(chart_figure(goals, selected=f"G{i}"))[0]["line"]["color"] for i in range(10)}
    symbols = {coloured(chart_figure(goals, selected=f"G{i}"))[0]["marker"]["symbol"] for i in range(10)}
    assert len(colours) == 10 and len(symbols) == 10 and CONTEXT_COLOUR not in colours


def pickers(dash_client, area="alle", clicked=None, goal=None, unit="alle", cvr=world.CVR_A, trigger="area",
            memory=None):
    changed = (ids.AREA, "value") if trigger == "area" else (ids.PICK, "data")
    return dash_client.fire(*changed, output=ids.GOAL_MEMORY, cvr=cvr,
                            values={ids.AREA: area, ids.PICK: clicked, ids.GOAL: goal, ids.UNIT: unit,
                                    ids.GOAL_MEMORY: memory})


def test_goal_and_unit_pickers_follow_the_area(goals, login, dash_client):
    login(world.RAPPORTER_A)
    response = pickers(dash_client, area="Løn", goal=goals["A1"], unit=UNIT_A).get_json()["response"]
    assert response[ids.GOAL] == {"options": [{"label": "L1 – Lønindberetninger", "value": goals["L1"]}],
                                          "value": goals["L1"]}
    assert [o["value"] for o in response[ids.UNIT]["options"]] == ["alle", PAY_A]
    assert response[ids.UNIT]["value"] == "alle"
    # A goal and unit that still fit are kept (not sent again).
    kept = pickers(dash_client, area="Regnskab", goal=goals["A1"], unit=UNIT_A2).get_json()["response"]
    assert [o["value"] for o in kept[ids.GOAL]["options"]] == [goals["A1"]]
    assert "value" not in kept[ids.GOAL] and "value" not in kept[ids.UNIT]
    assert [o["value"] for o in kept[ids.UNIT]["options"]] == ["alle", UNIT_A, UNIT_A2]
    every = pickers(dash_client, goal=goals["L1"]).get_json()["response"]
    assert [o["value"] for o in every[ids.GOAL]["options"]] == [goals["A1"], goals["L1"]]
    assert [o["value"] for o in every[ids.UNIT]["options"]] == ["alle", UNIT_A, UNIT_A2, PAY_A]
    # An area with no goal of the customer: nothing to pick, and the histogram says why.
    none = pickers(dash_client, area="Rejser", goal=goals["A1"]).get_json()["response"]
    assert none[ids.GOAL] == {"options": [], "value": None}
    assert f"Ingen sager for de valgte filtre i {year()}." in response_text(histogram(dash_client, None))
    assert pickers(dash_client, area="Hemmeligt").status_code == 204
    assert pickers(dash_client, area="Løn", cvr=world.CVR_B).status_code == 403


def test_the_users_goal_returns_after_an_area_without_it(goals, login, dash_client):
    """A1 chosen, Område Løn shows L1 in its place; back on every area, A1 is picked again."""
    login(world.RAPPORTER_A)
    lon = pickers(dash_client, area="Løn", goal=goals["A1"]).get_json()["response"]
    memory = lon[ids.GOAL_MEMORY]["data"]
    assert lon[ids.GOAL]["value"] == goals["L1"] and memory == {"preferred": goals["A1"], "auto": goals["L1"]}
    back = pickers(dash_client, goal=goals["L1"], memory=memory).get_json()["response"]
    assert back[ids.GOAL]["value"] == goals["A1"]
    # Via an area with no goal at all, the same.
    empty = pickers(dash_client, area="Rejser", goal=goals["A1"]).get_json()["response"]
    assert empty[ids.GOAL]["value"] is None
    again = pickers(dash_client, area="Løn", goal=None, memory=empty[ids.GOAL_MEMORY]["data"])
    assert again.get_json()["response"][ids.GOAL_MEMORY]["data"]["preferred"] == goals["A1"]
    # A goal the user picked in the area stays when the area widens.
    own = pickers(dash_client, goal=goals["L1"], memory={"preferred": goals["A1"], "auto": None}).get_json()
    assert "value" not in own["response"][ids.GOAL]
    # Junk in the memory picks nothing outside the offered goals.
    junk = pickers(dash_client, area="Løn", goal=goals["A1"], memory={"preferred": 999, "auto": "x"}).get_json()
    assert junk["response"][ids.GOAL]["value"] == goals["L1"]


def test_clicking_a_goals_code_picks_it(goals, login, dash_client):
    """The code's button (data-request: the pick store, data-value: the code) picks that goal for the chart."""
    login(world.RAPPORTER_A)
    a1 = next(row for row in tagged(dashboard(dash_client, year()).get_json()["response"][ids.TABLE]["children"], "Tr")
              if row["props"].get("data-code") == "A1")
    button = a1["props"]["children"][0]["props"]["children"]
    assert button["type"] == "Button" and button["props"]["data-request"] == ids.PICK
    assert button["props"]["data-value"] == "A1" and button["props"]["children"] == "A1"
    response = pickers(dash_client, clicked={"value": "L1", "at": 1}, goal=goals["A1"],
                       trigger="pick").get_json()["response"]
    assert response == {ids.GOAL: {"value": goals["L1"]},
                        ids.GOAL_MEMORY: {"data": {"preferred": goals["L1"], "auto": None}}}
    # A goal outside the chosen area, an unknown code, junk or the goal already chosen picks nothing.
    for clicked, area in [({"value": "A1"}, "Løn"), ({"value": "ZZ"}, "alle"), ("junk", "alle"),
                          ({"value": ["L1"]}, "alle"), ({"value": "L1"}, "alle")]:
        assert pickers(dash_client, area=area, clicked=clicked, goal=goals["L1"], trigger="pick").status_code == 204
    assert pickers(dash_client, clicked={"value": "L1"}, goal=goals["A1"], trigger="pick",
                   cvr=world.CVR_B).status_code == 403


def test_filters_without_cases_say_so(goals, login, dash_client):
    """Område Løn with a bogføringskreds: a Danish message, not a table of '–' and an empty chart."""
    login(world.RAPPORTER_A)
    response = dashboard(dash_client, year(), area="Løn", unit=UNIT_A).get_json()["response"]
    message = f"Ingen sager for de valgte filtre i {year()}."
    assert response[ids.TABLE]["children"] is None and response[ids.STATUS]["children"] == message
    figure = chart_of(dash_client, year(), area="Løn", unit=UNIT_A)
    assert figure["layout"]["annotations"][0]["text"] == message
    assert figures_table(dash_client, year(), area="Løn", unit=UNIT_A).get_json()["response"][ids.CHART_TABLE][
        "children"] == message
    assert message in response_text(histogram(dash_client, goals["L1"], unit=UNIT_A))


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
    assert response.get_json()["response"][ids.TABLE]["children"] is None


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
    assert "Ingen adgang" in page and ids.TABLE not in page
    assert drill(dash_client, goals["A1"], reports_world.months()[0].isoformat(), cvr=cvr).status_code == 403


def test_user_without_b_number_is_told_why(goals, login, dash_client):
    login(world.RAPPORTER_NO_B)
    page = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert "B-nummer" in page and "Bed din lokale administrator om at tilføje dit B-nummer" in page


@pytest.mark.parametrize("email,cvr", [
    (world.LAESER_A, world.CVR_A),   # Læser, no B-number
    (world.TWO_CVRS, world.CVR_A),   # has a B-number, Rapporter only on B
    (world.LAESER_A, ""),            # the CVR the user lands on
])
def test_user_without_the_rapporter_right_is_told_that(goals, login, dash_client, email, cvr):
    login(email)
    page = response_text(dash_client.page("/rapporter", f"?cvr={cvr}" if cvr else ""))
    assert "Ingen adgang" in page and "rettigheden »Rapporter«" in page and "lokale administrator" in page
    assert "B-nummer" not in page and ids.TABLE not in page


def test_page_renders_for_rapporter_user(goals, login, dash_client):
    login(world.RAPPORTER_A)
    page = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert "KPI-oversigt" in page and ids.TABLE in page and "10002 – SA Projekter" in page


def drill(dash_client, goal_id, month, unit="alle", cvr=world.CVR_A, trigger=ids.DRILL_BUTTON):
    return dash_client.fire(
        trigger, "n_clicks", cvr=cvr,
        values={ids.DRILL_BUTTON: 1, ids.EXPORT_CSV: 1, ids.EXPORT_XLSX: 1, ids.GOAL: goal_id, ids.DRILL_MONTH: month,
                ids.YEAR: year(), ids.AREA: "alle", ids.UNIT: unit, ids.SORT: {}},
    )


def _csv_rows(response):
    data = response.get_json()["response"][ids.DOWNLOAD]["data"]
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


def test_drill_through_of_todays_open_cases(goals, login, dash_client):
    # A-OPEN (A1, within 3 working days) was received mid last month: open and past its deadline today.
    login(world.RAPPORTER_A)
    for choice in ("open", "overdue"):
        name, rows = _csv_rows(drill(dash_client, goals["A1"], choice))
        assert name.startswith(f"Sager_A1_{'Aabne_over_frist' if choice == 'overdue' else 'Aabne'}_{world.CVR_A}")
        assert [(r["Sagsreference"], r["Over frist"]) for r in rows] == [("A-OPEN", "Ja")]
        deadline = next(v for k, v in rows[0].items() if k.startswith("Frist"))
        assert int(rows[0]["Arbejdsdage indtil nu"]) > 3 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", deadline)
    # The table shows the counts beside the year's figures.
    a1 = rows_of(dashboard(dash_client, year()))["A1"]
    assert (a1["open"], a1["overdue"], a1["reopened"]) == (1, 1, 0)
    # Another customer's open cases are not reachable by a forged CVR.
    assert drill(dash_client, goals["A1"], "open", cvr=world.CVR_B).status_code in (204, 403)


def test_drill_through_cannot_reach_other_customers_goal_cases(goals, login, dash_client):
    login(world.ADMIN_AB)
    last, _, _ = reports_world.months()
    _, rows = _csv_rows(drill(dash_client, goals["A1"], last.isoformat(), cvr=world.CVR_A))
    assert all(r["Sagsreference"].startswith("A-") for r in rows)


def export(dash_client, kind="csv", area="alle", unit="alle", sort=None, cvr=world.CVR_A):
    """POST the KPI table export; `sort` is the table's sort store as the browser sends it."""
    button = {"csv": ids.EXPORT_CSV, "xlsx": ids.EXPORT_XLSX}[kind]
    return dash_client.fire(
        button, "n_clicks", cvr=cvr,
        values={ids.DRILL_BUTTON: 0, ids.EXPORT_CSV: int(kind == "csv"), ids.EXPORT_XLSX: int(kind == "xlsx"),
                ids.GOAL: None, ids.DRILL_MONTH: None, ids.YEAR: year(), ids.AREA: area, ids.UNIT: unit,
                ids.SORT: sort},
    )


def _xlsx_values(response):
    data = response.get_json()["response"][ids.DOWNLOAD]["data"]
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    return data["filename"], [[c.value for c in row] for row in book.active.iter_rows()]


def test_export_table_with_filters(goals, login, dash_client):
    login(world.RAPPORTER_A)
    name, values = _xlsx_values(export(dash_client, "xlsx", area="Løn"))
    assert name.startswith(f"KPI_{year()}_Løn_{world.CVR_A}")
    assert values[0][0] == "Mål" and [row[0] for row in values[1:]] == ["L1"]
    assert values[1][4] == 2


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_follows_the_tables_sort(goals, login, dash_client, kind):
    """The export holds the rows the table shows, in its order, with the server's own figures."""
    login(world.RAPPORTER_A)

    def exported(**kwargs):
        response = export(dash_client, kind, **kwargs)
        if kind == "csv":
            return [(r["Mål"], r["Antal - år til seneste afsluttede måned"]) for r in _csv_rows(response)[1]]
        return [(row[0], str(row[4])) for row in _xlsx_values(response)[1][1:]]

    handled = dict(exported())
    assert list(handled) == ["A1", "L1"]
    # The table's sort order; the browser sends only a field and a direction, never a value.
    assert exported(sort={"field": "code", "dir": "desc"}) == [("L1", "2"), ("A1", handled["A1"])]
    by_count = sorted(handled.items(), key=lambda item: int(item[1]))
    assert exported(sort={"field": "handled", "dir": "asc"}) == by_count
    assert exported(sort={"field": "handled", "dir": "desc"}) == by_count[::-1]
    # Unknown columns and junk sort nothing; the page filters still apply.
    for junk in ({"field": "zz", "dir": "asc"}, {"field": "code", "dir": "up"}, ["code", "desc"], "code", None):
        assert exported(sort=junk) == list(handled.items())
    assert exported(area="Løn", sort={"field": "code", "dir": "desc"}) == [("L1", "2")]
    assert export(dash_client, kind, sort={"field": "code", "dir": "asc"}, cvr=world.CVR_B).status_code == 403


def headers_of(response):
    """Return the KPI table's headers as {field: (text, aria-sort)}."""
    table = response.get_json()["response"][ids.TABLE]["children"]
    return {th["props"]["data-field"]: ("".join(texts(th)), th["props"].get("aria-sort"))
            for th in tagged(table, "Th") if th["props"].get("scope") == "col"}


def test_a_header_click_sorts_ascending_then_descending_then_back_to_report_order(goals, login, dash_client):
    login(world.RAPPORTER_A)
    first = dashboard(dash_client, year())
    assert list(rows_of(first)) == ["A1", "L1"] and all(aria is None for _, aria in headers_of(first).values())
    handled = {code: row["handled"] for code, row in rows_of(first).items()}
    up = sort_click(dash_client, "handled")
    body = up.get_json()["response"]
    assert body[ids.SORT]["data"] == {"field": "handled", "dir": "asc"}
    assert list(rows_of(up)) == sorted(handled, key=handled.get)
    assert headers_of(up)["handled"] == ("Antal - år til seneste afsluttede måned ▲", "ascending")
    # Only the table and its sort: the drill-through's month and the printout's line are left as they are.
    assert set(body) == {ids.TABLE, ids.STATUS, ids.SORT}
    down = sort_click(dash_client, "handled", sort={"field": "handled", "dir": "asc"})
    assert list(rows_of(down)) == sorted(handled, key=handled.get, reverse=True)
    assert headers_of(down)["handled"][1] == "descending"
    back = sort_click(dash_client, "handled", sort={"field": "handled", "dir": "desc"})
    assert back.get_json()["response"][ids.SORT]["data"] == {} and list(rows_of(back)) == ["A1", "L1"]
    # Another column starts ascending; a filter change keeps the sort.
    other = sort_click(dash_client, "code", sort={"field": "handled", "dir": "desc"})
    assert other.get_json()["response"][ids.SORT]["data"] == {"field": "code", "dir": "asc"}
    kept = dashboard(dash_client, year(), sort={"field": "code", "dir": "desc"})
    assert list(rows_of(kept)) == ["L1", "A1"] and kept.get_json()["response"][ids.SORT]["data"] == {
        "field": "code", "dir": "desc"}


def test_percentages_sort_by_their_number_and_empty_figures_come_last(goals, login, dash_client):
    login(world.RAPPORTER_A)
    rows = rows_of(dashboard(dash_client, year()))
    achievement = {code: float(row["ytd_text"].split(" %")[0].replace(",", ".")) for code, row in rows.items()}
    for direction in ("asc", "desc"):
        shown = list(rows_of(dashboard(dash_client, year(), sort={"field": "ytd_text", "dir": direction})))
        assert shown == sorted(achievement, key=achievement.get, reverse=direction == "desc")


@pytest.mark.parametrize("request_value", [{"value": "zz"}, {"value": "median_text"}, {"value": ["code"]}, "code",
                                           None, {}])
def test_forged_sort_requests_sort_nothing(goals, login, dash_client, request_value):
    """Only the user's own columns sort: the median is SA's, and anything else is ignored."""
    login(world.RAPPORTER_A)
    response = dash_client.fire(ids.SORT_REQUEST, "data", output=ids.TABLE, cvr=world.CVR_A,
                                values={ids.YEAR: year(), ids.AREA: "alle", ids.UNIT: "alle", ids.SORT: {},
                                        ids.SORT_REQUEST: request_value})
    assert response.status_code == 204
    assert sort_click(dash_client, "code", cvr=world.CVR_B).status_code == 403


def test_sa_staff_sort_by_the_median(goals, login, dash_client):
    login(world.SA_STAFF)
    body = sort_click(dash_client, "median_text").get_json()["response"]
    assert body[ids.SORT]["data"] == {"field": "median_text", "dir": "asc"}
    assert "Median alle kunder" in "".join(texts(body[ids.TABLE]["children"]))


def histogram(dash_client, goal_id, unit="alle", cvr=world.CVR_A):
    return dash_client.fire(ids.CHARTS_SEEN, "data", output=ids.HISTOGRAM_BOX, cvr=cvr,
                            values={ids.GOAL: goal_id, ids.YEAR: year(), ids.UNIT: unit, ids.CHARTS_SEEN: True})


@pytest.mark.parametrize("most, step", [(3, 1), (25, 1), (60, 5), (400, None)])
def test_histogram_axis_starts_at_zero_whole_days_and_ticks_that_fit(most, step):
    from callbacks.rapporter import _days_axis

    axis = _days_axis(most)
    assert axis["range"] == [-0.5, most + 0.5] and axis["tick0"] == 0 and axis["tickformat"] == "d"
    assert axis.get("dtick") == step


def test_histogram(goals, login, dash_client):
    login(world.RAPPORTER_A)
    response = histogram(dash_client, goals["A1"])
    bar = response.get_json()["response"][ids.HISTOGRAM_BOX]["children"]["props"]["figure"]["data"][0]
    counts = dict(zip(bar["x"], bar["y"]))
    assert counts[0] >= 4 and sum(counts.values()) >= 5
    # The same counts as a table, the chart's text alternative.
    shown = texts(response.get_json()["response"][ids.HISTOGRAM_TABLE]["children"])
    for day, count in counts.items():
        start = shown.index(str(day), shown.index("Antal sager"))
        assert shown[start + 1] == str(count)


# --- drill-through on screen (issue 12) ------------------------------------------------------------

import json as _json

from pages._drill import drill_ids

DRILL = drill_ids(ids.DRILL_PREFIX)


def chart_click(dash_client, code, month, cvr=world.CVR_A, unit="alle"):
    click = {"points": [{"curveNumber": 1, "pointNumber": 0, "customdata": [code, month]}]}
    return dash_client.fire(ids.CHART, "clickData", output=DRILL.modal, cvr=cvr,
                            values={ids.CHART: click, ids.UNIT: unit})


def cell_click(dash_client, code, month, cvr=world.CVR_A, unit="alle"):
    """The body assets/drill.js causes: the clicked figure's goal and month put in the request store."""
    return dash_client.fire(DRILL.request, "data", output=DRILL.modal, cvr=cvr,
                            values={DRILL.request: {"goal": code, "month": month, "at": 1}, ids.UNIT: unit})


def test_chart_point_opens_its_cases_in_a_grid(goals, login, dash_client):
    login(world.RAPPORTER_A)
    last = reports_world.months()[0]
    figure = chart_of(dash_client, year())
    a1 = coloured(figure)[0]
    assert a1["customdata"][-1] == ["A1", f"{last:%Y-%m}"]
    out = chart_click(dash_client, "A1", f"{last:%Y-%m}").get_json()["response"]
    assert out[DRILL.modal]["is_open"] is True
    rows = out[DRILL.grid]["rowData"]
    assert sorted(r["case_ref"] for r in rows) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert set(rows[0]) == {"n", "case_ref", "unit_code", "received", "completed", "days_taken", "deadline", "met_text"}
    assert out[DRILL.title]["children"].startswith("Sager bag A1 ")
    # With the page's unit filter, only that unit's cases.
    only = chart_click(dash_client, "A1", f"{last:%Y-%m}", unit=UNIT_A2).get_json()["response"]
    assert [r["case_ref"] for r in only[DRILL.grid]["rowData"]] == ["A-5"]


def test_table_figures_are_buttons_that_open_their_cases(goals, login, dash_client):
    login(world.RAPPORTER_A)
    last = reports_world.months()[0]
    table = figures_table(dash_client, year()).get_json()["response"][ids.CHART_TABLE]["children"]
    assert f'"data-drill": "{DRILL.request}", "data-goal": "L1", "data-month": "{last:%Y-%m}"' in _json.dumps(table)
    out = cell_click(dash_client, "L1", f"{last:%Y-%m}").get_json()["response"]
    assert sorted(r["case_ref"] for r in out[DRILL.grid]["rowData"]) == ["A-L1", "A-L2"]


def test_drill_of_another_customer_refused(goals, login, dash_client):
    login(world.RAPPORTER_A)
    last = reports_world.months()[0]
    for response in (chart_click(dash_client, "A1", f"{last:%Y-%m}", cvr=world.CVR_B),
                     cell_click(dash_client, "A1", f"{last:%Y-%m}", cvr=world.CVR_B)):
        assert response.status_code == 403 and b"B-0" not in response.data


@pytest.mark.parametrize("click", [None, {}, {"points": []}, {"points": [{"customdata": "A1"}]},
                                   {"points": [{"customdata": ["A1", "2099-01"]}]},
                                   {"points": [{"customdata": ["ZZ9", "2024-01"]}]}])
def test_forged_chart_clicks_open_nothing(goals, login, dash_client, click):
    login(world.RAPPORTER_A)
    response = dash_client.fire(ids.CHART, "clickData", output=DRILL.modal, cvr=world.CVR_A,
                                values={ids.CHART: click, ids.UNIT: "alle"})
    assert response.status_code in (200, 204) and b"A-1" not in response.data


def test_drill_export_is_read_again_for_the_customer(goals, login, dash_client):
    login(world.RAPPORTER_A)
    last = reports_world.months()[0]
    key = chart_click(dash_client, "A1", f"{last:%Y-%m}").get_json()["response"][DRILL.key]["data"]
    response = dash_client.fire(DRILL.xlsx, "n_clicks", cvr=world.CVR_A, values={
        DRILL.csv: 0, DRILL.xlsx: 1, DRILL.key: key,
        (DRILL.grid, "filterModel"): {"met_text": {"filterType": "text", "type": "equals", "filter": "Nej"}},
        (DRILL.grid, "columnState"): None})
    data = response.get_json()["response"][DRILL.download]["data"]
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][:2] == ["Nr.", "Sagsreference"] and [row[1] for row in values[1:]] == ["A-4"]
    refused = dash_client.fire(DRILL.csv, "n_clicks", cvr=world.CVR_B, values={
        DRILL.csv: 1, DRILL.xlsx: 0, DRILL.key: key, (DRILL.grid, "filterModel"): None,
        (DRILL.grid, "columnState"): None})
    assert refused.status_code == 403 and b"B-0" not in refused.data


def test_figures_table_of_another_customer_refused(goals, login, dash_client):
    login(world.RAPPORTER_A)
    response = figures_table(dash_client, year(), cvr=world.CVR_B)
    assert response.status_code == 403 and b"B-0" not in response.data


def open_count_buttons(dash_client):
    """Return the open-cases count buttons of the KPI table as {(code, field): button props}."""
    table = dashboard(dash_client, year()).get_json()["response"][ids.TABLE]["children"]
    return {(row["props"]["data-code"], cell["props"]["data-field"]): cell["props"]["children"]["props"]
            for row in tagged(table, "Tr") if row["props"].get("data-code")
            for cell in row["props"]["children"]
            if cell["props"]["data-field"] in ("open", "overdue") and isinstance(cell["props"]["children"], dict)}


def test_open_case_counts_open_their_cases_on_screen(goals, login, dash_client):
    # A-OPEN (A1) is open and past its deadline today: both counts open it, the export names it.
    login(world.RAPPORTER_A)
    buttons = open_count_buttons(dash_client)
    # Only counts above 0 are buttons: A1 has one open case, L1 none.
    assert set(buttons) == {("A1", "open"), ("A1", "overdue")}
    for column, title in (("open", "Åbne sager i dag: A1 "), ("overdue", "Åbne sager over frist i dag: A1 ")):
        button = buttons[("A1", column)]
        assert (button["data-drill"], button["data-goal"], button["data-month"]) == (DRILL.request, "A1", column)
        assert button["children"] == "1"
        out = cell_click(dash_client, "A1", column).get_json()["response"]
        assert out[DRILL.modal]["is_open"] is True and out[DRILL.title]["children"].startswith(title)
        rows = out[DRILL.grid]["rowData"]
        assert [(r["case_ref"], r["completed"], r["met_text"]) for r in rows] == [("A-OPEN", "", "Åben, over frist")]
        assert rows[0]["days_taken"] > 3 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0]["deadline"])
        assert "åbne sager i dag, heraf 1 over fristen" in out[DRILL.summary]["children"]
        key = out[DRILL.key]["data"]
        csv_out = dash_client.fire(DRILL.csv, "n_clicks", cvr=world.CVR_A, values={
            DRILL.csv: 1, DRILL.xlsx: 0, DRILL.key: key, (DRILL.grid, "filterModel"): None,
            (DRILL.grid, "columnState"): None}).get_json()["response"][DRILL.download]["data"]
        assert "A-OPEN" in csv_out["content"] and csv_out["filename"].startswith("Sager_A1_aabne")


def test_forged_open_clicks_open_nothing_of_another_customer(goals, login, dash_client):
    login(world.RAPPORTER_A)
    # An unknown goal opens an empty grid; another customer's CVR is refused by the guard.
    out = cell_click(dash_client, "ZZ", "open").get_json()["response"]
    assert out[DRILL.grid]["rowData"] == [] and "findes ikke" in out[DRILL.summary]["children"]
    refused = cell_click(dash_client, "A1", "open", cvr=world.CVR_B)
    assert refused.status_code == 403 and b"B-" not in refused.data


def test_the_table_comes_with_the_page(goals, login, dash_client):
    """The layout holds the KPI rows for the default filters (no callback on load); another CVR's page none."""
    login(world.RAPPORTER_A)
    text = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert '"data-code": "A1"' in text and "Kreditortransaktioner" in text and "År til og med" in text
    spec = next(cb for cb in dash_client.dependencies() if f"{ids.TABLE}.children" in cb["output"])
    assert spec["prevent_initial_call"] is True
    other = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_B}"))
    assert "Kreditortransaktioner" not in other and "data-code" not in other



def _components(node, parent=None):
    """Yield every component of a serialised component tree with its parent, in document order."""
    if isinstance(node, list):
        for child in node:
            yield from _components(child, parent)
    elif isinstance(node, dict):
        yield node, parent
        yield from _components(node.get("props", {}).get("children"), node)


def _parent_of(components, component_id):
    return next(parent for component, parent in components if component["props"].get("id") == component_id)


def test_udskriv_button_and_the_printout_name_the_customer_and_the_filters(goals, login, dash_client):
    """»Udskriv« sits with the exports; the printout names the customer and the filters the pickers hid."""
    login(world.RAPPORTER_A)
    page = dash_client.page("/rapporter", f"?cvr={world.CVR_A}").get_json()["response"]
    components = list(_components(page[shell_ids.PAGE_CONTENT]["children"]))
    button, tools = next((c, p) for c, p in components if "data-print" in c["props"])
    assert button["props"]["children"] == "Udskriv" and button["props"]["data-print"] == "1"
    # In the tool row beside the export buttons; no callback listens to it (assets/print.js opens the dialog).
    assert tools is _parent_of(components, ids.EXPORT_CSV) is _parent_of(components, ids.EXPORT_XLSX)
    assert "id" not in button["props"]
    customer = next(c["props"] for c, _ in components if "rapporter-print-customer" in c["props"].get("className", ""))
    assert "d-none d-print-block" in customer["className"]
    assert customer["children"].startswith(f"Statens Administration · CVR-nr. {world.CVR_A} · udskrevet ")
    filters = next(c["props"] for c, _ in components if c["props"].get("id") == ids.PRINT_FILTERS)
    assert "d-none d-print-block" in filters["className"]
    assert filters["children"] == f"År: {year()} · Område: Alle områder · Bogføringskreds / løngruppe: Alle"
    # The pickers are left off the printout (the lines above say what they chose), the tool row with them.
    parents = {id(component): parent for component, parent in components}
    row = parents[id(_parent_of(components, ids.YEAR))]
    assert row is parents[id(_parent_of(components, ids.AREA))] is parents[id(_parent_of(components, ids.UNIT))]
    assert "no-print" in row["props"]["className"].split() and tools in row["props"]["children"]
    assert "no-print" in _parent_of(components, ids.GOAL)["props"]["className"].split()


def test_printout_filter_line_follows_the_filters(goals, login, dash_client):
    """A filter change redraws the printout's line with the unit named; a filter it cannot check is left out."""
    login(world.RAPPORTER_A)
    line = dashboard(dash_client, year(), area="Regnskab", unit=UNIT_A).get_json()["response"][ids.PRINT_FILTERS]
    assert line["children"] == f"År: {year()} · Område: Regnskab · Bogføringskreds / løngruppe: {UNIT_A} – SA Drift"
    # Filters without cases still name what the printout shows.
    none = dashboard(dash_client, year(), area="Løn", unit=UNIT_A).get_json()["response"][ids.PRINT_FILTERS]
    assert none["children"] == f"År: {year()} · Område: Løn · Bogføringskreds / løngruppe: {UNIT_A} – SA Drift"
    payroll = dashboard(dash_client, year(), unit=PAY_A).get_json()["response"][ids.PRINT_FILTERS]
    assert payroll["children"].endswith(f"Bogføringskreds / løngruppe: {PAY_A} – SA Løn")
    # Another customer's unit is refused and not named: an empty line, the status says why.
    forged = dashboard(dash_client, year(), unit="20001").get_json()["response"]
    assert forged[ids.PRINT_FILTERS]["children"] == "" and "Ukendt bogføringskreds" in forged[ids.STATUS]["children"]


@pytest.mark.parametrize("sort", [{"field": ["code"], "dir": "asc"}, {"field": "code", "dir": ["asc"]},
                                  {"field": {"a": 1}, "dir": "desc"}, ["code"], "code", 7])
def test_a_forged_sort_store_draws_the_report_order(goals, login, dash_client, sort):
    login(world.RAPPORTER_A)
    response = dashboard(dash_client, year(), sort=sort)
    assert list(rows_of(response)) == ["A1", "L1"] and response.get_json()["response"][ids.SORT]["data"] == {}
