"""Information: the Servicemålsrapport of the customer in context, right to the case."""

import io

import openpyxl
from pathlib import Path

import pytest

from data.db import get_session
from data.rules import add_months
from core.formatting import da_month
from pages.ids import information as ids
from tests._components import response_text, texts
from tests._dash import sql_statements
from tests import reports_world, world


@pytest.fixture
def report_app(app):
    with app.app_context():
        reports_world.build(get_session())
    return app


def report(dash_client, period, cvr=world.CVR_A):
    return dash_client.fire(ids.PERIOD, "value", output=ids.REPORT, cvr=cvr, initial=True, values={ids.PERIOD: period})


def trends(dash_client, period, cvr=world.CVR_A):
    """Fire the trend charts as the browser does when they scroll into view; return their figures."""
    response = dash_client.fire(ids.TRENDS_SEEN, "data", output=ids.TRENDS, cvr=cvr,
                                values={ids.PERIOD: period, ids.TRENDS_SEEN: True})
    return response.get_json()["response"][ids.TRENDS]["children"]


def text_of(response):
    return response_text(response)


def test_page_shows_period_picker_and_latest_closed_month(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    page = text_of(dash_client.page("/information", f"?cvr={world.CVR_A}"))
    assert "Servicemålsrapport" in page
    assert f'"value": "{last:%Y-%m}"'.replace(" ", "") in page.replace(" ", "")


def test_printout_names_the_customer_and_report_scrolls_in_its_box(report_app, laeser_a, dash_client):
    page = text_of(dash_client.page("/information", f"?cvr={world.CVR_A}"))
    assert f"Statens Administration · CVR-nr. {world.CVR_A} · udskrevet" in page
    assert "d-print-block" in page and "information-print-customer" in page
    css = (Path(__file__).parents[1] / "assets" / "portal.css").read_text(encoding="utf-8")
    assert ".information-report { overflow-x: auto;" in css


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.SA_STAFF])
def test_report_figures(report_app, login, dash_client, email):
    login(email)
    last, prev, before = reports_world.months()
    response = report(dash_client, f"{last:%Y-%m}")
    assert response.status_code == 200
    text = text_of(response)
    # A1 in M: 4 met of 5 (3 + 1 on 10002) -> 80,0 %; M-1: 1 of 1 -> 100,0 %; M-2: no cases -> –.
    assert "80,0 %" in text and "100,0 %" in text and "–" in text
    assert "mål ikke nået" in text and "mål nået" in text and "ingen sager" in text
    for month in (last, prev, before):
        assert da_month(month).capitalize() in text
    assert "Regnskab" in text and "Løn" in text
    assert "B-0" not in text


def test_a_period_change_reads_in_three_statements(report_app, laeser_a, dash_client):
    """Sign-in, the goals with their versions, the months' figures with reopened and open cases."""
    # Each statement is a round trip on PostgreSQL.
    # The test client's first call also fetches the callback map.
    report(dash_client, f"{reports_world.months()[0]:%Y-%m}")
    with sql_statements(report_app) as statements:
        assert report(dash_client, f"{reports_world.months()[1]:%Y-%m}").status_code == 200
    assert len(statements) == 3, statements


def test_trend_charts_have_tables_of_their_figures(report_app, laeser_a, dash_client):
    """Each area's trend chart carries its figures as a table, month by month, as the chart plots them."""
    last, prev, before = reports_world.months()
    charts = trends(dash_client, f"{last:%Y-%m}")
    assert len(charts) == 2
    # The tables are drawn when asked for (the button), one per area in the charts' order.
    tables = trend_tables(dash_client, f"{last:%Y-%m}").get_json()["response"]
    assert tables[ids.TABLES_TOGGLE]["aria-expanded"] == "true"
    tables = tables[ids.TRENDS_TABLES]["children"]
    assert len(tables) == 2
    for figure, details in zip(charts, tables):
        graph, _caption = figure["props"]["children"]
        shown = texts(details)
        for trace in graph["props"]["figure"]["data"]:
            if trace.get("meta") == "target":
                continue
            code = trace["name"].split()[0]
            start = shown.index(code)
            expected = ["–" if v is None else f"{v:.1f}".replace(".", ",") + " %" for v in trace["y"]]
            assert shown[start + 1: start + 1 + len(expected)] == expected
    regnskab = texts(tables[0])
    start = regnskab.index("A1")
    assert regnskab[start + 10: start + 13] == ["–", "100,0 %", "80,0 %"]


