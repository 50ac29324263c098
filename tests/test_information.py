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
from tests import reports_world, world


@pytest.fixture
def report_app(app):
    with app.app_context():
        reports_world.build(get_session())
    return app


def report(dash_client, period, cvr=world.CVR_A):
    return dash_client.fire(ids.PERIOD, "value", output=ids.REPORT, cvr=cvr, initial=True, values={ids.PERIOD: period})


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


def test_trend_charts_have_tables_of_their_figures(report_app, laeser_a, dash_client):
    """Each area's trend chart carries its figures as a table, month by month, as the chart plots them."""
    last, prev, before = reports_world.months()
    trends = report(dash_client, f"{last:%Y-%m}").get_json()["response"][ids.TRENDS]["children"]
    assert len(trends) == 2
    for figure in trends:
        graph, _caption, details = figure["props"]["children"]
        shown = texts(details)
        assert "Vis som tabel" in shown
        for trace in graph["props"]["figure"]["data"]:
            code = trace["name"].split()[0]
            start = shown.index(code)
            expected = ["–" if v is None else f"{v:.1f}".replace(".", ",") + " %" for v in trace["y"]]
            assert shown[start + 1: start + 1 + len(expected)] == expected
    regnskab = texts(trends[0])
    start = regnskab.index("A1")
    assert regnskab[start + 10: start + 13] == ["–", "100,0 %", "80,0 %"]


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
    assert lines[0].endswith(";Åbne sager i dag;Heraf over frist i dag")
    assert a1.endswith(";100,0;80,0;1;1")
    xlsx = export(dash_client, "xlsx", f"{last:%Y-%m}").get_json()["response"][ids.DOWNLOAD]["data"]
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][:2] == ["Område", "Mål"]
    assert any(row[1] == "A1" and row[-3:] == [80.0, 1, 1] for row in values[1:])


def test_export_of_other_customer_refused(report_app, laeser_a, dash_client):
    last, _, _ = reports_world.months()
    response = export(dash_client, "csv", f"{last:%Y-%m}", cvr=world.CVR_B)
    assert response.status_code == 403 and b"B-0" not in response.data