def trend_tables(dash_client, period, clicks=1, cvr=world.CVR_A, unit=None):
    return dash_client.fire(ids.TABLES_TOGGLE, "n_clicks", output=ids.TRENDS_TABLES, cvr=cvr,
                            values={ids.TABLES_TOGGLE: clicks, ids.PERIOD: period, ids.UNIT: unit})


def test_trend_tables_hide_again_and_refuse_other_customers(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    closed = trend_tables(dash_client, f"{last:%Y-%m}", clicks=2).get_json()["response"]
    assert closed[ids.TRENDS_TABLES]["children"] is None and closed[ids.TABLES_TOGGLE]["aria-expanded"] == "false"
    refused = trend_tables(dash_client, f"{last:%Y-%m}", cvr=world.CVR_B)
    assert refused.status_code == 403 and b"B-0" not in refused.data


def test_earlier_period(report_app, laeser_a, dash_client):
    import json

    last, prev, _ = reports_world.months()
    body = report(dash_client, f"{prev:%Y-%m}").get_json()["response"]
    table = json.dumps(body[ids.REPORT], ensure_ascii=False)
    # The table ends at M-1 now: A1 shows 100,0 % there, and M (80,0 %) is not in it.
    assert da_month(add_months(prev, -2)).capitalize() in table and da_month(prev).capitalize() in table
    assert "100,0 %" in table
    assert "80,0 %" not in table and da_month(last).capitalize() not in table


@pytest.mark.parametrize("period", ["2099-01", "abc", None, 202401, "2024-13", "1999-12", {"x": 1}, "2024-1"])
def test_bad_period(report_app, laeser_a, dash_client, period):
    response = report(dash_client, period)
    assert response.status_code == 200
    assert "Ugyldig periode" in text_of(response)


def test_customer_without_cases(report_app, login, dash_client):
    login(world.SA_STAFF)
    last, _, _ = reports_world.months()
    assert "ingen sager at rapportere" in text_of(report(dash_client, f"{last:%Y-%m}", cvr=world.CVR_C))


@pytest.mark.parametrize("email,cvr", [(world.LAESER_A, world.CVR_B), (world.RAPPORTER_A, world.CVR_A), (world.LAESER_B, world.CVR_A)])
def test_refused_without_read_right(report_app, login, dash_client, email, cvr):
    login(email)
    last, _, _ = reports_world.months()
    response = report(dash_client, f"{last:%Y-%m}", cvr=cvr)
    assert response.status_code == 403
    assert b"80,0" not in response.data and b"B-0" not in response.data


def export(dash_client, which, period, cvr=world.CVR_A):
    button = {"csv": ids.EXPORT_CSV, "xlsx": ids.EXPORT_XLSX}[which]
    return dash_client.fire(button, "n_clicks", cvr=cvr,
                            values={ids.EXPORT_CSV: int(which == "csv"), ids.EXPORT_XLSX: int(which == "xlsx"),
                                    ids.PERIOD: period})


def test_export_csv_and_xlsx(report_app, laeser_a, dash_client):
    import base64

    last, _, _ = reports_world.months()
    data = export(dash_client, "csv", f"{last:%Y-%m}").get_json()["response"][ids.DOWNLOAD]["data"]
    assert data["filename"].startswith(f"Servicemaalsrapport_{last:%Y-%m}_{world.CVR_A}")
    lines = data["content"].lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Område;Mål;Servicemål;Regel;Mål %")
    a1 = next(line for line in lines if ";A1;" in line)
    # The months' achievement, then today's open cases and how many are past their deadline.
    assert lines[0].endswith(";Heraf genåbnede i de viste måneder;Åbne sager i dag;Heraf over frist i dag")
    assert a1.endswith(";100,0;80,0;0;1;1")
    xlsx = export(dash_client, "xlsx", f"{last:%Y-%m}").get_json()["response"][ids.DOWNLOAD]["data"]
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][:2] == ["Område", "Mål"]
    assert any(row[1] == "A1" and row[-4:] == [80.0, 0, 1, 1] for row in values[1:])


def test_export_of_other_customer_refused(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    response = export(dash_client, "csv", f"{last:%Y-%m}", cvr=world.CVR_B)
    assert response.status_code == 403 and b"B-0" not in response.data


# --- issue 12: every month with data, unit filter, readable trends, drill-through on screen ---------

import json as _json

from callbacks import information as info_callbacks
from data.cases_import import import_case_records
from pages._drill import drill_ids
from tests.kpi_world import PAY_A, UNIT_A2, UNIT_B, rec

DRILL = drill_ids(ids.DRILL_PREFIX)


def test_period_picker_reaches_every_month_with_data(report_app, laeser_a, dash_client):
    """A case four years back puts its month in the picker (the old picker stopped at 36 months)."""
    last, _, _ = reports_world.months()
    old = add_months(last, -50)
    with report_app.app_context():
        imported = import_case_records(get_session(), [rec("A-OLD", f"{old:%Y-%m}-03 10:00", f"{old:%Y-%m}-04 10:00")])
        assert imported.ok
    page = _json.dumps(dash_client.page("/information", f"?cvr={world.CVR_A}").get_json(), ensure_ascii=False)
    assert f'"value": "{old:%Y-%m}"' in page and f'"value": "{last:%Y-%m}"' in page
    from pages import information as info_page  # a page module registers itself: import it once the app exists

    options = info_page.period_options(old)
    assert len(options) == 51 and options[0]["value"] == f"{last:%Y-%m}" and options[-1]["value"] == f"{old:%Y-%m}"
    # That old month's report is served like any other.
    assert "A1" in text_of(report(dash_client, f"{old:%Y-%m}"))


def test_trend_charts_label_the_target_and_show_90_against_100(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    heights = set()
    for figure in trends(dash_client, f"{last:%Y-%m}"):
        graph = figure["props"]["children"][0]
        fig = graph["props"]["figure"]
        targets = [t for t in fig["data"] if t.get("meta") == "target"]
        assert targets and all(t["line"]["dash"] == "dash" for t in targets)
        labels = [a["text"] for a in fig["layout"]["annotations"]]
        assert labels == [t["name"].removeprefix("Servicemål ") for t in targets] and all(a.endswith(" %") for a in labels)
        assert texts(figure["props"]["children"][1])[-1].startswith("Stiplet linje: servicemål ")
        low, high = fig["layout"]["yaxis"]["range"]
        # The values here lie between 80 % and 100 %: the axis starts 5 points below the lowest, not at 0.
        lowest = min([v for t in fig["data"] for v in t["y"] if v is not None])
        assert lowest - 10 <= low <= lowest - 5 and high == 101
        # The legend sits in a fixed bottom margin, so a chart with more goals keeps the same plot height.
        assert fig["layout"]["legend"]["yref"] == "container" and fig["layout"]["margin"]["b"] >= 80
        heights.add(fig["layout"]["height"])
        assert graph["props"]["style"]["height"] == f"{fig['layout']['height']}px"
    assert len(heights) == 1


def test_target_labels_never_overlap():
    from callbacks.information import LABEL_GAP_PX, TREND_PLOT_PX, label_shifts

    # 95, 98 and 100 % on an axis from 0 to 101: 5 and 3 px apart; each label is moved clear of the one below.
    shifts = label_shifts([95.0, 98.0, 100.0], [0.0, 101.0])
    at = [(t / 101.0) * TREND_PLOT_PX + s for t, s in zip([95.0, 98.0, 100.0], shifts)]
    assert shifts[0] == 0 and all(b - a >= LABEL_GAP_PX - 0.5 for a, b in zip(at, at[1:]))
    # Far apart: nothing moves.
    assert label_shifts([80.0, 100.0], [75.0, 101.0]) == [0, 0]


def test_trend_range_keeps_low_values_and_floors_at_zero():
    assert info_callbacks.trend_range([92.0, 100.0], [95.0]) == [85.0, 101.0]
    assert info_callbacks.trend_range([3.0], [95.0]) == [0.0, 101.0]
    assert info_callbacks.trend_range([], [90.0]) == [85.0, 101.0]


def test_marks_are_coloured_and_spoken(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    table = _json.dumps(report(dash_client, f"{last:%Y-%m}").get_json()["response"][ids.REPORT], ensure_ascii=False)
    assert "kpi-missed" in table and "mål ikke nået" in table and "kpi-met" in table and "mål nået" in table
    css = (Path(__file__).resolve().parents[1] / "assets" / "portal.css").read_text()
    assert ".kpi-met .kpi-mark { color:" in css and ".kpi-missed .kpi-mark { color:" in css


def unit_report(dash_client, period, unit, cvr=world.CVR_A):
    return dash_client.fire(ids.PERIOD, "value", output=ids.REPORT, cvr=cvr, initial=True,
                            values={ids.PERIOD: period, ids.UNIT: unit})


def test_unit_from_search_box_filters_report_and_header_says_so(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    page = text_of(dash_client.page("/information", f"?cvr={world.CVR_A}&enhed={UNIT_A2}"))
    assert f"Bogføringskreds {UNIT_A2}" in page
    body = unit_report(dash_client, f"{last:%Y-%m}", UNIT_A2).get_json()["response"]
    shown = " ".join(texts(body[ids.REPORT]["children"]))
    # Only A-5 (met) on 10002 in M: A1 shows 100,0 %, not the customer's 80,0 %; no Løn goal for a bogføringskreds.
    assert "100,0 %" in shown and "80,0 %" not in shown
    assert "L1 " not in shown
    pay = " ".join(texts(unit_report(dash_client, f"{last:%Y-%m}", PAY_A).get_json()["response"][ids.REPORT]["children"]))
    assert "L1 " in pay and "A1 " not in pay


def test_unit_of_another_customer_is_ignored(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    page = text_of(dash_client.page("/information", f"?cvr={world.CVR_A}&enhed={UNIT_B}"))
    assert UNIT_B not in page
    response = unit_report(dash_client, f"{last:%Y-%m}", UNIT_B)
    assert response.status_code == 200 and b"B-0" not in response.data
    # The whole customer's report: A1 at 80,0 % in M.
    assert "80,0 %" in " ".join(texts(response.get_json()["response"][ids.REPORT]["children"]))


@pytest.mark.parametrize("unit", ["' OR 1=1 --", "x" * 300, "10002 ", 10002, ["10002"], {"code": "10002"}])
def test_a_forged_unit_reads_the_whole_customer_on_both_back_ends(report_app, laeser_a, dash_client, unit):
    # The unit state comes from the browser: anything not one of the customer's unit codes means the
    # whole customer, checked before any query (a NUL is refused earlier, with the whole request).
    last, _, _ = reports_world.months()
    response = unit_report(dash_client, f"{last:%Y-%m}", unit)
    assert response.status_code == 200
    assert "80,0 %" in " ".join(texts(response.get_json()["response"][ids.REPORT]["children"]))


def drill_body(dash_client, goal, month, cvr=world.CVR_A, unit=None):
    """The body assets/drill.js causes: the clicked figure's goal and month put in the request store."""
    return dash_client.payload(DRILL.request, "data", output=DRILL.modal, cvr=cvr,
                               values={DRILL.request: {"goal": goal, "month": month, "at": 1}, ids.UNIT: unit})


def test_report_cells_open_their_cases_in_a_grid(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    table = report(dash_client, f"{last:%Y-%m}").get_json()["response"][ids.REPORT]
    assert f'"data-drill": "{DRILL.request}", "data-goal": "A1", "data-month": "{last:%Y-%m}"' in _json.dumps(table)
    response = dash_client.send(drill_body(dash_client, "A1", f"{last:%Y-%m}"))
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert out[DRILL.modal]["is_open"] is True
    rows = out[DRILL.grid]["rowData"]
    assert [r["case_ref"] for r in rows] == ["A-1", "A-2", "A-3", "A-5", "A-4"] or \
        sorted(r["case_ref"] for r in rows) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert [r["n"] for r in rows] == [1, 2, 3, 4, 5]
    late = next(r for r in rows if r["case_ref"] == "A-4")
    assert late["met_text"] == "Nej" and late["deadline"] and late["deadline"] < late["completed"]
    assert "5 sager" in out[DRILL.summary]["children"] and "1 uden for fristen" in out[DRILL.summary]["children"]
    assert "A-OPEN" not in response.get_data(as_text=True) and "B-0" not in response.get_data(as_text=True)


def test_drill_with_unit_shows_only_its_cases(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    out = dash_client.send(drill_body(dash_client, "A1", f"{last:%Y-%m}", unit=UNIT_A2)).get_json()["response"]
    assert [r["case_ref"] for r in out[DRILL.grid]["rowData"]] == ["A-5"]


@pytest.mark.parametrize("goal,month", [("ZZ", "2024-01"), ("A1", "2099-01"), ("A1", "x"), (None, None),
                                        ({"x": 1}, "2024-01"), ("A1' OR 1=1", "2024-01")])
def test_forged_drill_values_show_nothing(report_app, laeser_a, dash_client, goal, month):
    response = dash_client.send(drill_body(dash_client, goal, month))
    assert response.status_code in (200, 204) and b"A-1" not in response.data
    if response.status_code == 200:
        out = response.get_json()["response"]
        assert out[DRILL.grid]["rowData"] == [] and "findes ikke" in out[DRILL.summary]["children"]


def test_drill_of_another_customer_refused(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    response = dash_client.send(drill_body(dash_client, "A1", f"{last:%Y-%m}", cvr=world.CVR_B))
    assert response.status_code == 403 and b"B-0" not in response.data


def test_a_request_that_is_not_a_figure_opens_nothing(report_app, laeser_a, dash_client):
    for request in (None, {}, "A1", ["A1", "2024-01"]):
        body = dash_client.payload(DRILL.request, "data", output=DRILL.modal, cvr=world.CVR_A,
                                   values={DRILL.request: request, ids.UNIT: None})
        assert dash_client.send(body).status_code == 204


def drill_export(dash_client, which, key, filters=None, sort=None, cvr=world.CVR_A):
    button = {"csv": DRILL.csv, "xlsx": DRILL.xlsx}[which]
    return dash_client.fire(button, "n_clicks", cvr=cvr, values={
        DRILL.csv: int(which == "csv"), DRILL.xlsx: int(which == "xlsx"), DRILL.key: key,
        (DRILL.grid, "filterModel"): filters, (DRILL.grid, "columnState"): sort})


def test_drill_export_reads_again_with_the_grids_filter_and_sort(report_app, laeser_a, dash_client):
    import base64

    last, _, _ = reports_world.months()
    key = {"goal_id": None, "month": f"{last:%Y-%m}", "unit": None}
    out = dash_client.send(drill_body(dash_client, "A1", f"{last:%Y-%m}")).get_json()["response"]
    key = out[DRILL.key]["data"]
    # Rows are never taken from the browser: a forged key with extra rows changes nothing.
    key = {**key, "rows": [{"case_ref": "B-0"}]}
    data = drill_export(dash_client, "csv", key, filters={"met_text": {"filterType": "text", "type": "equals",
                                                                        "filter": "Ja"}},
                        sort=[{"colId": "case_ref", "sort": "desc"}]).get_json()["response"][DRILL.download]["data"]
    lines = data["content"].lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Nr.;Sagsreference;Enhed;Modtaget")
    assert [line.split(";")[1] for line in lines[1:]] == ["A-5", "A-3", "A-2", "A-1"]
    assert data["filename"].startswith(f"Sager_A1_{last:%Y-%m}_{world.CVR_A}")
    xlsx = drill_export(dash_client, "xlsx", key).get_json()["response"][DRILL.download]["data"]
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    refs = sorted(row[1].value for row in list(book.active.iter_rows())[1:])
    assert refs == ["A-1", "A-2", "A-3", "A-4", "A-5"]


def test_drill_export_for_another_customer_refused(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    key = {"goal_id": 1, "month": f"{last:%Y-%m}", "unit": None}
    response = drill_export(dash_client, "csv", key, cvr=world.CVR_B)
    assert response.status_code == 403 and b"B-0" not in response.data


def test_the_cross_closes_the_drill_through(report_app, laeser_a, dash_client):
    response = dash_client.fire(DRILL.close, "n_clicks", output=DRILL.modal, cvr=world.CVR_A,
                                values={DRILL.close: 1, ids.UNIT: None})
    out = response.get_json()["response"]
    assert out[DRILL.modal]["is_open"] is False and out[DRILL.grid]["rowData"] == [] and out[DRILL.key]["data"] is None


def test_reopened_cases_are_shown_apart(report_app, laeser_a, dash_client):
    """A case reopened and completed again counts in its new month, and the report says how many were reopened."""
    from data.cases_import import import_case_records
    from tests.kpi_world import rec

    last, _, _ = reports_world.months()
    with report_app.app_context():
        session = get_session()
        # A-1 (A1, met in the last month) is reopened, then completed again later the same month.
        assert import_case_records(session, [rec("A-1", f"{last:%Y-%m}-10 10:00", None)], reopen=True).ok
        assert import_case_records(session, [rec("A-1", f"{last:%Y-%m}-10 10:00", f"{last:%Y-%m}-11 10:00")]).ok
    table = report(dash_client, f"{last:%Y-%m}").get_json()["response"][ids.REPORT]["children"]
    rows = {texts(row)[1]: texts(row) for row in table["props"]["children"][2]["props"]["children"]}
    assert texts(table["props"]["children"][1])[-3:] == ["Heraf genåbnede", "Åbne sager", "heraf over frist"]
    # A row ends with its reopened, open and overdue counts (A-OPEN is A1's open case).
    assert rows["A1 Kreditortransaktioner"][-3] == "1" and rows["A1 Kreditortransaktioner"][-2] == "1"
    assert rows["L1 Lønindberetninger"][-3:] == ["0", "0", "0"]
    # Another customer's report is refused, reopened count included.
    assert report(dash_client, f"{last:%Y-%m}", cvr=world.CVR_B).status_code == 403


def test_the_latest_report_comes_with_the_page(report_app, laeser_a, dash_client):
    """The page's layout holds the latest report (no callback on load); another customer's page holds none of it."""
    last, _, _ = reports_world.months()
    page = response_text(dash_client.page("/information", f"?cvr={world.CVR_A}"))
    assert "A1 Kreditortransaktioner" in page and "80,0 %" in page and da_month(last).capitalize() in page
    spec = next(cb for cb in dash_client.dependencies() if cb["output"] == f"{ids.REPORT}.children")
    assert spec["prevent_initial_call"] is True
    other = response_text(dash_client.page("/information", f"?cvr={world.CVR_B}"))
    assert "Kreditortransaktioner" not in other and "Servicemålsrapport" not in other
